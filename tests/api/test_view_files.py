"""Files of view collections: a view's file field serves the files of the base record its
column selects (through other views too), under the view's own rules, as PocketBase does.
Local folder and S3 (moto), SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx

from ferrybase.core.app import Core
from tests.api.test_files import create, png, s3_server, storage_kind, su

__all__ = ["s3_server", "storage_kind", "su"]  # the fixtures of test_files


async def make_view(
    client: httpx.AsyncClient, su: dict[str, str], name: str, query: str, view_rule: str | None
) -> dict[str, Any]:
    view = {"name": name, "type": "view", "viewQuery": query, "listRule": "", "viewRule": view_rule}
    made = await client.post("/api/collections", json=view, headers=su)
    assert made.status_code == 200, made.text
    definition: dict[str, Any] = made.json()
    return definition


async def test_view_serves_the_base_records_files(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    image = png(200, 120)
    record = (
        await create(
            client,
            [
                ("avatar", ("pic.png", image)),
                ("files", ("one.txt", b"one")),
                ("files", ("two.txt", b"two")),
            ],
            title="t",
        )
    ).json()
    other = (await create(client, [("files", ("three.txt", b"three"))])).json()
    view = await make_view(
        client,
        su,
        "docs_view",
        "SELECT d.id, d.title, d.avatar AS picture, d.files AS attachments FROM docs d",
        "",
    )
    fields = {f["name"]: f for f in view["fields"]}
    assert fields["picture"]["type"] == "file" and fields["attachments"]["maxSelect"] == 3

    base = f"/api/files/docs_view/{record['id']}"
    picture = await client.get(f"{base}/{record['avatar']}")
    assert picture.status_code == 200 and picture.content == image
    assert picture.headers["content-disposition"] == f'inline; filename="{record["avatar"]}"'
    for name, body in zip(record["files"], (b"one", b"two"), strict=True):
        got = await client.get(f"{base}/{name}")  # a multi-valued field: found in the list
        assert got.status_code == 200 and got.content == body
    by_id = await client.get(f"/api/files/{view['id']}/{record['id']}/{record['files'][1]}")
    assert by_id.status_code == 200 and by_id.content == b"two"
    ranged = await client.get(f"{base}/{record['files'][0]}", headers={"Range": "bytes=1-"})
    assert ranged.status_code == 206 and ranged.content == b"ne"

    # the thumbnail is made once, in the base record's folder, and the base serves it too
    thumb = await client.get(f"{base}/{record['avatar']}", params={"thumb": "50x0"})
    assert thumb.status_code == 200
    assert thumb.headers["content-disposition"] == f'inline; filename="50x0_{record["avatar"]}"'
    storage = await core.files.storage()
    made = (
        f"{record['collectionId']}/{record['id']}/thumbs_{record['avatar']}/50x0_{record['avatar']}"
    )
    assert await storage.stat(made) is not None

    # another record's file, under this record's id: not this view record's file
    assert (await client.get(f"{base}/{other['files'][0]}")).status_code == 404
    assert (
        await client.get(f"/api/files/docs_view/nosuchrecord00/{record['avatar']}")
    ).status_code == 404


async def test_view_of_a_view_and_columns_that_are_not_files(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    record = (await create(client, [("files", ("a.txt", b"a"))], title="x")).json()
    await make_view(client, su, "docs_view", "SELECT id, title, files FROM docs", "")
    await make_view(client, su, "docs_view2", "SELECT id, files AS again FROM docs_view", "")
    got = await client.get(f"/api/files/docs_view2/{record['id']}/{record['files'][0]}")
    assert got.status_code == 200 and got.content == b"a"
    # a computed column is a json field, not a file field: nothing to serve
    await make_view(client, su, "docs_json", "SELECT id, (files) AS stuff FROM docs", "")
    missing = await client.get(f"/api/files/docs_json/{record['id']}/{record['files'][0]}")
    assert missing.status_code == 404
    # a deleted base record: the view record is gone with it
    assert (await client.delete(f"/api/collections/docs/records/{record['id']}")).status_code == 204
    gone = await client.get(f"/api/files/docs_view2/{record['id']}/{record['files'][0]}")
    assert gone.status_code == 404


async def test_protected_files_of_a_view_follow_the_views_rule(
    client: httpx.AsyncClient, su: dict[str, str]
) -> None:
    record = (
        await create(
            client, [("private", ("secret.txt", b"secret")), ("files", ("open.txt", b"open"))]
        )
    ).json()
    # the base collection's view rule is public; the view's is superusers only
    await make_view(client, su, "locked_view", "SELECT id, private, files FROM docs", None)
    url = f"/api/files/locked_view/{record['id']}/{record['private']}"
    assert (await client.get(url)).status_code == 404
    su_token = (await client.post("/api/files/token", headers=su)).json()["token"]
    allowed = await client.get(url, params={"token": su_token})
    assert allowed.status_code == 200 and allowed.content == b"secret"
    # unprotected files stay public whatever the view's rule
    public = await client.get(f"/api/files/locked_view/{record['id']}/{record['files'][0]}")
    assert public.status_code == 200 and public.content == b"open"
