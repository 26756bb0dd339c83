"""Files: uploads, downloads, thumbnails, protected files and their clean-up.

Every test runs on SQLite and PostgreSQL, with the local folder and with an S3-compatible
server (moto) as the storage.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.types import Message

from ferrybase.api import files as api_files
from ferrybase.core.app import Core
from ferrybase.core.files import file_key, thumb_key
from ferrybase.files.memory import MemoryStorage
from tests.support.s3 import S3Server, s3_server

__all__ = ["s3_server"]  # the fixture, for the S3 variants

NAME = re.compile(r"^[a-z0-9_]+_[a-z0-9]{10}\.[A-Za-z0-9]+$")

DOCS: dict[str, Any] = {
    "name": "docs",
    "fields": [
        {"name": "title", "type": "text"},
        {
            "name": "avatar",
            "type": "file",
            "maxSelect": 1,
            "maxSize": 20000,
            "mimeTypes": ["image/png", "image/jpeg"],
            "thumbs": ["50x0", "20x20f"],
        },
        {"name": "files", "type": "file", "maxSelect": 3},
        {"name": "private", "type": "file", "maxSelect": 1, "protected": True},
        {"name": "owner", "type": "text"},
    ],
    "listRule": "",
    "viewRule": "",
    "createRule": "",
    "updateRule": "",
    "deleteRule": "",
}
URL = "/api/collections/docs/records"


def png(width: int = 200, height: int = 120, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(params=["local", "s3"])
def storage_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
async def su(
    client: httpx.AsyncClient,
    superuser_token: str,
    storage_kind: str,
    request: pytest.FixtureRequest,
) -> AsyncIterator[dict[str, str]]:
    headers = {"Authorization": superuser_token}
    if storage_kind == "s3":
        s3: S3Server = request.getfixturevalue("s3_server")
        bucket = s3.new_bucket()
        settings = {"s3": s3.settings(bucket)}
        response = await client.patch("/api/settings", json=settings, headers=headers)
        assert response.status_code == 200, response.text
    response = await client.post("/api/collections", json=DOCS, headers=headers)
    assert response.status_code == 200, response.text
    yield headers


async def stored(core: Core, record: dict[str, Any], name: str) -> bool:
    storage = await core.files.storage()
    return await storage.stat(file_key(record["collectionId"], record["id"], name)) is not None


def payload(data: dict[str, Any]) -> dict[str, Any]:
    return {"@jsonPayload": json.dumps(data)}


async def create(
    client: httpx.AsyncClient, files: list[tuple[str, tuple[str, bytes]]], **data: Any
) -> httpx.Response:
    return await client.post(URL, data=payload(data), files=files)


async def test_upload_and_download(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    image = png()
    response = await create(
        client,
        [
            ("avatar", ("My Photo.png", image)),
            ("files", ("notes.txt", b"hello world")),
            ("files", ("page.html", b"<html><script>alert(1)</script></html>")),
        ],
        title="first",
    )
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["title"] == "first"
    assert NAME.match(record["avatar"]) and record["avatar"].startswith("my_photo_")
    assert record["avatar"].endswith(".png")
    assert [n.rsplit("_", 1)[0] for n in record["files"]] == ["notes", "page"]
    for name in [record["avatar"], *record["files"]]:
        assert await stored(core, record, name)

    by_id = await client.get(
        f"/api/files/{record['collectionId']}/{record['id']}/{record['avatar']}"
    )
    by_name = await client.get(f"/api/files/docs/{record['id']}/{record['avatar']}")
    for got in (by_id, by_name):
        assert got.status_code == 200
        assert got.content == image
        assert got.headers["content-type"] == "image/png"
        assert got.headers["content-disposition"] == f'inline; filename="{record["avatar"]}"'
        assert got.headers["cache-control"] == "max-age=2592000, stale-while-revalidate=86400"
        assert got.headers["content-security-policy"] == (
            "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
        )
        assert got.headers["accept-ranges"] == "bytes"
        assert got.headers["last-modified"].endswith(" GMT")
        assert got.headers["content-length"] == str(len(image))
        assert "x-frame-options" not in got.headers
        assert got.headers["x-content-type-options"] == "nosniff"

    text = await client.get(f"/api/files/docs/{record['id']}/{record['files'][0]}")
    assert text.content == b"hello world"
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.headers["content-disposition"].startswith("attachment; ")
    html = await client.get(f"/api/files/docs/{record['id']}/{record['files'][1]}")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["content-disposition"].startswith("attachment; ")
    assert "sandbox" in html.headers["content-security-policy"]

    forced = await client.get(
        f"/api/files/docs/{record['id']}/{record['avatar']}", params={"download": "1"}
    )
    assert forced.headers["content-disposition"] == f'attachment; filename="{record["avatar"]}"'


@pytest.mark.parametrize("at_once", [True, False], ids=["read-at-once", "streamed"])
async def test_range_and_conditional_requests(
    client: httpx.AsyncClient, su: dict[str, str], at_once: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not at_once:
        monkeypatch.setattr(api_files, "READ_AT_ONCE", 0)
    body = bytes(range(256)) * 4
    record = (await create(client, [("files", ("data.bin", body))])).json()
    url = f"/api/files/docs/{record['id']}/{record['files'][0]}"
    part = await client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == body[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(body)}"
    assert part.headers["content-length"] == "10"
    tail = await client.get(url, headers={"Range": "bytes=-4"})
    assert tail.status_code == 206 and tail.content == body[-4:]
    open_end = await client.get(url, headers={"Range": "bytes=1000-"})
    assert open_end.status_code == 206 and open_end.content == body[1000:]
    past = await client.get(url, headers={"Range": "bytes=5000-6000"})
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{len(body)}"
    whole = await client.get(url)
    cached = await client.get(url, headers={"If-Modified-Since": whole.headers["last-modified"]})
    assert cached.status_code == 304 and cached.content == b""
    head = await client.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(body))


async def asgi_get(app: Starlette, path: str, *, pathsend: bool) -> list[Message]:
    """The ASGI messages of one GET, from a server that offers ``http.response.pathsend``
    or not (httpx's transport never does)."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
        "extensions": {"http.response.pathsend": {}} if pathsend else {},
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize("pathsend", [True, False], ids=["pathsend", "no-pathsend"])
async def test_large_files_sent_by_the_server(
    app: Starlette,
    client: httpx.AsyncClient,
    su: dict[str, str],
    storage_kind: str,
    pathsend: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past ``READ_AT_ONCE`` a whole local file goes to the server as a path when it offers
    ``http.response.pathsend``; from S3, without it, or for a range, the bytes are streamed.
    The headers are the same either way."""
    monkeypatch.setattr(api_files, "READ_AT_ONCE", 100)
    body = bytes(range(256)) * 8
    record = (await create(client, [("files", ("data.bin", body))])).json()
    path = f"/api/files/docs/{record['id']}/{record['files'][0]}"
    sent = await asgi_get(app, path, pathsend=pathsend)
    start, rest = sent[0], sent[1:]
    assert start["type"] == "http.response.start" and start["status"] == 200
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    expected = (await client.get(path)).headers
    for name in ("content-type", "content-length", "content-disposition", "last-modified"):
        assert headers[name] == expected[name]
    assert headers["accept-ranges"] == "bytes"
    if pathsend and storage_kind == "local":
        assert [m["type"] for m in rest] == ["http.response.pathsend"]
        assert await anyio.Path(rest[0]["path"]).read_bytes() == body
    else:
        assert {m["type"] for m in rest} == {"http.response.body"}
        assert b"".join(m.get("body", b"") for m in rest) == body
    ranged = await client.get(path, headers={"Range": "bytes=0-199"})
    assert ranged.status_code == 206 and ranged.content == body[:200]


async def test_thumbnails(client: httpx.AsyncClient, su: dict[str, str], core: Core) -> None:
    record = (await create(client, [("avatar", ("pic.png", png(200, 120)))])).json()
    name = record["avatar"]
    url = f"/api/files/docs/{record['id']}/{name}"

    def size_of(response: httpx.Response) -> tuple[int, int]:
        with Image.open(io.BytesIO(response.content)) as image:
            return image.size

    default = await client.get(url, params={"thumb": "100x100"})
    assert default.status_code == 200
    assert size_of(default) == (100, 100)
    assert default.headers["content-disposition"] == f'inline; filename="100x100_{name}"'
    listed = await client.get(url, params={"thumb": "50x0"})
    assert size_of(listed) == (50, 30)
    fit = await client.get(url, params={"thumb": "20x20f"})
    assert size_of(fit) == (20, 12)
    unlisted = await client.get(url, params={"thumb": "30x30"})
    assert size_of(unlisted) == (200, 120)
    assert unlisted.headers["content-disposition"] == f'inline; filename="{name}"'

    storage = await core.files.storage()
    thumb = thumb_key(record["collectionId"], record["id"], name, "50x0")
    assert await storage.stat(thumb) is not None  # made once, then served from storage
    again = await client.get(url, params={"thumb": "50x0"})
    assert again.content == listed.content

    # A new file replaces the old one: its thumbnails go with it.
    await client.patch(f"{URL}/{record['id']}", files=[("avatar", ("other.png", png(10, 10)))])
    assert await storage.stat(thumb) is None
    assert not await stored(core, record, name)


async def test_modifiers_replace_and_clean_up(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    record = (await create(client, [("files", ("a.txt", b"a")), ("files", ("b.txt", b"b"))])).json()
    a, b = record["files"]
    url = f"{URL}/{record['id']}"
    appended = (await client.patch(url, files=[("files+", ("c.txt", b"c"))])).json()
    c = appended["files"][2]
    assert appended["files"][:2] == [a, b]
    full = await client.patch(url, files=[("+files", ("d.txt", b"d"))])
    assert full.json()["data"]["files"]["code"] == "validation_too_many_files"
    prepended = await client.patch(url, data={"files-": a}, files=[("+files", ("d.txt", b"d"))])
    assert prepended.status_code == 200, prepended.text
    d = prepended.json()["files"][0]
    assert prepended.json()["files"] == [d, b, c]
    assert not await stored(core, record, a)
    removed = await client.patch(url, json={"files-": [d]})
    assert removed.status_code == 200, removed.text
    assert removed.json()["files"] == [b, c]
    assert not await stored(core, record, d)
    assert await stored(core, record, b)
    # plain names keep files, uploads under the same key join them
    kept = await client.patch(url, data={"files": b}, files=[("files", ("e.txt", b"e"))])
    assert kept.status_code == 200, kept.text
    e = kept.json()["files"][1]
    assert kept.json()["files"] == [b, e]
    assert not await stored(core, record, c)
    cleared = await client.patch(url, json={"files": None})
    assert cleared.json()["files"] == []
    for name in (b, e):
        assert not await stored(core, record, name)
    single = (await client.patch(url, files=[("avatar", ("x.png", png(5, 5)))])).json()
    replaced = (await client.patch(url, files=[("avatar", ("y.png", png(6, 6)))])).json()
    assert replaced["avatar"] != single["avatar"]
    assert not await stored(core, record, single["avatar"])
    emptied = (await client.patch(url, data={"avatar": ""})).json()
    assert emptied["avatar"] == ""
    assert not await stored(core, record, replaced["avatar"])


async def test_limits_and_their_errors(client: httpx.AsyncClient, su: dict[str, str]) -> None:
    too_big = await create(client, [("avatar", ("big.png", png(400, 400, "blue") + b"\0" * 30000))])
    assert too_big.status_code == 400
    assert too_big.json()["data"]["avatar"] == {
        "code": "validation_file_size_limit",
        "message": "Failed to upload big.png - the maximum allowed file size is 20000 bytes.",
        "params": {"file": "big.png", "maxSize": 20000},
    }
    # A text file named .png is text: the bytes decide, not the name or the client's type.
    fake = await client.post(URL, files=[("avatar", ("fake.png", b"just text", "image/png"))])
    error = fake.json()["data"]["avatar"]
    assert error["code"] == "validation_invalid_mime_type"
    assert re.fullmatch(
        r'"fake_[a-z0-9]{10}\.png" mime type must be one of: image/png, image/jpeg\.',
        error["message"],
    )
    many = await create(client, [("files", (f"{i}.txt", b"x")) for i in range(4)])
    assert many.json()["data"]["files"] == {
        "code": "validation_too_many_files",
        "message": "The maximum allowed files is 3.",
        "params": {"maxSelect": 3},
    }
    invented = await client.post(URL, json={"files": ["../../data.db"]})
    assert invented.json()["data"]["files"] == {
        "code": "validation_invalid_file",
        "message": "Invalid new files: [../../data.db].",
        "params": {"invalidFiles": ["../../data.db"]},
    }
    assert (await client.get(URL)).json()["totalItems"] == 0


async def test_delete_removes_files_after_commit(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    docs = (await client.get("/api/collections/docs", headers=su)).json()
    children = {
        "name": "children",
        "fields": [
            {"name": "doc", "type": "relation", "collectionId": docs["id"], "cascadeDelete": True},
            {"name": "att", "type": "file"},
        ],
        "listRule": "",
        "viewRule": "",
        "createRule": "",
        "deleteRule": "",
    }
    assert (await client.post("/api/collections", json=children, headers=su)).status_code == 200
    parent = (await create(client, [("files", ("p.txt", b"p"))])).json()
    child = await client.post(
        "/api/collections/children/records",
        data={"doc": parent["id"]},
        files=[("att", ("c.txt", b"c"))],
    )
    assert child.status_code == 200, child.text
    child_record = child.json()
    assert await stored(core, child_record, child_record["att"])
    assert (await client.delete(f"{URL}/{parent['id']}")).status_code == 204
    assert not await stored(core, parent, parent["files"][0])
    assert not await stored(core, child_record, child_record["att"])


async def test_a_failed_transaction_leaves_no_orphan(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    # The create rule is checked after the files are stored; its failure deletes them.
    rule = {"createRule": "title = 'ok'"}
    assert (await client.patch("/api/collections/docs", json=rule, headers=su)).status_code == 200
    refused = await create(client, [("files", ("a.txt", b"a"))], id="refusedrecord01", title="no")
    assert refused.status_code == 400
    assert refused.json()["message"] == "Failed to create record."
    storage = await core.files.storage()
    collection_id = core.records.collection("docs").id
    assert await storage.stat(file_key(collection_id, "refusedrecord01", "x")) is None
    if isinstance(storage, MemoryStorage):  # pragma: no cover - the fake keeps a dict
        assert not storage.files
    listing = await _keys(core, collection_id)
    assert listing == []
    # An update whose write fails (a unique index) keeps the old file and drops the new one.
    unique = {"createRule": "", "indexes": ["CREATE UNIQUE INDEX idx_title ON docs (title)"]}
    assert (await client.patch("/api/collections/docs", json=unique, headers=su)).status_code == 200
    ok = (await create(client, [("files", ("b.txt", b"b"))], title="ok")).json()
    assert (await client.post(URL, json={"title": "taken"})).status_code == 200
    clash = await client.patch(
        f"{URL}/{ok['id']}", data={"title": "taken"}, files=[("files", ("c.txt", b"c"))]
    )
    assert clash.status_code == 400
    assert clash.json()["data"]["title"]["code"] == "validation_not_unique"
    assert await stored(core, ok, ok["files"][0])
    assert await _keys(core, collection_id) == [f"{collection_id}/{ok['id']}/{ok['files'][0]}"]


async def _keys(core: Core, collection_id: str) -> list[str]:
    """Every stored key of a collection (the local folder or the bucket)."""
    storage = await core.files.storage()
    root = getattr(storage, "root", None)
    if root is not None:
        folder = root / collection_id
        if not folder.exists():
            return []
        return sorted(
            str(p.relative_to(root))
            for p in folder.rglob("*")
            if p.is_file() and not p.name.endswith(".attrs")
        )
    client = storage.client  # type: ignore[attr-defined]
    found = client.list_objects_v2(Bucket=storage.bucket, Prefix=collection_id + "/")  # type: ignore[attr-defined]
    return sorted(str(item["Key"]) for item in found.get("Contents") or [])


async def test_a_failed_upload_changes_nothing(
    client: httpx.AsyncClient, su: dict[str, str], core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = (await create(client, [("files", ("a.txt", b"a"))], title="before")).json()
    broken = MemoryStorage()
    broken.fail_puts = 1

    async def storage() -> MemoryStorage:
        return broken

    monkeypatch.setattr(core.records, "storage", storage)
    failed = await client.patch(
        f"{URL}/{record['id']}", data={"title": "after"}, files=[("files+", ("b.txt", b"b"))]
    )
    assert failed.status_code == 400
    assert failed.json() == {"data": {}, "message": "Failed to update record.", "status": 400}
    after = (await client.get(f"{URL}/{record['id']}")).json()
    assert after["title"] == "before" and after["files"] == record["files"]
    broken.fail_puts = 1
    created = await create(client, [("files", ("c.txt", b"c"))], title="new")
    assert created.status_code == 400
    assert (await client.get(URL)).json()["totalItems"] == 1


async def test_protected_files(client: httpx.AsyncClient, su: dict[str, str], core: Core) -> None:
    rules = {"viewRule": "owner = @request.auth.id && @request.context = 'protectedFile'"}
    assert (await client.patch("/api/collections/docs", json=rules, headers=su)).status_code == 200
    users = "/api/collections/users/records"
    ids = []
    for email in ("u1@example.com", "u2@example.com"):
        made = await client.post(
            users,
            json={"email": email, "password": "pass12345678", "passwordConfirm": "pass12345678"},
        )
        assert made.status_code == 200, made.text
        ids.append(made.json()["id"])
    tokens = []
    for email in ("u1@example.com", "u2@example.com"):
        signed = await client.post(
            "/api/collections/users/auth-with-password",
            json={"identity": email, "password": "pass12345678"},
        )
        tokens.append(signed.json()["token"])
    record = (
        await create(
            client,
            [("private", ("secret.txt", b"top secret")), ("files", ("open.txt", b"open"))],
            owner=ids[0],
        )
    ).json()
    url = f"/api/files/docs/{record['id']}/{record['private']}"

    guest = await client.post("/api/files/token")
    assert guest.status_code == 401
    assert guest.json()["message"] == "The request requires valid record authorization token."
    issued = await client.post("/api/files/token", headers={"Authorization": tokens[0]})
    assert issued.status_code == 200
    file_token = issued.json()["token"]
    claims = core.auth.tokens.unverified_claims(file_token)
    assert claims["type"] == "file" and claims["id"] == ids[0]
    assert set(claims) == {"collectionId", "exp", "id", "type"}

    assert (await client.get(url)).status_code == 404
    # the Authorization header is not how files are read: only ?token= counts
    assert (await client.get(url, headers={"Authorization": tokens[0]})).status_code == 404
    owner = await client.get(url, params={"token": file_token})
    assert owner.status_code == 200 and owner.content == b"top secret"
    other_token = (
        await client.post("/api/files/token", headers={"Authorization": tokens[1]})
    ).json()["token"]
    assert (await client.get(url, params={"token": other_token})).status_code == 404
    auth_token_as_file = await client.get(url, params={"token": tokens[0]})
    assert auth_token_as_file.status_code == 404
    # unprotected fields stay public whatever the view rule
    public = await client.get(f"/api/files/docs/{record['id']}/{record['files'][0]}")
    assert public.status_code == 200
    # a public view rule opens protected files to anyone
    opened = {"viewRule": ""}
    assert (await client.patch("/api/collections/docs", json=opened, headers=su)).status_code == 200
    assert (await client.get(url)).status_code == 200
    locked = {"viewRule": None}
    assert (await client.patch("/api/collections/docs", json=locked, headers=su)).status_code == 200
    assert (await client.get(url, params={"token": file_token})).status_code == 404
    su_token = (await client.post("/api/files/token", headers=su)).json()["token"]
    assert (await client.get(url, params={"token": su_token})).status_code == 200


async def test_missing_and_traversal(
    client: httpx.AsyncClient, su: dict[str, str], core: Core
) -> None:
    record = (await create(client, [("files", ("../../evil.txt", b"evil"))])).json()
    name = record["files"][0]
    assert name.startswith("evil_")
    assert await stored(core, record, name)
    not_found = {"data": {}, "message": "The requested resource wasn't found.", "status": 404}
    for path in (
        f"/api/files/docs/{record['id']}/nope.txt",
        f"/api/files/docs/nope/{name}",
        f"/api/files/nope/{record['id']}/{name}",
        f"/api/files/docs/{record['id']}/..%2F..%2Fdata.db",
        f"/api/files/docs/{record['id']}/..%5C..%5Cdata.db",
        f"/api/files/docs/..%2F..%2F/{name}",
        "/api/files/docs/%2E%2E/data.db",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        messages = ("File not found.", "Missing or invalid collection context.")
        allowed = [not_found, *({**not_found, "message": m} for m in messages)]
        assert response.json() in allowed, path  # the exact one: tests/differential
    # a record whose value names a path is refused too: the name must be one of its files
    sneaky = await client.patch(f"{URL}/{record['id']}", json={"files+": "../../../data.db"})
    assert sneaky.status_code == 400


async def test_batch_with_files(client: httpx.AsyncClient, su: dict[str, str], core: Core) -> None:
    assert (
        await client.patch("/api/settings", json={"batch": {"enabled": True}}, headers=su)
    ).status_code == 200
    requests = [
        {"method": "POST", "url": URL, "body": {"title": "one"}},
        {"method": "POST", "url": URL, "body": {"title": "two"}},
    ]
    response = await client.post(
        "/api/batch",
        data={"@jsonPayload": json.dumps({"requests": requests})},
        files=[
            ("requests.0.files", ("a.txt", b"a")),
            ("requests[1].avatar", ("b.png", png(8, 8))),
        ],
    )
    assert response.status_code == 200, response.text
    first, second = (item["body"] for item in response.json())
    assert len(first["files"]) == 1 and re.match(
        r"^b[a-z0-9]{10}_[a-z0-9]{10}\.png$", second["avatar"]
    )
    assert await stored(core, first, first["files"][0])
    assert await stored(core, second, second["avatar"])
    # all or nothing: a failing item deletes the files the batch stored before it
    collection_id = first["collectionId"]
    before = await _keys(core, collection_id)
    failing = [
        {"method": "POST", "url": URL, "body": {"title": "three"}},
        {"method": "POST", "url": URL, "body": {"id": first["id"]}},
    ]
    failed = await client.post(
        "/api/batch",
        data={"@jsonPayload": json.dumps({"requests": failing})},
        files=[("requests.0.files", ("c.txt", b"c"))],
    )
    assert failed.status_code == 400
    assert await _keys(core, collection_id) == before
    # a batch delete removes the files after the commit
    deleted = await client.post(
        "/api/batch", json={"requests": [{"method": "DELETE", "url": f"{URL}/{first['id']}"}]}
    )
    assert deleted.status_code == 200
    assert not await stored(core, first, first["files"][0])
