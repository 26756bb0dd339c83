"""The official JS SDK (``pocketbase@0.28.1``) uploads and reads files (``files.mjs``).

FormData and File uploads, ``pb.files.getURL`` with thumbs, ``download`` and file tokens,
modifiers and deletion: run against the real PocketBase (which proves the script) and
against Ferrybase on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from tests.sdk.test_scenario import run_scenario

SCRIPT = Path(__file__).with_name("files.mjs")
# How many checks the script makes; a run that stops early or skips checks fails.
EXPECTED_CHECKS = 16


async def test_sdk_files(server_url: str) -> None:
    code, lines, stderr = await run_scenario(server_url, SCRIPT)
    checks = [line for line in lines if "check" in line]
    failed = [f"{c['check']}: {c.get('detail', '')}" for c in checks if not c["ok"]]
    assert not failed, f"{len(failed)} SDK check(s) failed:\n" + "\n".join(failed)
    assert code == 0, stderr
    assert len(checks) == EXPECTED_CHECKS, [c["check"] for c in checks]
