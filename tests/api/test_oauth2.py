"""OAuth2 sign-in against a real local OpenID Connect provider (``tests/support/oidc.py``).

The provider is configured on ``users`` through the collections API; the authorization code
comes from the provider's own authorization page, submitted as a browser would.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ferrybase.api.auth_oauth2 import PROVIDERS
from ferrybase.core.app import Core
from tests.support.oidc import REDIRECT_URL, OidcServer, authorize, oidc_server

__all__ = ["oidc_server"]  # the fixture, used by the tests below

ALICE = {
    "email": "alice@example.com",
    "email_verified": True,
    "name": "Alice Liddell",
    "preferred_username": "alice",
    "picture": "https://avatars.invalid/alice.png",
}


def su(token: str) -> dict[str, str]:
    return {"Authorization": token}


async def configure(
    client: httpx.AsyncClient,
    token: str,
    server: OidcServer,
    *,
    enabled: bool = True,
    **provider: Any,
) -> dict[str, Any]:
    oauth2 = {
        "enabled": enabled,
        "providers": [server.provider_config(**provider)],
        "mappedFields": {"id": "", "name": "name", "username": "", "avatarURL": "avatar"},
    }
    response = await client.patch(
        "/api/collections/users", json={"oauth2": oauth2}, headers=su(token)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def code_for(core: Core, sub: str, provider: str = "oidc") -> dict[str, str]:
    """auth-methods' entry for the provider, followed at the provider by ``sub``: the
    ``auth-with-oauth2`` body the JS SDK would send."""
    users = core.collections.get("users")
    assert users is not None
    method = next(m for m in PROVIDERS.auth_methods(users) if m["name"] == provider)
    redirect = authorize(method["authURL"], sub)
    assert redirect["state"] == method["state"]
    return {
        "provider": provider,
        "code": redirect["code"],
        "codeVerifier": method["codeVerifier"],
        "redirectURL": REDIRECT_URL,
    }


async def sign_in(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/collections/users/auth-with-oauth2", json=body)


async def external_auths(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    response = await client.get("/api/collections/_externalAuths/records", headers=su(token))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_sign_up_then_sign_in_again(
    client: httpx.AsyncClient, core: Core, superuser_token: str, oidc_server: OidcServer
) -> None:
    await configure(client, superuser_token, oidc_server)
    oidc_server.set_user("alice-sub", ALICE)

    first = await sign_in(client, code_for(core, "alice-sub"))
    assert first.status_code == 200, first.text
    body = first.json()
    record, meta = body["record"], body["meta"]
    assert record["email"] == "alice@example.com"
    assert record["name"] == "Alice Liddell"  # mappedFields.name
    assert record["verified"] is True  # the provider vouched for the address
    assert record["avatar"] == ""  # the picture's host does not resolve: signed in without it
    assert meta["isNew"] is True
    assert meta["id"] == "alice-sub"
    assert meta["name"] == "Alice Liddell"
    assert meta["username"] == "alice"
    assert meta["email"] == "alice@example.com"
    assert meta["avatarURL"] == meta["avatarUrl"] == "https://avatars.invalid/alice.png"
    assert meta["rawUser"]["sub"] == "alice-sub"
    assert meta["accessToken"] and meta["refreshToken"] and meta["expiry"]

    # The token is a working auth token of the record.
    auth = {"Authorization": body["token"]}
    own = await client.get(f"/api/collections/users/records/{record['id']}", headers=auth)
    assert own.status_code == 200, own.text
    refreshed = await client.post("/api/collections/users/auth-refresh", headers=auth)
    assert refreshed.status_code == 200, refreshed.text

    links = await external_auths(client, superuser_token)
    assert [
        (x["collectionRef"], x["recordRef"], x["provider"], x["providerId"]) for x in links
    ] == [("_pb_users_auth_", record["id"], "oidc", "alice-sub")]

    # A second sign-in finds the same record through the link.
    second = await sign_in(client, code_for(core, "alice-sub"))
    assert second.status_code == 200, second.text
    assert second.json()["record"]["id"] == record["id"]
    assert second.json()["meta"]["isNew"] is False
    assert len(await external_auths(client, superuser_token)) == 1


async def test_existing_user_with_the_same_email_is_linked(
    client: httpx.AsyncClient, core: Core, superuser_token: str, oidc_server: OidcServer
) -> None:
    await configure(client, superuser_token, oidc_server)
    oidc_server.set_user("bob-sub", {"email": "bob@example.com", "email_verified": True})
    created = await client.post(
        "/api/collections/users/records",
        json={
            "email": "bob@example.com",
            "password": "bobs-pass-1",
            "passwordConfirm": "bobs-pass-1",
        },
    )
    assert created.status_code == 200, created.text
    assert created.json()["verified"] is False

    response = await sign_in(client, code_for(core, "bob-sub"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["record"]["id"] == created.json()["id"]
    assert body["record"]["verified"] is True
    assert body["meta"]["isNew"] is False
    links = await external_auths(client, superuser_token)
    assert [(x["recordRef"], x["providerId"]) for x in links] == [(created.json()["id"], "bob-sub")]

    # Whoever registered the unverified address does not keep a way in with its password.
    old = await client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "bob@example.com", "password": "bobs-pass-1"},
    )
    assert old.status_code == 400


async def test_unverified_provider_email_finds_no_account(
    client: httpx.AsyncClient, core: Core, superuser_token: str, oidc_server: OidcServer
) -> None:
    await configure(client, superuser_token, oidc_server)
    oidc_server.set_user("mallory-sub", {"email": "carol@example.com", "email_verified": False})
    carol = await client.post(
        "/api/collections/users/records",
        json={
            "email": "carol@example.com",
            "password": "carols-pass",
            "passwordConfirm": "carols-pass",
        },
    )
    assert carol.status_code == 200, carol.text

    response = await sign_in(client, code_for(core, "mallory-sub"))
    # Never Carol's account: a new one without an address, which ``users`` refuses.
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Failed to create record."
    assert response.json()["data"]["email"]["code"] == "validation_required"
    assert await external_auths(client, superuser_token) == []


async def test_create_data_comes_before_mapped_fields(
    client: httpx.AsyncClient, core: Core, superuser_token: str, oidc_server: OidcServer
) -> None:
    await configure(client, superuser_token, oidc_server)
    oidc_server.set_user("dan-sub", {**ALICE, "email": "dan@example.com", "name": "Dan"})
    body = {**code_for(core, "dan-sub"), "createData": {"name": "Daniel", "emailVisibility": True}}
    response = await sign_in(client, body)
    assert response.status_code == 200, response.text
    record = response.json()["record"]
    assert (record["name"], record["emailVisibility"]) == ("Daniel", True)


async def test_auth_rule_and_mfa_apply_after_the_record_is_made(
    client: httpx.AsyncClient, core: Core, superuser_token: str, oidc_server: OidcServer
) -> None:
    await configure(client, superuser_token, oidc_server)
    oidc_server.set_user("hal-sub", {"email": "hal@example.com", "email_verified": True})
    strict = await client.patch(
        "/api/collections/users", json={"authRule": "verified = false"}, headers=su(superuser_token)
    )
    assert strict.status_code == 200, strict.text
    refused = await sign_in(client, code_for(core, "hal-sub"))
    assert refused.status_code == 403, refused.text

    patched = await client.patch(
        "/api/collections/users",
        json={"authRule": "", "mfa": {"enabled": True}},
        headers=su(superuser_token),
    )
    assert patched.status_code == 200, patched.text
    pending = await sign_in(client, code_for(core, "hal-sub"))
    assert pending.status_code == 401, pending.text
    assert list(pending.json()) == ["mfaId"]
    # The record was made (and linked) by the first, refused, sign-in.
    assert [x["providerId"] for x in await external_auths(client, superuser_token)] == ["hal-sub"]


async def test_legacy_redirect_url_name_and_no_pkce(
    client: httpx.AsyncClient, core: Core, superuser_token: str, oidc_server: OidcServer
) -> None:
    await configure(client, superuser_token, oidc_server, pkce=False)
    oidc_server.set_user("erin-sub", {"email": "erin@example.com", "email_verified": True})
    body = code_for(core, "erin-sub")
    body["redirectUrl"] = body.pop("redirectURL")
    response = await sign_in(client, body)
    assert response.status_code == 200, response.text


async def test_user_from_the_id_token_without_user_info_url(
    client: httpx.AsyncClient, core: Core, superuser_token: str, oidc_server: OidcServer
) -> None:
    extra = {"jwksURL": f"{oidc_server.url}/jwks", "issuers": [oidc_server.url]}
    await configure(client, superuser_token, oidc_server, name="oidc2", userInfoURL="", extra=extra)
    oidc_server.set_user("gina-sub", {**ALICE, "email": "gina@example.com", "name": "Gina"})
    response = await sign_in(client, code_for(core, "gina-sub", "oidc2"))
    assert response.status_code == 200, response.text
    meta = response.json()["meta"]
    assert (meta["id"], meta["email"], meta["name"]) == ("gina-sub", "gina@example.com", "Gina")
    assert meta["rawUser"]["aud"] == ["ferrybase-client"]  # the verified id_token's claims

    # A token from an issuer the provider does not list: no user.
    extra = {"jwksURL": f"{oidc_server.url}/jwks", "issuers": ["https://elsewhere.example"]}
    await configure(client, superuser_token, oidc_server, name="oidc2", userInfoURL="", extra=extra)
    response = await sign_in(client, code_for(core, "gina-sub", "oidc2"))
    assert response.json() == {"data": {}, "message": "Failed to fetch OAuth2 user.", "status": 400}


def test_auth_method_entries_read_as_pocketbase_s() -> None:
    github = PROVIDERS.provider({"name": "github", "clientId": "cid"})
    assert github is not None
    entry = github.auth_method()
    assert list(entry) == [
        "name",
        "displayName",
        "logo",
        "state",
        "authURL",
        "authUrl",
        "codeVerifier",
        "codeChallenge",
        "codeChallengeMethod",
    ]
    assert entry["authURL"] == (
        "https://github.com/login/oauth/authorize?client_id=cid"
        f"&code_challenge={entry['codeChallenge']}&code_challenge_method=S256"
        f"&response_type=code&scope=read%3Auser+user%3Aemail&state={entry['state']}"
        "&redirect_uri="
    )
    assert entry["displayName"] == "GitHub" and entry["logo"].startswith("<svg")
    apple = PROVIDERS.provider({"name": "apple", "clientId": "cid", "pkce": False})
    assert apple is not None
    url = apple.auth_method()["authURL"]
    assert "response_mode=form_post" in url and "code_challenge" not in url
    assert PROVIDERS.provider({"name": "myspace"}) is None


async def test_errors(
    client: httpx.AsyncClient, core: Core, superuser_token: str, oidc_server: OidcServer
) -> None:
    url = "/api/collections/users/auth-with-oauth2"
    disabled = await client.post(url, json={"provider": "oidc", "code": "x"})
    assert disabled.status_code == 403
    assert disabled.json()["message"] == (
        "The collection is not configured to allow OAuth2 authentication."
    )

    await configure(client, superuser_token, oidc_server)
    blank = await client.post(url, json={})
    assert blank.status_code == 400
    assert blank.json() == {
        "data": {
            "code": {"code": "validation_required", "message": "Cannot be blank."},
            "provider": {"code": "validation_required", "message": "Cannot be blank."},
        },
        "message": "An error occurred while loading the submitted data.",
        "status": 400,
    }
    unknown = await client.post(url, json={"provider": "nope", "code": "x"})
    assert unknown.status_code == 400
    assert unknown.json()["data"] == {
        "provider": {
            "code": "validation_invalid_provider",
            "message": "Provider with name nope is missing or is not enabled.",
            "params": {"name": "nope"},
        }
    }
    bad_code = await client.post(
        url, json={"provider": "oidc", "code": "not-a-code", "redirectURL": REDIRECT_URL}
    )
    assert bad_code.status_code == 400
    assert bad_code.json() == {
        "data": {},
        "message": "Failed to fetch OAuth2 token.",
        "status": 400,
    }

    # A code is good once.
    oidc_server.set_user("frank-sub", {"email": "frank@example.com", "email_verified": True})
    body = code_for(core, "frank-sub")
    assert (await client.post(url, json=body)).status_code == 200
    again = await client.post(url, json=body)
    assert again.json()["message"] == "Failed to fetch OAuth2 token."

    wrong_type = await client.post(url, json={"provider": 1, "code": "x"})
    assert wrong_type.status_code == 400
    not_auth = await client.post(
        "/api/collections/_externalAuths/auth-with-oauth2", json={"provider": "oidc", "code": "x"}
    )
    assert not_auth.status_code == 404


async def test_collections_api_hides_and_keeps_the_client_secret(
    client: httpx.AsyncClient, core: Core, superuser_token: str, oidc_server: OidcServer
) -> None:
    shown = await configure(client, superuser_token, oidc_server)
    provider = shown["oauth2"]["providers"][0]
    assert "clientSecret" not in provider
    assert list(provider) == [
        "pkce",
        "name",
        "clientId",
        "authURL",
        "tokenURL",
        "userInfoURL",
        "displayName",
        "extra",
    ]
    # Sent back as shown (without the secret), the provider keeps its secret.
    again = await client.patch(
        "/api/collections/users", json={"oauth2": shown["oauth2"]}, headers=su(superuser_token)
    )
    assert again.status_code == 200, again.text
    users = core.collections.get("users")
    assert users is not None
    assert users.options["oauth2"]["providers"][0]["clientSecret"] == "ferrybase-secret"


@pytest.mark.parametrize(
    ("method", "query", "form"),
    [
        ("GET", "", None),
        ("GET", "?state=abc", None),
        ("GET", "?state=abc&code=xyz", None),  # no realtime client of that id
        ("GET", "?state=abc&error=access_denied", None),
        ("POST", "", {"state": "abc", "code": "xyz"}),
    ],
)
async def test_oauth2_redirect_failure(
    client: httpx.AsyncClient, method: str, query: str, form: dict[str, str] | None
) -> None:
    response = await client.request(method, "/api/oauth2-redirect" + query, data=form)
    assert response.status_code == (307 if method == "GET" else 303)
    assert response.headers["location"] == "../_/#/auth/oauth2-redirect-failure"


async def test_auth_methods_lists_the_configured_provider(
    client: httpx.AsyncClient, superuser_token: str, oidc_server: OidcServer
) -> None:
    await configure(client, superuser_token, oidc_server)
    methods = (await client.get("/api/collections/users/auth-methods")).json()
    assert methods["oauth2"]["enabled"] is True
    [provider] = methods["oauth2"]["providers"]
    assert provider["name"] == "oidc"
    assert provider["codeChallengeMethod"] == "S256"
    assert provider["authURL"].endswith("&redirect_uri=")
    assert [p["name"] for p in methods["authProviders"]] == ["oidc"]


async def test_enabled_providers_are_checked_on_save(
    client: httpx.AsyncClient, superuser_token: str
) -> None:
    body = {
        "name": "oa1",
        "type": "auth",
        "oauth2": {
            "enabled": True,
            "providers": [
                {"name": "nope", "clientId": "a", "clientSecret": "b"},
                {"name": "google", "clientId": "", "clientSecret": ""},
            ],
        },
    }
    response = await client.post("/api/collections", json=body, headers=su(superuser_token))
    assert response.status_code == 400
    assert response.json()["data"] == {
        "oauth2": {
            "providers": {
                "0": {
                    "name": {
                        "code": "validation_missing_provider",
                        "message": "Invalid or missing provider with name nope.",
                        "params": {"name": "nope"},
                    }
                },
                "1": {
                    "clientId": {"code": "validation_required", "message": "Cannot be blank."},
                    "clientSecret": {"code": "validation_required", "message": "Cannot be blank."},
                },
            }
        }
    }
    body["oauth2"]["enabled"] = False  # type: ignore[index]
    disabled = await client.post("/api/collections", json=body, headers=su(superuser_token))
    assert disabled.status_code == 200, disabled.text
