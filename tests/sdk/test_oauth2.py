"""The official JS SDK's OAuth2 redirect flow (``authWithOAuth2`` with ``urlCallback``) against
the real PocketBase (which proves the script) and Ferrybase on SQLite and PostgreSQL
(``oauth2.mjs``).

The provider is ``oidc-provider-mock`` running in this process (``tests/support/oidc.py``);
each server is configured with it as ``users``' ``oidc`` provider through the collections
API. The script plays the browser with ``fetch``: the provider's form, then the redirect back
to ``/api/oauth2-redirect``, whose ``{state, code}`` reaches the SDK over realtime.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sdk.test_scenario import run_scenario
from tests.support.oidc import OidcServer, oidc_server

__all__ = ["oidc_server"]  # the fixture, used by the test below

SCRIPT = Path(__file__).with_name("oauth2.mjs")
EXPECTED_CHECKS = 12


async def test_sdk_oauth2_redirect_flow(
    server_url: str, oidc_server: OidcServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FB_OIDC_URL", oidc_server.url)
    code, lines, stderr = await run_scenario(server_url, SCRIPT)
    checks = [line for line in lines if "check" in line]
    failed = [f"{c['check']}: {c.get('detail', '')}" for c in checks if not c["ok"]]
    assert not failed, f"{len(failed)} SDK check(s) failed:\n" + "\n".join(failed)
    assert code == 0, (code, stderr)
    assert len(checks) == EXPECTED_CHECKS, [c["check"] for c in checks]
