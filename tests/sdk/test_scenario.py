"""The official JS SDK (``pocketbase@0.28.1``) drives a scenario against a real server.

``scenario.mjs`` signs in as superuser, creates a collection with rules, signs users up and
in, and goes through records (create, view, list queries, modifiers, validation errors, rules
as another user and as guest, batch, delete). It prints one JSON line per check. The same
script runs against the real PocketBase, which proves the scenario itself, and against
Ferrybase on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from tests.sdk.conftest import SU_EMAIL, SU_PASSWORD
from tests.support.sdk import node_binary, sdk_dir

SCRIPT = Path(__file__).with_name("scenario.mjs")
# How many checks the scenario makes; a run that stops early or skips checks fails.
EXPECTED_CHECKS = 58


async def run_scenario(url: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run the script against ``url``: exit code, parsed output lines, raw stderr."""
    node = node_binary()
    env = {
        **os.environ,
        "FB_URL": url,
        "FB_SDK_DIR": str(sdk_dir()),
        "FB_SU_EMAIL": SU_EMAIL,
        "FB_SU_PASSWORD": SU_PASSWORD,
    }
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    lines = [json.loads(line) for line in stdout.decode().splitlines() if line.startswith("{")]
    assert process.returncode is not None
    return process.returncode, lines, stderr.decode()


async def test_sdk_scenario(server_url: str) -> None:
    code, lines, stderr = await run_scenario(server_url)
    checks = [line for line in lines if "check" in line]
    failed = [f"{c['check']}: {c.get('detail', '')}" for c in checks if not c["ok"]]
    summary = [line["summary"] for line in lines if "summary" in line]
    assert not failed, f"{len(failed)} SDK check(s) failed:\n" + "\n".join(failed)
    assert code == 0 and summary and summary[0]["failed"] == 0, (code, summary, stderr)
    assert len(checks) == EXPECTED_CHECKS, [c["check"] for c in checks]
