"""View collections: read-only records defined by a SELECT, fields found from its columns."""

from __future__ import annotations

import httpx
import pytest

Headers = dict[str, str]


@pytest.fixture
async def su(client: httpx.AsyncClient, superuser_token: str) -> Headers:
    headers = {"Authorization": superuser_token}
    posts = {
        "name": "posts",
        "fields": [
            {"name": "title", "type": "text", "max": 50},
            {"name": "views", "type": "number"},
            {"name": "tags", "type": "select", "maxSelect": 2, "values": ["a", "b"]},
        ],
    }
    assert (await client.post("/api/collections", json=posts, headers=headers)).status_code == 200
    for i in range(3):
        body = {"title": f"t{i}", "views": i * 10, "tags": ["a"]}
        await client.post("/api/collections/posts/records", json=body, headers=headers)
    return headers


async def test_view_collection(client: httpx.AsyncClient, su: Headers) -> None:
    view = {
        "name": "popular",
        "type": "view",
        "viewQuery": "SELECT p.id, p.title, p.tags, (p.views * 2) AS doubled FROM posts p "
        "WHERE p.views >= 10",
        "listRule": "",
        "viewRule": "",
    }
    response = await client.post("/api/collections", json=view, headers=su)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "view" and body["viewQuery"] == view["viewQuery"]
    fields = {f["name"]: f for f in body["fields"]}
    assert list(fields) == ["id", "title", "tags", "doubled"]
    assert fields["id"]["primaryKey"] is True
    assert fields["title"]["type"] == "text" and fields["title"]["max"] == 50
    assert fields["title"]["id"].startswith("_clone_")
    assert fields["tags"]["type"] == "select" and fields["tags"]["maxSelect"] == 2
    assert fields["doubled"]["type"] == "json"
    listed = (await client.get("/api/collections/popular/records", params={"sort": "title"})).json()
    assert [(i["title"], i["doubled"], i["tags"]) for i in listed["items"]] == [
        ("t1", 20, ["a"]),
        ("t2", 40, ["a"]),
    ]
    filtered = await client.get(
        "/api/collections/popular/records", params={"filter": "doubled > 30"}
    )
    assert [i["title"] for i in filtered.json()["items"]] == ["t2"]
    one = listed["items"][0]["id"]
    assert (await client.get(f"/api/collections/popular/records/{one}")).status_code == 200
    # read-only
    for method, url in [
        ("POST", "/api/collections/popular/records"),
        ("PATCH", f"/api/collections/popular/records/{one}"),
        ("DELETE", f"/api/collections/popular/records/{one}"),
    ]:
        refused = await client.request(method, url, json={}, headers=su)
        assert refused.status_code == 400
        assert refused.json()["message"] == "Unsupported collection type."
    # its source cannot be deleted while it exists
    blocked = await client.delete("/api/collections/posts", headers=su)
    assert blocked.status_code == 400
    # the query can change
    changed = await client.patch(
        "/api/collections/popular",
        json={"viewQuery": "SELECT id, views FROM posts"},
        headers=su,
    )
    assert changed.status_code == 200, changed.text
    assert [f["name"] for f in changed.json()["fields"]] == ["id", "views"]
    assert (await client.get("/api/collections/popular/records")).json()["totalItems"] == 3
    assert (await client.delete("/api/collections/popular", headers=su)).status_code == 204
    assert (await client.delete("/api/collections/posts", headers=su)).status_code == 204


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("", {"fields": "validation_required", "viewQuery": "validation_required"}),
        (
            "SELECT title FROM posts",
            {
                "fields": "validation_missing_primary_key",
                "viewQuery": "validation_invalid_view_query",
            },
        ),
        (
            "DELETE FROM posts",
            {"fields": "validation_required", "viewQuery": "validation_invalid_view_query"},
        ),
        (
            "SELECT id FROM posts; DROP TABLE posts",
            {"fields": "validation_required", "viewQuery": "validation_invalid_view_query"},
        ),
        (
            "SELECT id FROM nosuch",
            {"fields": "validation_required", "viewQuery": "validation_invalid_view_query"},
        ),
    ],
)
async def test_bad_view_queries(
    client: httpx.AsyncClient, su: Headers, query: str, codes: dict[str, str]
) -> None:
    body = {"name": "v", "type": "view", "viewQuery": query}
    response = await client.post("/api/collections", json=body, headers=su)
    assert response.status_code == 400, response.text
    assert {k: v["code"] for k, v in response.json()["data"].items()} == codes
    assert (await client.get("/api/collections/v", headers=su)).status_code == 404
    assert (await client.get("/api/collections/posts/records", headers=su)).json()[
        "totalItems"
    ] == 3
