"""The OAuth2 redirect flow as the JS SDK runs it, on SQLite and PostgreSQL.

A realtime client subscribes to ``@oauth2``; its id is the ``state`` of the provider's
authorization URL, whose ``redirect_uri`` is ``/api/oauth2-redirect``. The browser's leg
(the provider's page, then the redirect back) is followed with httpx against the real local
provider (``tests/support/oidc.py``); the redirect endpoint hands ``{state, code}`` to the
waiting client, which signs in with the code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from tests.support.oidc import OidcServer, consent, oidc_server
from tests.support.sse import SseStream

__all__ = ["oidc_server"]  # the fixture, used by the tests below

SUCCESS = "../_/#/auth/oauth2-redirect-success"
FAILURE = "../_/#/auth/oauth2-redirect-failure"


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=10) as c:
        yield c


@pytest.fixture
async def provider(
    http: httpx.AsyncClient, superuser_token: str, oidc_server: OidcServer
) -> dict[str, Any]:
    """``users`` signs in with the local provider: auth-methods' entry for it."""
    oauth2 = {
        "enabled": True,
        "providers": [oidc_server.provider_config()],
        "mappedFields": {"name": "name"},
    }
    configured = await http.patch(
        "/api/collections/users",
        json={"oauth2": oauth2},
        headers={"Authorization": superuser_token},
    )
    assert configured.status_code == 200, configured.text
    methods = await http.get("/api/collections/users/auth-methods")
    [entry] = methods.json()["oauth2"]["providers"]
    assert entry["name"] == "oidc"
    found: dict[str, Any] = entry
    return found


async def wait_for_oauth2(http: httpx.AsyncClient, stream: SseStream) -> None:
    response = await http.post(
        "/api/realtime", json={"clientId": stream.client_id, "subscriptions": ["@oauth2"]}
    )
    assert response.status_code == 204, response.text


def sdk_auth_url(entry: dict[str, Any], redirect_url: str, state: str) -> str:
    """The URL the SDK opens: auth-methods' ``authURL`` completed with the redirect URL,
    its ``state`` replaced by the realtime client's id."""
    parts = urlsplit(str(entry["authURL"]) + redirect_url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query["state"] = state
    return urlunsplit(parts._replace(query=urlencode(query)))


async def test_the_waiting_client_gets_the_code_and_signs_in(
    base_url: str, http: httpx.AsyncClient, provider: dict[str, Any], oidc_server: OidcServer
) -> None:
    claims = {"email": "rita@example.com", "email_verified": True, "name": "Rita"}
    oidc_server.set_user("rita-sub", claims)
    redirect_url = f"{base_url}/api/oauth2-redirect"
    async with SseStream(base_url) as stream:
        await wait_for_oauth2(http, stream)
        url = sdk_auth_url(provider, redirect_url, stream.client_id)

        back = await consent(url, "rita-sub", redirect_url)
        landed = await http.get(back)
        assert landed.status_code == 307
        assert landed.headers["location"] == SUCCESS

        event = await stream.next()
        assert event.name == "@oauth2"
        message = event.json()
        assert message == {"state": stream.client_id, "code": message["code"]}
        assert message["code"]

    body = {
        "provider": "oidc",
        "code": message["code"],
        "codeVerifier": provider["codeVerifier"],
        "redirectURL": redirect_url,
    }
    signed_in = await http.post("/api/collections/users/auth-with-oauth2", json=body)
    assert signed_in.status_code == 200, signed_in.text
    record = signed_in.json()["record"]
    assert (record["email"], record["name"], record["verified"]) == (
        "rita@example.com",
        "Rita",
        True,
    )
    assert signed_in.json()["meta"]["isNew"] is True
    me = await http.post(
        "/api/collections/users/auth-refresh", headers={"Authorization": signed_in.json()["token"]}
    )
    assert me.status_code == 200, me.text
    assert me.json()["record"]["id"] == record["id"]


async def test_a_state_no_client_waits_for_lands_on_the_failure_page(
    base_url: str, http: httpx.AsyncClient, provider: dict[str, Any], oidc_server: OidcServer
) -> None:
    oidc_server.set_user("sam-sub", {"email": "sam@example.com", "email_verified": True})
    redirect_url = f"{base_url}/api/oauth2-redirect"
    async with SseStream(base_url) as stream:
        # Connected but not subscribed to @oauth2: not a client that waits for a code.
        url = sdk_auth_url(provider, redirect_url, stream.client_id)
        landed = await http.get(await consent(url, "sam-sub", redirect_url))
        assert (landed.status_code, landed.headers["location"]) == (307, FAILURE)
        assert await stream.nothing()

        await wait_for_oauth2(http, stream)
        url = sdk_auth_url(provider, redirect_url, "an-unknown-client-id")
        landed = await http.get(await consent(url, "sam-sub", redirect_url))
        assert (landed.status_code, landed.headers["location"]) == (307, FAILURE)
        assert await stream.nothing()


async def test_a_provider_error_is_delivered_and_lands_on_the_failure_page(
    base_url: str, http: httpx.AsyncClient, provider: dict[str, Any]
) -> None:
    redirect_url = f"{base_url}/api/oauth2-redirect"
    async with SseStream(base_url) as stream:
        await wait_for_oauth2(http, stream)
        url = sdk_auth_url(provider, redirect_url, stream.client_id)
        back = await consent(url, "", redirect_url, deny=True)
        assert "error=access_denied" in back, back
        # The mock leaves the state out of its error redirect (RFC 6749 4.1.2.1 wants it):
        # nobody to tell, then.
        landed = await http.get(back)
        assert (landed.status_code, landed.headers["location"]) == (307, FAILURE)
        assert await stream.nothing()

        # With the state, as providers send it, the waiting client learns of the error.
        landed = await http.get(back + "&state=" + stream.client_id)
        assert (landed.status_code, landed.headers["location"]) == (307, FAILURE)
        event = await stream.next()
        assert event.name == "@oauth2"
        # The SDK reads the error and gives up (it never signs in without a code).
        assert event.json() == {"state": stream.client_id, "code": "", "error": "access_denied"}

        # Apple's form_post: the same through a POST, answered 303 (the redirect ended the
        # subscription, as in PocketBase: the client subscribes again for another try).
        await wait_for_oauth2(http, stream)
        posted = await http.post(
            "/api/oauth2-redirect", data={"state": stream.client_id, "error": "server_error"}
        )
        assert (posted.status_code, posted.headers["location"]) == (303, FAILURE)
        event = await stream.next()
        assert event.json() == {"state": stream.client_id, "code": "", "error": "server_error"}
