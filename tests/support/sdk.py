"""The official PocketBase JS SDK (``pocketbase@0.28.1``), installed once with npm into a cache,
with ``eventsource`` (the SDK's realtime needs the browser's ``EventSource``, which Node lacks).

The SDK tests need ``node`` and ``npm``. Where either is missing, or the install fails, the
tests skip with a one-line reason, except under CI (``CI`` set), where they must run and so
fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

VERSION = "0.28.1"
EVENTSOURCE = "3.0.7"
PACKAGES = (f"pocketbase@{VERSION}", f"eventsource@{EVENTSOURCE}")


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ferrybase-tests" / f"sdk-{VERSION}-eventsource-{EVENTSOURCE}"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the JS SDK tests)")
    pytest.skip(reason)


def node_binary() -> str:
    """The path of ``node``; skips (fails under CI) when it is missing."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed")
    assert node is not None
    return node


def sdk_dir() -> Path:
    """A directory whose ``node_modules`` holds the SDK, installing it on first use.

    The install goes to a scratch directory renamed into place, so an interrupted or
    concurrent install never leaves a half-filled cache behind.
    """
    target = _cache_dir()
    modules = target / "node_modules"
    if all((modules / name / "package.json").exists() for name in ("pocketbase", "eventsource")):
        return target
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is not installed")
    assert npm is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.parent / f".sdk-{VERSION}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        (scratch / "package.json").write_text('{"name": "ferrybase-sdk-tests", "private": true}\n')
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", *PACKAGES],
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            _unavailable(f"npm install {' '.join(PACKAGES)} failed: {last}")
        try:
            scratch.rename(target)
        except OSError:
            # Another process installed it first; theirs is as good as ours.
            if not (target / "node_modules" / "pocketbase").exists():
                raise
    except subprocess.TimeoutExpired:
        _unavailable(f"npm install {' '.join(PACKAGES)} timed out")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target
