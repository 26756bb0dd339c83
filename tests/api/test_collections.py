"""The collections API: create, view, list, update with schema changes, delete, truncate."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from ferrybase.config import Config
from ferrybase.core.app import Core
from ferrybase.server import open_core


@pytest.fixture
def su(superuser_token: str) -> dict[str, str]:
    return {"Authorization": superuser_token}


async def create(client: httpx.AsyncClient, su: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post("/api/collections", json=body, headers=su)


POSTS = {
    "name": "posts",
    "fields": [
        {"name": "title", "type": "text", "required": True, "max": 200},
        {"name": "views", "type": "number", "min": 0, "onlyInt": True},
        {"name": "tags", "type": "select", "maxSelect": 3, "values": ["a", "b", "c"]},
    ],
    "indexes": ["CREATE INDEX `idx_posts_title` ON `posts` (`title`)"],
    "listRule": "",
    "viewRule": "",
}


async def test_create_base_collection(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    response = await create(client, su, **POSTS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "pbc_1125843985"
    assert body["type"] == "base" and body["system"] is False
    assert [f["name"] for f in body["fields"]] == ["id", "title", "views", "tags"]
    assert body["fields"][0]["primaryKey"] is True
    assert body["fields"][1] == {
        "autogeneratePattern": "",
        "help": "",
        "hidden": False,
        "id": "text724990059",
        "max": 200,
        "min": 0,
        "name": "title",
        "pattern": "",
        "presentable": False,
        "primaryKey": False,
        "required": True,
        "system": False,
        "type": "text",
    }
    assert body["listRule"] == "" and body["createRule"] is None
    assert body["indexes"] == POSTS["indexes"]
    assert body["created"] == body["updated"] != ""
    viewed = await client.get("/api/collections/posts", headers=su)
    assert viewed.json() == body
    by_id = await client.get(f"/api/collections/{body['id']}", headers=su)
    assert by_id.json() == body


async def test_records_live_in_the_new_table(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    await create(client, su, **POSTS)
    created = await client.post(
        "/api/collections/posts/records", json={"title": "Hello", "views": "12"}, headers=su
    )
    assert created.status_code == 200, created.text
    record = created.json()
    assert record["title"] == "Hello" and record["views"] == 12
    assert (await client.get(f"/api/collections/posts/records/{record['id']}")).json() == record


async def test_create_validation(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    await create(client, su, **POSTS)
    duplicate = await create(client, su, name="POSTS")
    assert duplicate.status_code == 400
    assert duplicate.json() == {
        "data": {
            "name": {
                "code": "validation_collection_name_exists",
                "message": "Collection name must be unique (case insensitive).",
            }
        },
        "message": "Failed to create collection.",
        "status": 400,
    }
    blank = await create(client, su)
    assert blank.json()["data"] == {
        "name": {"code": "validation_required", "message": "Cannot be blank."}
    }
    bad = await create(client, su, name="a-b")
    assert bad.json()["data"]["name"]["code"] == "validation_match_invalid"
    index = await create(
        client,
        su,
        name="x",
        indexes=["DROP TABLE posts", "CREATE INDEX `idx_x` ON `x` (`nosuch`)"],
    )
    assert index.json()["data"] == {
        "indexes": {
            "0": {
                "code": "validation_invalid_index_expression",
                "message": "Invalid CREATE INDEX expression.",
            },
            "1": {
                "code": "validation_invalid_index_expression",
                "message": (
                    "Failed to create index idx_x - SQL logic error: no such column: nosuch (1)."
                ),
            },
        }
    }


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'{"name":"x","fields":[{"name":"a","type":"zzz"}]}',
        b'{"name":"x","listRule":5}',
        b'{"name":5}',
    ],
)
async def test_malformed_definitions_cannot_load(
    client: httpx.AsyncClient, su: dict[str, str], body: bytes
) -> None:
    response = await client.post(
        "/api/collections", content=body, headers={**su, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["data"] == {}
    assert response.json()["message"].startswith("Failed to load the")


async def test_unknown_type_is_a_validation_error(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    response = await create(client, su, name="x", type="nope")
    assert response.status_code == 400
    assert response.json() == {
        "data": {"type": {"code": "validation_in_invalid", "message": "Must be a valid value."}},
        "message": "Failed to create collection.",
        "status": 400,
    }


async def test_superusers_only(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    guest = await client.get("/api/collections")
    assert guest.status_code == 401
    signup = {"email": "u@example.com", "password": "12345678", "passwordConfirm": "12345678"}
    assert (await client.post("/api/collections/users/records", json=signup)).status_code == 200
    token = (
        await client.post(
            "/api/collections/users/auth-with-password",
            json={"identity": "u@example.com", "password": "12345678"},
        )
    ).json()["token"]
    user = await client.get("/api/collections", headers={"Authorization": token})
    assert user.status_code == 403
    assert user.json()["message"] == "The authorized record is not allowed to perform this action."


async def test_list(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    await create(client, su, **POSTS)
    response = await client.get("/api/collections", headers=su)
    body = response.json()
    assert [c["name"] for c in body["items"]] == [
        "_mfas",
        "_otps",
        "_externalAuths",
        "_authOrigins",
        "_superusers",
        "users",
        "posts",
    ]
    assert (body["page"], body["perPage"], body["totalItems"], body["totalPages"]) == (1, 30, 7, 1)
    paged = (await client.get("/api/collections?perPage=2&page=2&skipTotal=1", headers=su)).json()
    assert [c["name"] for c in paged["items"]] == ["_externalAuths", "_authOrigins"]
    assert (paged["totalItems"], paged["totalPages"]) == (-1, -1)
    bad = await client.get("/api/collections?page=x", headers=su)
    assert bad.status_code == 400


async def test_update_keeps_data_through_renames(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    collection = (await create(client, su, **POSTS)).json()
    record = (
        await client.post(
            "/api/collections/posts/records",
            json={"title": "Kept", "views": 3, "tags": ["a", "b"]},
            headers=su,
        )
    ).json()
    fields = collection["fields"]
    fields[1]["name"] = "headline"  # rename, matched by id
    fields = [f for f in fields if f["name"] != "views"]  # drop
    fields.append({"name": "body", "type": "text"})  # add
    fields[2]["maxSelect"] = 1  # tags becomes single: keeps the last value
    response = await client.patch(
        "/api/collections/posts",
        json={"name": "articles", "fields": fields, "indexes": [], "listRule": None},
        headers=su,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "articles" and updated["id"] == collection["id"]
    assert updated["listRule"] is None and updated["viewRule"] == ""
    assert [f["name"] for f in updated["fields"]] == ["id", "headline", "tags", "body"]
    viewed = await client.get(f"/api/collections/articles/records/{record['id']}", headers=su)
    assert viewed.json() == {
        "body": "",
        "collectionId": collection["id"],
        "collectionName": "articles",
        "headline": "Kept",
        "id": record["id"],
        "tags": "b",
    }
    # ... and back to many
    fields = updated["fields"]
    fields[2]["maxSelect"] = 2
    back = await client.patch("/api/collections/articles", json={"fields": fields}, headers=su)
    assert back.status_code == 200, back.text
    again = await client.get(f"/api/collections/articles/records/{record['id']}", headers=su)
    assert again.json()["tags"] == ["b"]
    history = await core.store.fetch_all(
        'SELECT "file" FROM "_migrations" WHERE "change" IS NOT NULL ORDER BY "applied"'
    )
    assert [h["file"].split("_", 1)[1] for h in history] == [
        "created_posts",
        "updated_articles",
        "updated_articles",
    ]


async def test_type_changes_are_refused_and_change_nothing(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    collection = (await create(client, su, **POSTS)).json()
    fields = copy.deepcopy(collection["fields"])
    fields[2]["type"] = "text"
    response = await client.patch("/api/collections/posts", json={"fields": fields}, headers=su)
    assert response.status_code == 400
    assert response.json()["data"] == {
        "fields": {
            "2": {
                "code": "validation_field_type_change",
                "message": "Field type cannot be changed.",
            }
        }
    }
    assert (await client.get("/api/collections/posts", headers=su)).json() == collection


async def test_failed_change_rolls_back(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    collection = (await create(client, su, **POSTS)).json()
    await client.post("/api/collections/posts/records", json={"title": "dup"}, headers=su)
    await client.post("/api/collections/posts/records", json={"title": "dup"}, headers=su)
    # A unique index the data breaks: the whole change must be undone.
    fields = [*copy.deepcopy(collection["fields"]), {"name": "extra", "type": "text"}]
    response = await client.patch(
        "/api/collections/posts",
        json={
            "name": "renamed",
            "fields": fields,
            "indexes": ["CREATE UNIQUE INDEX `idx_u` ON `renamed` (`title`)"],
        },
        headers=su,
    )
    assert response.status_code == 400
    assert response.json()["data"] == {
        "indexes": {
            "0": {
                "code": "validation_invalid_index_expression",
                "message": "Failed to create index idx_u - UNIQUE constraint failed.",
            }
        }
    }
    assert (await client.get("/api/collections/posts", headers=su)).json() == collection
    listed = await client.get("/api/collections/renamed", headers=su)
    assert listed.status_code == 404
    records = await client.get("/api/collections/posts/records/" + "x" * 15, headers=su)
    assert records.status_code == 404  # the table is still there under its old name


async def test_delete(client: httpx.AsyncClient, su: dict[str, str], core: Core) -> None:
    posts = (await create(client, su, **POSTS)).json()
    ref = {
        "name": "kitchen",
        "fields": [{"name": "post", "type": "relation", "collectionId": posts["id"]}],
    }
    kitchen = await create(client, su, **ref)
    assert kitchen.status_code == 200, kitchen.text
    refused = await client.delete("/api/collections/posts", headers=su)
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Failed to delete collection probably due to existing reference in kitchen."
    )
    system = await client.delete("/api/collections/_mfas", headers=su)
    assert system.status_code == 400
    assert system.json()["message"] == "Failed to delete collection."
    assert (await client.delete("/api/collections/kitchen", headers=su)).status_code == 204
    assert (await client.delete("/api/collections/posts", headers=su)).status_code == 204
    assert (await client.get("/api/collections/posts", headers=su)).status_code == 404
    assert (await client.delete("/api/collections/posts", headers=su)).status_code == 404
    # the name is free again
    assert (await create(client, su, **POSTS)).status_code == 200


async def test_truncate(client: httpx.AsyncClient, su: dict[str, str], core: Core) -> None:
    await create(client, su, **POSTS)
    for i in range(3):
        await client.post("/api/collections/posts/records", json={"title": f"t{i}"}, headers=su)
    response = await client.delete("/api/collections/posts/truncate", headers=su)
    assert response.status_code == 204
    assert await core.store.fetch_value('SELECT COUNT(*) FROM "posts"') == 0
    deletes = await core.store.fetch_value(
        'SELECT COUNT(*) FROM "_changes" WHERE "collectionName" = ? AND "action" = ?',
        ("posts", "delete"),
    )
    assert deletes == 3


async def test_scaffolds(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    body = (await client.get("/api/collections/meta/scaffolds", headers=su)).json()
    assert sorted(body) == ["auth", "base", "view"]
    assert [f["name"] for f in body["base"]["fields"]] == ["id"]
    assert [f["name"] for f in body["auth"]["fields"]] == [
        "id",
        "password",
        "tokenKey",
        "email",
        "emailVisibility",
        "verified",
    ]
    assert body["view"]["fields"] == [] and body["view"]["viewQuery"] == ""
    assert body["base"]["id"] == "" and body["base"]["name"] == ""


async def test_another_process_sees_catalog_changes(
    client: httpx.AsyncClient, su: dict[str, str], config: Config
) -> None:
    # A second core on the same database stands in for another worker or node.
    other = await open_core(config, migrate=False)
    try:
        assert other.collections.get("posts") is None
        await create(client, su, **POSTS)
        await other.collections.refresh(other.store)
        assert other.collections.get("posts") is not None
    finally:
        await other.close()


async def test_field_definition_errors(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    response = await create(
        client,
        su,
        name="bad",
        fields=[
            {"name": "s", "type": "select"},
            {"name": "r", "type": "relation", "collectionId": "nope"},
            {"name": "b c", "type": "text"},
        ],
    )
    assert response.status_code == 400
    fields = response.json()["data"]["fields"]
    # the system id field is index 0
    assert fields["1"]["values"]["code"] == "validation_required"
    assert fields["2"]["collectionId"]["code"] == "validation_field_relation_missing_collection"
    assert fields["3"]["name"]["code"] == "validation_match_invalid"


async def test_import(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    await create(client, su, **POSTS)
    await create(client, su, name="doomed")
    payload = {
        "collections": [
            {"name": "imp1", "fields": [{"name": "a", "type": "text"}]},
            {"id": "pbc_linked0001", "name": "linked", "fields": []},
            {
                "name": "refs",
                "fields": [{"name": "l", "type": "relation", "collectionId": "pbc_linked0001"}],
            },
        ]
    }
    response = await client.put("/api/collections/import", json=payload, headers=su)
    assert response.status_code == 204, response.text
    names = [c["name"] for c in (await client.get("/api/collections", headers=su)).json()["items"]]
    assert names[-5:] == ["posts", "doomed", "imp1", "linked", "refs"]
    # an existing collection is matched by name and changed; missing ones go when asked
    again = {
        "collections": [{"name": "imp1", "fields": [{"name": "b", "type": "text"}]}],
        "deleteMissing": True,
    }
    response = await client.put("/api/collections/import", json=again, headers=su)
    assert response.status_code == 204, response.text
    items = (await client.get("/api/collections", headers=su)).json()["items"]
    assert [c["name"] for c in items if not c["system"]] == ["imp1"]
    assert [f["name"] for f in items[-1]["fields"]] == ["id", "b"]


async def test_import_is_all_or_nothing(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    payload = {"collections": [{"name": "fine"}, {"name": "bad name"}]}
    response = await client.put("/api/collections/import", json=payload, headers=su)
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Failed to import collections."
    assert body["data"]["collections"]["code"] == "validation_collections_import_failure"
    assert (await client.get("/api/collections/fine", headers=su)).status_code == 404
    empty = await client.put("/api/collections/import", json={"collections": []}, headers=su)
    assert empty.json()["data"] == {
        "collections": {"code": "validation_required", "message": "Cannot be blank."}
    }
    bad = await client.put("/api/collections/import", json={"collections": 5}, headers=su)
    assert bad.json()["message"] == "An error occurred while loading the submitted data."


async def test_list_filter_and_sort(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    await create(client, su, **POSTS)
    await create(client, su, name="books")
    body = (
        await client.get(
            "/api/collections", params={"filter": "system = false", "sort": "-name"}, headers=su
        )
    ).json()
    assert [c["name"] for c in body["items"]] == ["users", "posts", "books"]
    assert body["totalItems"] == 3
    like = (
        await client.get("/api/collections", params={"filter": "name ~ 'oo'"}, headers=su)
    ).json()
    assert [c["name"] for c in like["items"]] == ["books"]
    for params in ({"filter": "nope = 1"}, {"sort": "nope"}):
        bad = await client.get("/api/collections", params=params, headers=su)
        assert bad.status_code == 400


async def test_partial_auth_options_keep_the_rest(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    on = await client.patch(
        "/api/collections/users", json={"otp": {"enabled": True, "length": 6}}, headers=su
    )
    assert on.status_code == 200, on.text
    longer = await client.patch(
        "/api/collections/users", json={"otp": {"duration": 900}}, headers=su
    )
    assert longer.json()["otp"] | {"emailTemplate": None} == {
        "enabled": True,
        "duration": 900,
        "length": 6,
        "emailTemplate": None,
    }
