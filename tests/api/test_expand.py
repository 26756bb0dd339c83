"""``expand``: relations and back-relations, nested, with the view rules of what is expanded."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

Headers = dict[str, str]


@pytest.fixture
async def data(client: httpx.AsyncClient, superuser_token: str) -> dict[str, Any]:
    su = {"Authorization": superuser_token}
    authors = {
        "name": "authors",
        "fields": [{"name": "name", "type": "text"}, {"name": "secret", "type": "bool"}],
        "viewRule": "secret = false",
        "listRule": "",
    }
    a = (await client.post("/api/collections", json=authors, headers=su)).json()
    posts = {
        "name": "posts",
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "author", "type": "relation", "collectionId": a["id"]},
            {"name": "coauthors", "type": "relation", "collectionId": a["id"], "maxSelect": 9},
        ],
        "listRule": "",
        "viewRule": "",
    }
    p = (await client.post("/api/collections", json=posts, headers=su)).json()
    comments = {
        "name": "comments",
        "fields": [
            {"name": "text", "type": "text"},
            {"name": "post", "type": "relation", "collectionId": p["id"]},
        ],
        "listRule": "",
        "viewRule": "",
    }
    assert (await client.post("/api/collections", json=comments, headers=su)).status_code == 200

    async def make(collection: str, **body: Any) -> str:
        response = await client.post(
            f"/api/collections/{collection}/records", json=body, headers=su
        )
        assert response.status_code == 200, response.text
        record_id: str = response.json()["id"]
        return record_id

    ann = await make("authors", name="Ann")
    hid = await make("authors", name="Hidden", secret=True)
    post = await make("posts", title="P", author=ann, coauthors=[hid, ann])
    lonely = await make("posts", title="Lonely")
    c1 = await make("comments", text="one", post=post)
    c2 = await make("comments", text="two", post=post)
    return {"ann": ann, "hid": hid, "post": post, "lonely": lonely, "comments": [c1, c2], "su": su}


async def test_forward_and_nested_back_relations(
    client: httpx.AsyncClient, data: dict[str, Any]
) -> None:
    url = f"/api/collections/posts/records/{data['post']}"
    body = (
        await client.get(url, params={"expand": "author,coauthors,comments_via_post.post"})
    ).json()
    expand = body["expand"]
    assert expand["author"]["id"] == data["ann"] and expand["author"]["name"] == "Ann"
    # the hidden author is left out for a guest (its view rule), order kept
    assert [a["id"] for a in expand["coauthors"]] == [data["ann"]]
    assert [c["id"] for c in expand["comments_via_post"]] == data["comments"]
    assert expand["comments_via_post"][0]["expand"]["post"]["id"] == data["post"]
    # superusers see everything
    su = (await client.get(url, params={"expand": "coauthors"}, headers=data["su"])).json()
    assert [a["id"] for a in su["expand"]["coauthors"]] == [data["hid"], data["ann"]]


async def test_expand_never_fails(client: httpx.AsyncClient, data: dict[str, Any]) -> None:
    url = f"/api/collections/posts/records/{data['lonely']}"
    body = (await client.get(url, params={"expand": "author,nope,x_via_y,title"})).json()
    assert body["expand"] == {}
    listed = (
        await client.get("/api/collections/posts/records", params={"expand": "author"})
    ).json()
    assert [("expand" in i, bool(i["expand"])) for i in listed["items"]] == [
        (True, True),
        (True, False),
    ]
    plain = (await client.get(url)).json()
    assert "expand" not in plain


async def test_expand_with_fields(client: httpx.AsyncClient, data: dict[str, Any]) -> None:
    url = f"/api/collections/posts/records/{data['post']}"
    body = (
        await client.get(url, params={"expand": "author", "fields": "id,expand.author.name"})
    ).json()
    assert body == {"id": data["post"], "expand": {"author": {"name": "Ann"}}}
