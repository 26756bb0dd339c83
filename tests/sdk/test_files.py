"""The official JS SDK (``pocketbase@0.28.1``) uploads and reads files (``files.mjs``).

FormData and File uploads, ``pb.files.getURL`` with thumbs, ``download`` and file tokens,
modifiers and deletion: run against the real PocketBase (which proves the script) and
against Ferrybase on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from tests.sdk.conftest import SU_EMAIL, SU_PASSWORD
from tests.support.sdk import node_binary, sdk_dir

SCRIPT = Path(__file__).with_name("files.mjs")
# How many checks the script makes; a run that stops early or skips checks fails.
EXPECTED_CHECKS = 16


async def test_sdk_files(server_url: str) -> None:
    env = {
        **os.environ,
        "FB_URL": server_url,
        "FB_SDK_DIR": str(sdk_dir()),
        "FB_SU_EMAIL": SU_EMAIL,
        "FB_SU_PASSWORD": SU_PASSWORD,
    }
    process = await asyncio.create_subprocess_exec(
        node_binary(),
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
    checks = [line for line in lines if "check" in line]
    failed = [f"{c['check']}: {c.get('detail', '')}" for c in checks if not c["ok"]]
    assert not failed, f"{len(failed)} SDK check(s) failed:\n" + "\n".join(failed)
    assert process.returncode == 0, stderr.decode()
    assert len(checks) == EXPECTED_CHECKS, [c["check"] for c in checks]
