"""Superuser records through the records API: create, view, delete, and the change feed."""

from __future__ import annotations

import httpx

from ferrybase.core.app import Core

RECORDS = "/api/collections/_superusers/records"


async def test_superusers_create_superusers(
    client: httpx.AsyncClient, superuser_token: str, core: Core
) -> None:
    auth = {"Authorization": superuser_token}
    body = {
        "email": "second@example.com",
        "password": "secret-pass-1",
        "passwordConfirm": "secret-pass-1",
    }
    created = await client.post(RECORDS, json=body, headers=auth)
    assert created.status_code == 200, created.text
    record = created.json()
    assert record["email"] == "second@example.com"
    assert record["verified"] is True
    assert "password" not in record and "tokenKey" not in record
    viewed = await client.get(f"{RECORDS}/{record['id']}", headers=auth)
    assert viewed.status_code == 200
    assert viewed.json() == record
    by_id = await client.get(
        f"/api/collections/pbc_3142635823/records/{record['id']}", headers=auth
    )
    assert by_id.json() == record
    # the new superuser can sign in
    signed_in = await client.post(
        "/api/collections/_superusers/auth-with-password",
        json={"identity": "second@example.com", "password": "secret-pass-1"},
    )
    assert signed_in.status_code == 200
    feed = await core.store.fetch_all(
        'SELECT "recordId", "action", "record" FROM "_changes" WHERE "recordId" = ?',
        (record["id"],),
    )
    assert [(row["action"], row["record"]["email"]) for row in feed] == [
        ("create", "second@example.com")
    ]


async def test_create_validation(client: httpx.AsyncClient, superuser_token: str) -> None:
    auth = {"Authorization": superuser_token}

    async def errors(body: dict[str, str]) -> dict[str, object]:
        response = await client.post(RECORDS, json=body, headers=auth)
        assert response.status_code == 400
        assert response.json()["message"] == "Failed to create record."
        data: dict[str, object] = response.json()["data"]
        return data

    # The password pair is checked first, and alone (as PocketBase does).
    assert await errors({}) == {
        "password": {"code": "validation_required", "message": "Cannot be blank."},
        "passwordConfirm": {"code": "validation_required", "message": "Cannot be blank."},
    }
    assert await errors({"email": "bad", "password": "short", "passwordConfirm": "other"}) == {
        "passwordConfirm": {"code": "validation_values_mismatch", "message": "Values don't match."}
    }
    assert await errors({"email": "bad", "password": "short", "passwordConfirm": "short"}) == {
        "email": {"code": "validation_is_email", "message": "Must be a valid email address."},
        "password": {
            "code": "validation_min_text_constraint",
            "message": "Must be at least 8 character(s).",
        },
    }
    token_key = {"email": "q@example.com", "password": "12345678", "passwordConfirm": "12345678"}
    assert await errors({**token_key, "tokenKey": "abc"}) == {
        "tokenKey": {
            "code": "validation_min_text_constraint",
            "message": "Must be at least 30 character(s).",
            "params": {"min": 30},
        }
    }


async def test_duplicate_email_is_not_unique(
    client: httpx.AsyncClient, superuser_token: str, core: Core
) -> None:
    auth = {"Authorization": superuser_token}
    body = {
        "email": "admin@example.com",
        "password": "secret-pass-1",
        "passwordConfirm": "secret-pass-1",
    }
    response = await client.post(RECORDS, json=body, headers=auth)
    assert response.status_code == 400
    assert response.json()["data"] == {
        "email": {"code": "validation_not_unique", "message": "Value must be unique."}
    }
    count = await core.store.fetch_value('SELECT COUNT(*) FROM "_superusers"')
    assert count == 1


async def test_client_chosen_id(client: httpx.AsyncClient, superuser_token: str) -> None:
    auth = {"Authorization": superuser_token}
    body = {
        "id": "abcdefghij12345",
        "email": "x@example.com",
        "password": "12345678",
        "passwordConfirm": "12345678",
    }
    response = await client.post(RECORDS, json=body, headers=auth)
    assert response.status_code == 200
    assert response.json()["id"] == "abcdefghij12345"
    again = await client.post(RECORDS, json={**body, "email": "y@example.com"}, headers=auth)
    assert again.json()["data"] == {
        "id": {"code": "validation_not_unique", "message": "Value must be unique."}
    }
    short = await client.post(
        RECORDS, json={**body, "id": "abc", "email": "z@example.com"}, headers=auth
    )
    assert short.json()["data"]["id"]["code"] == "validation_min_text_constraint"


async def test_guests_are_refused(client: httpx.AsyncClient, superuser_token: str) -> None:
    body = {"email": "x@example.com", "password": "12345678", "passwordConfirm": "12345678"}
    response = await client.post(RECORDS, json=body)
    assert response.status_code == 403
    assert response.json() == {
        "data": {},
        "message": "Only superusers can perform this action.",
        "status": 403,
    }
    view = await client.get(f"{RECORDS}/whatever")
    assert view.status_code == 403


async def test_view_and_delete_missing(client: httpx.AsyncClient, superuser_token: str) -> None:
    auth = {"Authorization": superuser_token}
    assert (await client.get(f"{RECORDS}/missingmissing1", headers=auth)).status_code == 404
    assert (await client.delete(f"{RECORDS}/missingmissing1", headers=auth)).status_code == 404
    missing = await client.post("/api/collections/nope/records", json={}, headers=auth)
    assert missing.status_code == 404
    assert missing.json()["message"] == "Missing collection context."


async def test_delete(client: httpx.AsyncClient, superuser_token: str, core: Core) -> None:
    auth = {"Authorization": superuser_token}
    body = {"email": "x@example.com", "password": "12345678", "passwordConfirm": "12345678"}
    record = (await client.post(RECORDS, json=body, headers=auth)).json()
    response = await client.delete(f"{RECORDS}/{record['id']}", headers=auth)
    assert response.status_code == 204 and response.content == b""
    assert (await client.get(f"{RECORDS}/{record['id']}", headers=auth)).status_code == 404
    actions = await core.store.fetch_all(
        'SELECT "action" FROM "_changes" WHERE "recordId" = ? ORDER BY "seq"', (record["id"],)
    )
    assert [a["action"] for a in actions] == ["create", "delete"]


async def test_the_last_superuser_cannot_be_deleted(
    client: httpx.AsyncClient, superuser_token: str, core: Core
) -> None:
    me = (
        await client.post(
            "/api/collections/_superusers/auth-refresh", headers={"Authorization": superuser_token}
        )
    ).json()["record"]
    response = await client.delete(
        f"{RECORDS}/{me['id']}", headers={"Authorization": superuser_token}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "You can't delete the only existing superuser."
    assert await core.store.fetch_value('SELECT COUNT(*) FROM "_superusers"') == 1
