"""Records: list/filter/sort/paging, view, create, update, delete, with rules on every path."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ferrybase.core.app import Core
from ferrybase.store import postgres

PUBLIC_OR_OWN = "published = true || author = @request.auth.id"
POSTS: dict[str, Any] = {
    "name": "posts",
    "fields": [
        {"name": "title", "type": "text", "required": True, "max": 200},
        {"name": "views", "type": "number", "min": 0, "onlyInt": True},
        {"name": "published", "type": "bool"},
        {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
        {"name": "tags", "type": "select", "maxSelect": 3, "values": ["a", "b", "c"]},
    ],
    "listRule": PUBLIC_OR_OWN,
    "viewRule": PUBLIC_OR_OWN,
    "createRule": '@request.auth.id != "" && @request.body.author = @request.auth.id',
    "updateRule": "author = @request.auth.id",
    "deleteRule": "author = @request.auth.id",
}

Headers = dict[str, str]
SignUp = Callable[[str], Awaitable[tuple[str, Headers]]]


@pytest.fixture
def su(superuser_token: str) -> Headers:
    return {"Authorization": superuser_token}


@pytest.fixture
async def posts(client: httpx.AsyncClient, su: Headers) -> dict[str, Any]:
    response = await client.post("/api/collections", json=POSTS, headers=su)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def sign_up(client: httpx.AsyncClient) -> SignUp:
    async def make(email: str) -> tuple[str, Headers]:
        body = {"email": email, "password": "password-1", "passwordConfirm": "password-1"}
        created = await client.post("/api/collections/users/records", json=body)
        assert created.status_code == 200, created.text
        signed = await client.post(
            "/api/collections/users/auth-with-password",
            json={"identity": email, "password": "password-1"},
        )
        return created.json()["id"], {"Authorization": signed.json()["token"]}

    return make


async def seed(
    client: httpx.AsyncClient, su: Headers, author: str, n: int, published: bool
) -> list[str]:
    ids = []
    for i in range(n):
        body = {
            "title": f"{author[:4]}-{i}",
            "views": i * 10,
            "published": published,
            "author": author,
        }
        response = await client.post("/api/collections/posts/records", json=body, headers=su)
        assert response.status_code == 200, response.text
        ids.append(response.json()["id"])
    return ids


URL = "/api/collections/posts/records"


async def test_list_applies_the_rule(
    client: httpx.AsyncClient, su: Headers, posts: dict[str, Any], sign_up: SignUp
) -> None:
    ann, ann_auth = await sign_up("ann@example.com")
    bob, bob_auth = await sign_up("bob@example.com")
    await seed(client, su, ann, 3, published=True)
    ann_drafts = await seed(client, su, ann, 2, published=False)
    await seed(client, su, bob, 1, published=False)

    guest = (await client.get(URL)).json()
    assert guest["totalItems"] == 3 and len(guest["items"]) == 3
    as_ann = (await client.get(URL, headers=ann_auth)).json()
    assert as_ann["totalItems"] == 5
    assert {i["id"] for i in as_ann["items"]} >= set(ann_drafts)
    as_bob = (await client.get(URL, headers=bob_auth)).json()
    assert as_bob["totalItems"] == 4
    as_su = (await client.get(URL, headers=su)).json()
    assert as_su["totalItems"] == 6
    # insertion order without a sort, on both stores
    assert [i["title"] for i in as_su["items"]][:3] == [
        f"{ann[:4]}-0",
        f"{ann[:4]}-1",
        f"{ann[:4]}-2",
    ]


async def test_filter_sort_and_paging(
    client: httpx.AsyncClient, su: Headers, posts: dict[str, Any], sign_up: SignUp
) -> None:
    ann, ann_auth = await sign_up("ann@example.com")
    await seed(client, su, ann, 5, published=True)
    response = await client.get(
        URL, params={"filter": "views >= 20", "sort": "-views", "perPage": 2}, headers=ann_auth
    )
    body = response.json()
    assert response.status_code == 200
    assert [i["views"] for i in body["items"]] == [40, 30]
    assert (body["page"], body["perPage"], body["totalItems"], body["totalPages"]) == (1, 2, 3, 2)
    page2 = (
        await client.get(
            URL, params={"filter": "views >= 20", "sort": "-views", "perPage": 2, "page": 2}
        )
    ).json()
    assert [i["views"] for i in page2["items"]] == [20]
    skip = (await client.get(URL, params={"skipTotal": "1", "perPage": 1})).json()
    assert (skip["totalItems"], skip["totalPages"], len(skip["items"])) == (-1, -1, 1)
    past = (await client.get(URL, params={"page": 99})).json()
    assert past["items"] == [] and past["page"] == 99
    clamp = (await client.get(URL, params={"perPage": 5000})).json()
    assert clamp["perPage"] == 1000
    fields = (await client.get(URL, params={"fields": "id,views", "perPage": 1})).json()
    assert set(fields["items"][0]) == {"id", "views"}


async def test_list_totals_follow_every_change(
    client: httpx.AsyncClient, su: Headers, posts: dict[str, Any], sign_up: SignUp, core: Core
) -> None:
    """Totals are remembered while nothing changes (SQLite): every write, ours or another
    process's, shows in the next total."""
    ann, ann_auth = await sign_up("ann@example.com")
    await seed(client, su, ann, 3, published=True)
    query = {"filter": "views >= 10", "sort": "-views"}

    async def total() -> int:
        response = await client.get(URL, params=query, headers=ann_auth)
        assert response.status_code == 200, response.text
        value: int = response.json()["totalItems"]
        return value

    assert [await total(), await total()] == [2, 2]
    await seed(client, su, ann, 2, published=True)  # views 0 and 10
    assert await total() == 3
    # a write that bypasses this process (another worker, a node, a tool)
    await core.store.execute(
        f"UPDATE {core.store.dialect.quote(core.collections.get('posts').table)} "  # type: ignore[union-attr]
        "SET views = 0"
    )
    assert await total() == 0


@pytest.fixture
def no_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL's epoch moves only with commits (set before the app starts)."""
    monkeypatch.setattr(postgres, "EPOCH_TICK", 3600.0)


async def test_a_total_that_reads_the_clock_is_never_remembered(
    no_tick: None, client: httpx.AsyncClient, su: Headers
) -> None:
    """Nothing is written between the two lists, only time passes: the total must move."""
    events = {"name": "events", "fields": [{"name": "at", "type": "date"}], "listRule": ""}
    assert (await client.post("/api/collections", json=events, headers=su)).status_code == 200
    soon = datetime.now(UTC) + timedelta(seconds=1.1)
    at = soon.strftime("%Y-%m-%d %H:%M:%S.") + f"{soon.microsecond // 1000:03d}Z"
    created = await client.post("/api/collections/events/records", json={"at": at}, headers=su)
    assert created.status_code == 200, created.text
    query = {"filter": "at <= strftime('%Y-%m-%d %H:%M:%fZ', 'now')"}

    async def total() -> int:
        response = await client.get("/api/collections/events/records", params=query)
        assert response.status_code == 200, response.text
        value: int = response.json()["totalItems"]
        return value

    await asyncio.sleep(0.2)  # PostgreSQL: the create's own notification is back
    assert await total() == 0
    await asyncio.sleep(1.2)
    assert await total() == 1


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "views >"},
        {"filter": "nosuch = 1"},
        {"sort": "views desc"},
        {"sort": "nosuch"},
        {"page": "x"},
        {"perPage": "1.5"},
    ],
)
async def test_bad_queries_are_400(
    client: httpx.AsyncClient, posts: dict[str, Any], params: dict[str, str]
) -> None:
    response = await client.get(URL, params=params)
    assert response.status_code == 400
    assert response.json() == {
        "data": {},
        "message": "Something went wrong while processing your request.",
        "status": 400,
    }


async def test_request_and_collection_in_client_filters(
    client: httpx.AsyncClient, su: Headers, posts: dict[str, Any], sign_up: SignUp
) -> None:
    _, ann_auth = await sign_up("ann@example.com")
    for text, message in [
        ("author = @request.auth.id", "Only superusers can filter by @request."),
        ("@collection.users.id ?= author", "Only superusers can filter by @collection."),
    ]:
        response = await client.get(URL, params={"filter": text}, headers=ann_auth)
        assert response.status_code == 403
        assert response.json()["message"] == message
        assert (await client.get(URL, params={"filter": text}, headers=su)).status_code == 200


async def test_locked_rules_are_superuser_only(
    client: httpx.AsyncClient, su: Headers, sign_up: SignUp
) -> None:
    await client.post("/api/collections", json={"name": "locked"}, headers=su)
    _, ann_auth = await sign_up("ann@example.com")
    for method, url in [
        ("GET", "/api/collections/locked/records"),
        ("GET", "/api/collections/locked/records/abcdefghij12345"),
        ("POST", "/api/collections/locked/records"),
        ("PATCH", "/api/collections/locked/records/abcdefghij12345"),
        ("DELETE", "/api/collections/locked/records/abcdefghij12345"),
    ]:
        for headers in ({}, ann_auth):
            response = await client.request(method, url, headers=headers, json={})
            assert response.status_code == 403, (method, url)
            assert response.json()["message"] == "Only superusers can perform this action."


async def test_view_hidden_by_rule_is_404(
    client: httpx.AsyncClient, su: Headers, posts: dict[str, Any], sign_up: SignUp
) -> None:
    ann, ann_auth = await sign_up("ann@example.com")
    _, bob_auth = await sign_up("bob@example.com")
    [draft] = await seed(client, su, ann, 1, published=False)
    assert (await client.get(f"{URL}/{draft}", headers=ann_auth)).status_code == 200
    for headers in ({}, bob_auth):
        response = await client.get(f"{URL}/{draft}", headers=headers)
        assert response.status_code == 404
        assert response.json()["message"] == "The requested resource wasn't found."


async def test_create_rule_sees_the_submitted_record(
    client: httpx.AsyncClient, posts: dict[str, Any], sign_up: SignUp, core: Core
) -> None:
    ann, ann_auth = await sign_up("ann@example.com")
    bob, _ = await sign_up("bob@example.com")
    denied = {"data": {}, "message": "Failed to create record.", "status": 400}
    guest = await client.post(URL, json={"title": "x", "author": ann})
    assert (guest.status_code, guest.json()) == (400, denied)
    forged = await client.post(URL, json={"title": "x", "author": bob}, headers=ann_auth)
    assert (forged.status_code, forged.json()) == (400, denied)
    # a missing relation id is reported as such, before the rule (PocketBase validates the
    # record first), whether or not the rule holds
    missing = {
        "author": {
            "code": "validation_missing_rel_records",
            "message": "Failed to find all relation records with the provided ids.",
        }
    }
    for author in ("nobody000000000", ann + "x"):
        gone = await client.post(URL, json={"title": "x", "author": author}, headers=ann_auth)
        assert (gone.status_code, gone.json()["data"]) == (400, missing)
    assert await core.store.fetch_value('SELECT COUNT(*) FROM "posts"') == 0
    ok = await client.post(URL, json={"title": "mine", "author": ann}, headers=ann_auth)
    assert ok.status_code == 200, ok.text
    assert ok.json()["author"] == ann


async def test_update_and_delete_follow_the_rules(
    client: httpx.AsyncClient, su: Headers, posts: dict[str, Any], sign_up: SignUp, core: Core
) -> None:
    ann, ann_auth = await sign_up("ann@example.com")
    _, bob_auth = await sign_up("bob@example.com")
    [post] = await seed(client, su, ann, 1, published=True)
    stolen = await client.patch(f"{URL}/{post}", json={"title": "mine now"}, headers=bob_auth)
    assert stolen.status_code == 404
    assert (await client.delete(f"{URL}/{post}", headers=bob_auth)).status_code == 404
    updated = await client.patch(f"{URL}/{post}", json={"title": "edited"}, headers=ann_auth)
    assert updated.status_code == 200, updated.text
    assert updated.json()["title"] == "edited"
    invalid = await client.patch(f"{URL}/{post}", json={"views": -5}, headers=ann_auth)
    assert invalid.status_code == 400
    assert invalid.json()["message"] == "Failed to update record."
    assert invalid.json()["data"]["views"]["code"] == "validation_min_number_constraint"
    pk = await client.patch(f"{URL}/{post}", json={"id": "zzzzzzzzzzzzzzz"}, headers=ann_auth)
    assert pk.json()["data"]["id"]["code"] == "validation_pk_change"
    assert (await client.delete(f"{URL}/{post}", headers=ann_auth)).status_code == 204
    assert (await client.get(f"{URL}/{post}", headers=su)).status_code == 404
    actions = await core.store.fetch_all(
        'SELECT "action" FROM "_changes" WHERE "recordId" = ? ORDER BY "seq"', (post,)
    )
    assert [a["action"] for a in actions] == ["create", "update", "delete"]


async def test_relations(client: httpx.AsyncClient, su: Headers, posts: dict[str, Any]) -> None:
    comments = {
        "name": "comments",
        "fields": [
            {
                "name": "post",
                "type": "relation",
                "collectionId": posts["id"],
                "cascadeDelete": True,
            },
            {"name": "refs", "type": "relation", "collectionId": posts["id"], "maxSelect": 5},
            {"name": "pin", "type": "relation", "collectionId": posts["id"], "required": True},
        ],
    }
    assert (await client.post("/api/collections", json=comments, headers=su)).status_code == 200
    p1 = (await client.post(URL, json={"title": "p1"}, headers=su)).json()["id"]
    p2 = (await client.post(URL, json={"title": "p2"}, headers=su)).json()["id"]
    curl = "/api/collections/comments/records"
    missing = await client.post(curl, json={"post": "nope", "pin": p2}, headers=su)
    assert missing.json()["data"] == {
        "post": {
            "code": "validation_missing_rel_records",
            "message": "Failed to find all relation records with the provided ids.",
        }
    }
    c1 = (
        await client.post(curl, json={"post": p1, "refs": [p1, p2], "pin": p2}, headers=su)
    ).json()
    c2 = (await client.post(curl, json={"refs": [p1, p2], "pin": p2}, headers=su)).json()
    # p2 is pinned by both (required): it cannot go
    refused = await client.delete(f"{URL}/{p2}", headers=su)
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Failed to delete record. Make sure that the record is not part of a required relation"
        " reference."
    )
    # p1: c1 goes with it (cascade), c2 only loses the reference
    assert (await client.delete(f"{URL}/{p1}", headers=su)).status_code == 204
    assert (await client.get(f"{curl}/{c1['id']}", headers=su)).status_code == 404
    assert (await client.get(f"{curl}/{c2['id']}", headers=su)).json()["refs"] == [p2]


async def test_auth_record_updates(client: httpx.AsyncClient, su: Headers, sign_up: SignUp) -> None:
    ann, ann_auth = await sign_up("ann@example.com")
    url = f"/api/collections/users/records/{ann}"
    no_old = await client.patch(
        url, json={"password": "new-password", "passwordConfirm": "new-password"}, headers=ann_auth
    )
    assert no_old.json()["data"] == {
        "oldPassword": {"code": "validation_required", "message": "Cannot be blank."}
    }
    wrong_old = await client.patch(
        url,
        json={"password": "new-password", "passwordConfirm": "new-password", "oldPassword": "x"},
        headers=ann_auth,
    )
    assert wrong_old.json()["data"]["oldPassword"]["code"] == "validation_invalid_old_password"
    for body in ({"email": "other@example.com"}, {"verified": True}):
        response = await client.patch(url, json=body, headers=ann_auth)
        assert response.status_code == 400
        [error] = response.json()["data"].values()
        assert error["code"] == "validation_values_mismatch"
    changed = await client.patch(
        url,
        json={
            "password": "new-password",
            "passwordConfirm": "new-password",
            "oldPassword": "password-1",
        },
        headers=ann_auth,
    )
    assert changed.status_code == 200, changed.text
    # the old token is revoked; the new password signs in
    assert (await client.get(url, headers=ann_auth)).status_code == 404
    signed = await client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "ann@example.com", "password": "new-password"},
    )
    assert signed.status_code == 200
    # superusers may set email and verified directly
    by_su = await client.patch(
        url, json={"email": "ann2@example.com", "verified": True}, headers=su
    )
    assert by_su.status_code == 200, by_su.text
    assert by_su.json()["email"] == "ann2@example.com" and by_su.json()["verified"] is True


async def test_hidden_fields(client: httpx.AsyncClient, su: Headers) -> None:
    collection = {
        "name": "hid",
        "fields": [{"name": "a", "type": "text"}, {"name": "s", "type": "text", "hidden": True}],
        "listRule": "",
        "viewRule": "",
    }
    assert (await client.post("/api/collections", json=collection, headers=su)).status_code == 200
    created = await client.post(
        "/api/collections/hid/records", json={"a": "x", "s": "secret"}, headers=su
    )
    assert created.json()["s"] == "secret"  # superusers see hidden fields
    guest = (await client.get("/api/collections/hid/records")).json()
    assert "s" not in guest["items"][0]
    refused = await client.get("/api/collections/hid/records", params={"filter": "s = 'secret'"})
    assert refused.status_code == 400
    allowed = await client.get(
        "/api/collections/hid/records", params={"filter": "s = 'secret'"}, headers=su
    )
    assert allowed.json()["totalItems"] == 1
    me = await client.get("/api/collections/_superusers/records", headers=su)
    assert "tokenKey" not in me.json()["items"][0] and "password" not in me.json()["items"][0]


async def test_rules_see_the_request_headers_query_and_auth_collection(
    client: httpx.AsyncClient, su: Headers, sign_up: SignUp
) -> None:
    notes = {
        "name": "notes",
        "fields": [{"name": "t", "type": "text"}],
        "listRule": "@request.headers.x_team = 'red' && @request.query.mode = 'live' "
        "&& @request.auth.collectionName = 'users' && @request.auth.email != ''",
    }
    assert (await client.post("/api/collections", json=notes, headers=su)).status_code == 200
    url = "/api/collections/notes/records"
    assert (await client.post(url, json={"t": "x"}, headers=su)).status_code == 200
    _, ann = await sign_up("ann@example.com")

    async def seen(headers: Headers, query: str) -> int:
        response = await client.get(f"{url}{query}", headers=headers)
        assert response.status_code == 200, response.text
        total: int = response.json()["totalItems"]
        return total

    assert await seen({**ann, "X-Team": "red"}, "?mode=live") == 1
    assert await seen({**ann, "x-team": "red"}, "?mode=live") == 1  # any case
    assert await seen({**ann, "X-Team": "blue"}, "?mode=live") == 0
    assert await seen({**ann, "X-Team": "red"}, "") == 0
    assert await seen({"X-Team": "red"}, "?mode=live") == 0  # a guest has no collection
