"""The official JS SDK's ``subscribe``/``unsubscribe`` against the real PocketBase (which
proves the script) and Ferrybase on SQLite and PostgreSQL (``realtime.mjs``)."""

from __future__ import annotations

from pathlib import Path

from tests.sdk.test_scenario import run_scenario

SCRIPT = Path(__file__).with_name("realtime.mjs")
EXPECTED_CHECKS = 10


async def test_sdk_realtime(server_url: str) -> None:
    code, lines, stderr = await run_scenario(server_url, SCRIPT)
    checks = [line for line in lines if "check" in line]
    failed = [f"{c['check']}: {c.get('detail', '')}" for c in checks if not c["ok"]]
    assert not failed, f"{len(failed)} SDK check(s) failed:\n" + "\n".join(failed)
    assert code == 0, (code, stderr)
    assert len(checks) == EXPECTED_CHECKS, [c["check"] for c in checks]
