"""Security: server-owned fields cannot be mass-assigned, one user cannot reach another's
records by any route, and sign-in does not reveal which identities exist."""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx
import pytest

Headers = dict[str, str]
USERS = "/api/collections/users/records"


async def sign_up(client: httpx.AsyncClient, email: str, **extra: Any) -> httpx.Response:
    body = {"email": email, "password": "password-1", "passwordConfirm": "password-1", **extra}
    return await client.post(USERS, json=body)


async def sign_in(client: httpx.AsyncClient, email: str) -> Headers:
    response = await client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": email, "password": "password-1"},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": response.json()["token"]}


async def test_server_owned_fields_on_create(client: httpx.AsyncClient) -> None:
    sneaky = {
        "tokenKey": "k" * 50,
        "created": "2000-01-01 00:00:00.000Z",
        "updated": "2000-01-01 00:00:00.000Z",
        "collectionId": "pbc_hack",
        "collectionName": "hack",
    }
    response = await sign_up(client, "mallory@example.com", **sneaky)
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["collectionId"] == "_pb_users_auth_" and record["collectionName"] == "users"
    assert not record["created"].startswith("2000") and not record["updated"].startswith("2000")
    assert record["verified"] is False
    verified = await sign_up(client, "eve@example.com", verified=True)
    assert verified.status_code == 400
    assert verified.json()["data"]["verified"]["code"] == "validation_values_mismatch"


async def test_server_owned_fields_on_update(client: httpx.AsyncClient, core: Any) -> None:
    record = (await sign_up(client, "ann@example.com")).json()
    auth = await sign_in(client, "ann@example.com")
    url = f"{USERS}/{record['id']}"
    for body, field in [
        ({"verified": True}, "verified"),
        ({"email": "other@example.com"}, "email"),
        ({"password": "new-pass-1", "passwordConfirm": "new-pass-1"}, "oldPassword"),
    ]:
        response = await client.patch(url, json=body, headers=auth)
        assert response.status_code == 400, body
        assert field in response.json()["data"], response.json()
    ignored = await client.patch(
        url,
        json={"tokenKey": "k" * 50, "created": "2000-01-01 00:00:00.000Z", "name": "Ann"},
        headers=auth,
    )
    assert ignored.status_code == 200
    assert ignored.json()["name"] == "Ann"
    assert not ignored.json()["created"].startswith("2000")
    # the token still works: the client could not choose the tokenKey it is signed with
    assert (await client.get(url, headers=auth)).status_code == 200
    stored = await core.store.fetch_value(
        'SELECT "tokenKey" FROM "users" WHERE "id" = ?', (record["id"],)
    )
    assert stored != "k" * 50


@pytest.fixture
async def private_notes(client: httpx.AsyncClient, superuser_token: str) -> dict[str, Any]:
    su = {"Authorization": superuser_token}
    notes = {
        "name": "notes",
        "fields": [
            {"name": "text", "type": "text"},
            {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_"},
        ],
        "listRule": "owner = @request.auth.id",
        "viewRule": "owner = @request.auth.id",
        "createRule": "owner = @request.auth.id",
        "updateRule": "owner = @request.auth.id",
        "deleteRule": "owner = @request.auth.id",
    }
    assert (await client.post("/api/collections", json=notes, headers=su)).status_code == 200
    notes_id = (await client.get("/api/collections/notes", headers=su)).json()["id"]
    board = {
        "name": "board",
        "fields": [{"name": "note", "type": "relation", "collectionId": notes_id}],
        "listRule": "",
        "viewRule": "",
    }
    assert (await client.post("/api/collections", json=board, headers=su)).status_code == 200
    await client.patch("/api/settings", json={"batch": {"enabled": True}}, headers=su)
    ann = (await sign_up(client, "ann@example.com")).json()
    await sign_up(client, "bob@example.com")
    ann_auth = await sign_in(client, "ann@example.com")
    bob_auth = await sign_in(client, "bob@example.com")
    note = await client.post(
        "/api/collections/notes/records",
        json={"text": "ann's secret", "owner": ann["id"]},
        headers=ann_auth,
    )
    assert note.status_code == 200, note.text
    pin = await client.post(
        "/api/collections/board/records", json={"note": note.json()["id"]}, headers=su
    )
    return {
        "ann": ann,
        "note": note.json(),
        "pin": pin.json(),
        "bob": bob_auth,
        "ann_auth": ann_auth,
    }


async def test_another_user_cannot_reach_a_private_record(
    client: httpx.AsyncClient, private_notes: dict[str, Any]
) -> None:
    bob, note = private_notes["bob"], private_notes["note"]
    url = f"/api/collections/notes/records/{note['id']}"
    assert (await client.get(url, headers=bob)).status_code == 404
    assert (await client.patch(url, json={"text": "mine"}, headers=bob)).status_code == 404
    assert (await client.delete(url, headers=bob)).status_code == 404
    listed = await client.get(
        "/api/collections/notes/records", params={"filter": f"id = '{note['id']}'"}, headers=bob
    )
    assert listed.json()["items"] == [] and listed.json()["totalItems"] == 0
    # claiming the record by creating one in the owner's name
    forged = await client.post(
        "/api/collections/notes/records",
        json={"text": "x", "owner": private_notes["ann"]["id"]},
        headers=bob,
    )
    assert forged.status_code == 400
    # through a public collection: expand leaves the note out, a filter cannot probe it
    board = f"/api/collections/board/records/{private_notes['pin']['id']}"
    expanded = (await client.get(board, params={"expand": "note"}, headers=bob)).json()
    assert expanded["expand"] == {}
    probe = await client.get(
        "/api/collections/board/records",
        params={"filter": "note.text ~ 'secret'"},
        headers=bob,
    )
    assert probe.json()["totalItems"] == 0
    # through a batch
    batch = await client.post(
        "/api/batch",
        json={
            "requests": [
                {
                    "method": "PATCH",
                    "url": f"/api/collections/notes/records/{note['id']}",
                    "body": {"text": "x"},
                },
                {"method": "DELETE", "url": f"/api/collections/notes/records/{note['id']}"},
            ]
        },
        headers=bob,
    )
    assert batch.status_code == 400
    assert batch.json()["data"]["requests"]["0"]["response"]["status"] == 404
    # and the note is untouched
    own = (await client.get(url, headers=private_notes["ann_auth"])).json()
    assert own["text"] == "ann's secret"


async def test_sign_in_does_not_reveal_identities(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ann@example.com")
    url = "/api/collections/users/auth-with-password"

    async def attempt(identity: str) -> tuple[int, Any, float]:
        started = time.perf_counter()
        response = await client.post(url, json={"identity": identity, "password": "wrong-pass"})
        return response.status_code, response.json(), time.perf_counter() - started

    known = [await attempt("ann@example.com") for _ in range(5)]
    unknown = [await attempt("nobody@example.com") for _ in range(5)]
    assert {(k[0], str(k[1])) for k in known} == {(u[0], str(u[1])) for u in unknown}
    ratio = statistics.median(k[2] for k in known) / statistics.median(u[2] for u in unknown)
    assert 0.5 < ratio < 2.0, ratio  # both pay for one password hash check
