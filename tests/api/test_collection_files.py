"""Truncating or deleting a collection removes its files once the change has committed, as
PocketBase deletes a deleted model's files after the delete succeeds (records deleted in
cascade included). Local folder and S3 (moto), SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx

from ferrybase.core.app import Core
from tests.api.test_files import create, png, s3_server, storage_kind, stored, su

__all__ = ["s3_server", "storage_kind", "su"]  # the fixtures of test_files


async def children_of_docs(
    client: httpx.AsyncClient, su: dict[str, str], *, required: bool = False
) -> None:
    docs = (await client.get("/api/collections/docs", headers=su)).json()
    relation: dict[str, Any] = {"name": "doc", "type": "relation", "collectionId": docs["id"]}
    relation |= {"required": True} if required else {"cascadeDelete": True}
    children = {
        "name": "children",
        "fields": [relation, {"name": "att", "type": "file"}],
        "createRule": "",
    }
    assert (await client.post("/api/collections", json=children, headers=su)).status_code == 200


async def child_of(client: httpx.AsyncClient, parent: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        "/api/collections/children/records",
        data={"doc": parent["id"]},
        files=[("att", ("c.txt", b"child"))],
    )
    assert response.status_code == 200, response.text
    child: dict[str, Any] = response.json()
    return child


async def test_truncate_removes_the_files(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    await children_of_docs(client, su)
    first = (await create(client, [("files", ("a.txt", b"a")), ("files", ("b.txt", b"b"))])).json()
    second = (await create(client, [("files", ("c.txt", b"c"))], title="no thumbs")).json()
    child = await child_of(client, first)
    thumbed = await create(client, [("avatar", ("p.png", png()))])
    assert thumbed.status_code == 200, thumbed.text
    image = thumbed.json()
    url = f"/api/files/docs/{image['id']}/{image['avatar']}"
    assert (await client.get(url, params={"thumb": "100x100"})).status_code == 200

    truncated = await client.delete("/api/collections/docs/truncate", headers=su)
    assert truncated.status_code == 204, truncated.text
    for record, name in [
        (first, first["files"][0]),
        (first, first["files"][1]),
        (second, second["files"][0]),
        (child, child["att"]),  # deleted in cascade
        (image, image["avatar"]),
    ]:
        assert not await stored(core, record, name)
    storage = await core.files.storage()
    thumb = (
        f"{image['collectionId']}/{image['id']}/thumbs_{image['avatar']}/100x100_{image['avatar']}"
    )
    assert await storage.stat(thumb) is None
    assert (await client.get(url)).status_code == 404

    # the collection lives on: new files go in and out as before
    again = (await create(client, [("files", ("d.txt", b"d"))])).json()
    assert await stored(core, again, again["files"][0])


async def test_a_refused_truncate_keeps_the_files(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    await children_of_docs(client, su, required=True)
    parent = (await create(client, [("files", ("a.txt", b"a"))])).json()
    child = await child_of(client, parent)
    refused = await client.delete("/api/collections/docs/truncate", headers=su)
    assert refused.status_code == 400, refused.text
    assert refused.json()["message"].startswith("Failed to truncate collection")
    assert await stored(core, parent, parent["files"][0])
    assert await stored(core, child, child["att"])
    got = await client.get(f"/api/files/docs/{parent['id']}/{parent['files'][0]}")
    assert got.status_code == 200 and got.content == b"a"


async def test_delete_removes_the_collections_files(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    await children_of_docs(client, su)
    parent = (await create(client, [("files", ("a.txt", b"a"))])).json()
    child = await child_of(client, parent)

    # referenced by children: refused, nothing deleted
    refused = await client.delete("/api/collections/docs", headers=su)
    assert refused.status_code == 400
    assert await stored(core, parent, parent["files"][0])

    assert (await client.delete("/api/collections/children", headers=su)).status_code == 204
    assert not await stored(core, child, child["att"])
    assert await stored(core, parent, parent["files"][0])  # another collection's: kept
    assert (await client.delete("/api/collections/docs", headers=su)).status_code == 204
    assert not await stored(core, parent, parent["files"][0])
    missing = await client.get(f"/api/files/{parent['collectionId']}/{parent['id']}/a.txt")
    assert missing.status_code == 404


async def test_import_with_delete_missing_removes_the_files(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    record = (await create(client, [("files", ("a.txt", b"a"))])).json()
    keep = {"name": "kept", "type": "base", "fields": [{"name": "title", "type": "text"}]}
    imported = await client.put(
        "/api/collections/import",
        json={"collections": [keep], "deleteMissing": True},
        headers=su,
    )
    assert imported.status_code == 204, imported.text
    assert (await client.get("/api/collections/docs", headers=su)).status_code == 404
    assert not await stored(core, record, record["files"][0])
