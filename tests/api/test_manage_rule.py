"""The manage rule: callers it allows handle other auth records' email, verified and password
as a superuser does, and see their email."""

from __future__ import annotations

import httpx
import pytest

USERS = "/api/collections/users"
PASSWORD = "pass12345678"


async def sign_up_and_in(client: httpx.AsyncClient, email: str) -> tuple[str, str]:
    created = await client.post(
        f"{USERS}/records",
        json={"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD},
    )
    assert created.status_code == 200, created.text
    signed_in = await client.post(
        f"{USERS}/auth-with-password", json={"identity": email, "password": PASSWORD}
    )
    return created.json()["id"], signed_in.json()["token"]


@pytest.fixture
async def people(client: httpx.AsyncClient, superuser_token: str) -> dict[str, tuple[str, str]]:
    response = await client.patch(
        USERS,
        headers={"Authorization": superuser_token},
        json={
            "listRule": "@request.auth.id != ''",
            "viewRule": "@request.auth.id != ''",
            "updateRule": "@request.auth.id != ''",
            "manageRule": "@request.auth.email = 'boss@example.com'",
        },
    )
    assert response.status_code == 200, response.text
    return {
        name: await sign_up_and_in(client, f"{name}@example.com")
        for name in ("boss", "worker", "other")
    }


async def test_manager_changes_email_and_verified(
    client: httpx.AsyncClient, people: dict[str, tuple[str, str]]
) -> None:
    worker_id, _ = people["worker"]
    _, boss = people["boss"]
    response = await client.patch(
        f"{USERS}/records/{worker_id}",
        headers={"Authorization": boss},
        json={"email": "renamed@example.com", "verified": True},
    )
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "renamed@example.com"
    assert response.json()["verified"] is True


async def test_manager_sets_password_without_old_one(
    client: httpx.AsyncClient, people: dict[str, tuple[str, str]]
) -> None:
    worker_id, _ = people["worker"]
    _, boss = people["boss"]
    response = await client.patch(
        f"{USERS}/records/{worker_id}",
        headers={"Authorization": boss},
        json={"password": "new-password-1", "passwordConfirm": "new-password-1"},
    )
    assert response.status_code == 200, response.text
    signed_in = await client.post(
        f"{USERS}/auth-with-password",
        json={"identity": "worker@example.com", "password": "new-password-1"},
    )
    assert signed_in.status_code == 200


async def test_others_cannot(client: httpx.AsyncClient, people: dict[str, tuple[str, str]]) -> None:
    worker_id, _ = people["worker"]
    _, other = people["other"]
    response = await client.patch(
        f"{USERS}/records/{worker_id}",
        headers={"Authorization": other},
        json={"email": "renamed@example.com", "verified": True},
    )
    assert response.status_code == 400
    mismatch = {"code": "validation_values_mismatch", "message": "Values don't match."}
    assert response.json()["data"] == {"email": mismatch, "verified": mismatch}
    password = await client.patch(
        f"{USERS}/records/{worker_id}",
        headers={"Authorization": other},
        json={"password": "new-password-1", "passwordConfirm": "new-password-1"},
    )
    assert password.status_code == 400
    assert set(password.json()["data"]) == {"oldPassword"}


async def test_manager_sees_emails(
    client: httpx.AsyncClient, people: dict[str, tuple[str, str]]
) -> None:
    worker_id, _ = people["worker"]
    _, boss = people["boss"]
    _, other = people["other"]
    as_boss = await client.get(f"{USERS}/records/{worker_id}", headers={"Authorization": boss})
    assert as_boss.json()["email"] == "worker@example.com"
    as_other = await client.get(f"{USERS}/records/{worker_id}", headers={"Authorization": other})
    assert "email" not in as_other.json()
    listed = await client.get(f"{USERS}/records", headers={"Authorization": boss})
    assert all("email" in item for item in listed.json()["items"])
    listed = await client.get(f"{USERS}/records", headers={"Authorization": other})
    emails = [item.get("email") for item in listed.json()["items"]]
    assert emails.count(None) == 2  # only their own shows


async def test_only_managers_create_verified_records(
    client: httpx.AsyncClient, people: dict[str, tuple[str, str]]
) -> None:
    _, boss = people["boss"]
    _, other = people["other"]
    body = {
        "email": "new@example.com",
        "password": PASSWORD,
        "passwordConfirm": PASSWORD,
        "verified": True,
    }
    mismatch = {"code": "validation_values_mismatch", "message": "Values don't match."}
    for headers in ({}, {"Authorization": other}):
        refused = await client.post(f"{USERS}/records", headers=headers, json=body)
        assert refused.status_code == 400
        assert refused.json()["data"] == {"verified": mismatch}
    created = await client.post(f"{USERS}/records", headers={"Authorization": boss}, json=body)
    assert created.status_code == 200, created.text
    assert created.json()["verified"] is True
    assert created.json()["email"] == "new@example.com"


async def test_manager_sees_emails_in_expand(
    client: httpx.AsyncClient, superuser_token: str, people: dict[str, tuple[str, str]]
) -> None:
    created = await client.post(
        "/api/collections",
        headers={"Authorization": superuser_token},
        json={
            "name": "notes",
            "listRule": "",
            "fields": [
                {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_"},
            ],
        },
    )
    assert created.status_code == 200, created.text
    worker_id, _ = people["worker"]
    note = await client.post(
        "/api/collections/notes/records",
        headers={"Authorization": superuser_token},
        json={"owner": worker_id},
    )
    assert note.status_code == 200, note.text
    for name, visible in (("boss", True), ("other", False)):
        listed = await client.get(
            "/api/collections/notes/records?expand=owner",
            headers={"Authorization": people[name][1]},
        )
        owner = listed.json()["items"][0]["expand"]["owner"]
        assert ("email" in owner) is visible, name
