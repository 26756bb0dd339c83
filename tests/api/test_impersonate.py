"""Impersonation: a superuser gets a non-refreshable token of any auth record."""

from __future__ import annotations

import time

import httpx
import jwt

USERS = "/api/collections/users"
PASSWORD = "pass12345678"


async def create_user(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post(
        f"{USERS}/records",
        json={"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD},
    )
    assert response.status_code == 200, response.text
    user_id: str = response.json()["id"]
    return user_id


async def test_superuser_impersonates(client: httpx.AsyncClient, superuser_token: str) -> None:
    user_id = await create_user(client, "u1@example.com")
    response = await client.post(
        f"{USERS}/impersonate/{user_id}",
        headers={"Authorization": superuser_token},
        json={"duration": 100},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["record"]["id"] == user_id
    assert body["record"]["email"] == "u1@example.com"  # visible although emailVisibility=false
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["refreshable"] is False and claims["type"] == "auth"
    assert 95 < claims["exp"] - time.time() <= 100

    # The token works, and refreshing it gives the same token back (it is not renewable).
    me = await client.get(f"{USERS}/records/{user_id}", headers={"Authorization": body["token"]})
    assert me.status_code == 200
    refreshed = await client.post(f"{USERS}/auth-refresh", headers={"Authorization": body["token"]})
    assert refreshed.status_code == 200
    assert refreshed.json()["token"] == body["token"]


async def test_default_duration_is_the_collections(
    client: httpx.AsyncClient, superuser_token: str
) -> None:
    user_id = await create_user(client, "u1@example.com")
    response = await client.post(
        f"{USERS}/impersonate/{user_id}", headers={"Authorization": superuser_token}
    )
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert 432000 - 60 < claims["exp"] - time.time() <= 432000


async def test_only_superusers(client: httpx.AsyncClient, superuser_token: str) -> None:
    user_id = await create_user(client, "u1@example.com")
    guest = await client.post(f"{USERS}/impersonate/{user_id}")
    assert guest.status_code == 401
    assert guest.json()["message"] == "The request requires valid record authorization token."
    signed_in = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    user = await client.post(
        f"{USERS}/impersonate/{user_id}", headers={"Authorization": signed_in.json()["token"]}
    )
    assert user.status_code == 403
    assert user.json()["message"] == "The authorized record is not allowed to perform this action."


async def test_errors(client: httpx.AsyncClient, superuser_token: str) -> None:
    user_id = await create_user(client, "u1@example.com")
    headers = {"Authorization": superuser_token}
    missing = await client.post(f"{USERS}/impersonate/nope", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["message"] == "The requested resource wasn't found."
    base = await client.post("/api/collections/_mfas/impersonate/nope", headers=headers)
    assert base.json()["message"] == "Missing or invalid auth collection context."
    negative = await client.post(
        f"{USERS}/impersonate/{user_id}", headers=headers, json={"duration": -1}
    )
    assert negative.status_code == 400
    assert negative.json()["data"] == {
        "duration": {
            "code": "validation_min_greater_equal_than_required",
            "message": "Must be no less than 0.",
            "params": {"threshold": 0},
        }
    }
    text = await client.post(
        f"{USERS}/impersonate/{user_id}", headers=headers, json={"duration": "x"}
    )
    assert text.json()["message"] == "An error occurred while loading the submitted data."


async def test_refresh_renews_ordinary_tokens(client: httpx.AsyncClient) -> None:
    await create_user(client, "u1@example.com")
    signed_in = await client.post(
        f"{USERS}/auth-with-password", json={"identity": "u1@example.com", "password": PASSWORD}
    )
    token = signed_in.json()["token"]
    refreshed = await client.post(f"{USERS}/auth-refresh", headers={"Authorization": token})
    claims = jwt.decode(refreshed.json()["token"], options={"verify_signature": False})
    assert claims["refreshable"] is True


async def test_a_token_stops_working_when_it_expires(
    client: httpx.AsyncClient, superuser_token: str
) -> None:
    """Also while nothing in the database changed (the signed-in token is remembered)."""
    import asyncio

    user_id = await create_user(client, "u1@example.com")
    response = await client.post(
        f"{USERS}/impersonate/{user_id}",
        headers={"Authorization": superuser_token},
        json={"duration": 2},
    )
    token = response.json()["token"]
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    me = f"{USERS}/records/{user_id}"
    assert (await client.get(me, headers={"Authorization": token})).status_code == 200
    assert (await client.get(me, headers={"Authorization": token})).status_code == 200
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.2)
    assert (await client.get(me, headers={"Authorization": token})).status_code == 404
