"""auth-methods: which sign-in methods an auth collection offers, in PocketBase's shape."""

from __future__ import annotations

import httpx

URL = "/api/collections/users/auth-methods"


async def test_defaults(client: httpx.AsyncClient) -> None:
    response = await client.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "password": {"identityFields": ["email"], "enabled": True},
        "oauth2": {"providers": [], "enabled": False},
        "mfa": {"enabled": False, "duration": 0},
        "otp": {"enabled": False, "duration": 0},
        "authProviders": [],
        "usernamePassword": False,
        "emailPassword": True,
    }


async def test_enabled_methods_show_their_durations(
    client: httpx.AsyncClient, superuser_token: str
) -> None:
    patch = await client.patch(
        "/api/collections/users",
        headers={"Authorization": superuser_token},
        json={"otp": {"enabled": True}, "mfa": {"enabled": True}},
    )
    assert patch.status_code == 200, patch.text
    body = (await client.get(URL)).json()
    assert body["mfa"] == {"enabled": True, "duration": 600}
    assert body["otp"] == {"enabled": True, "duration": 180}


async def test_password_disabled(client: httpx.AsyncClient, superuser_token: str) -> None:
    await client.patch(
        "/api/collections/users",
        headers={"Authorization": superuser_token},
        json={"passwordAuth": {"enabled": False}, "otp": {"enabled": True}},
    )
    body = (await client.get(URL)).json()
    assert body["password"] == {"identityFields": [], "enabled": False}
    assert body["emailPassword"] is False


async def test_fields_filter(client: httpx.AsyncClient) -> None:
    response = await client.get(URL + "?fields=mfa,otp.duration")
    assert response.json() == {"mfa": {"enabled": False, "duration": 0}, "otp": {"duration": 0}}


async def test_not_an_auth_collection(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/collections/_mfas/auth-methods")
    assert response.status_code == 404
    assert response.json()["message"] == "Missing or invalid auth collection context."
