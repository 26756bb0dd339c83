"""Files: uploads' errors and downloads' statuses, headers and bodies, as PocketBase answers.

The same collection and records (client-chosen ids) on both servers; each side uploads the
same bytes, then the same requests go to both. Stored names carry ten random characters, so
they are replaced by ``<name>`` before comparing.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.support.differential import Side, connect
from tests.support.pocketbase import PocketBase
from tests.support.servers import Server

COLLECTION = {
    "name": "dr_files",
    "fields": [
        {"name": "title", "type": "text"},
        {
            "name": "img",
            "type": "file",
            "maxSelect": 1,
            "maxSize": 5000,
            "mimeTypes": ["image/png"],
            "thumbs": ["10x0"],
        },
        {"name": "docs", "type": "file", "maxSelect": 4},
        {"name": "hidden", "type": "file", "maxSelect": 1, "protected": True},
    ],
    "listRule": "",
    "viewRule": "title = 'open'",
    "createRule": "",
    "updateRule": "",
    "deleteRule": "",
}
URL = "/api/collections/dr_files/records"
RECORD = "drfiles00000001"
HEADERS = (
    "content-type",
    "content-disposition",
    "content-security-policy",
    "cache-control",
    "accept-ranges",
    "content-range",
    "content-length",
    "x-frame-options",
)
NAME = re.compile(r"[a-z0-9_]+_[a-z0-9]{10}\.[a-z]+")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(out, format="PNG")
    return out.getvalue()


PARTS: list[tuple[str, tuple[str, bytes]]] = [
    ("img", ("pic.png", _png())),
    ("docs", ("notes.txt", b"plain text file\n")),
    ("docs", ("page.html", b"<html><body><script>alert(1)</script></body></html>")),
    ("docs", ("draw.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>')),
    ("docs", ("data.bin", bytes(range(256)))),
    ("hidden", ("secret.txt", b"secret")),
]
# The record each side stored, by side name.
RECORDS: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module")
def sides(pocketbase: PocketBase, ferrybase: Server) -> Iterator[tuple[Side, Side]]:
    pair = (connect("PocketBase", pocketbase.url), connect("Ferrybase", ferrybase.url))
    for side in pair:
        response = side.client.post("/api/collections", json=COLLECTION, headers=_su(side))
        assert response.status_code == 200, response.text
        made = side.client.post(
            URL,
            data={"@jsonPayload": json.dumps({"id": RECORD, "title": "open"})},
            files=PARTS,
        )
        assert made.status_code == 200, made.text
        RECORDS[side.name] = made.json()
    yield pair
    for side in pair:
        side.client.delete("/api/collections/dr_files", headers=_su(side))
        side.client.close()


def _su(side: Side) -> dict[str, str]:
    return {"Authorization": side.tokens["superuser"]}


def _file_url(side: Side, field: str, index: int = 0, query: str = "") -> str:
    value = RECORDS[side.name][field]
    name = value[index] if isinstance(value, list) else value
    return f"/api/files/dr_files/{RECORD}/{name}{query}"


def _answer(response: httpx.Response) -> dict[str, Any]:
    headers = {h: NAME.sub("<name>", response.headers.get(h, "")) for h in HEADERS}
    body: Any = response.content
    if response.headers.get("content-type", "").startswith("application/json"):
        body = json.loads(NAME.sub("<name>", response.text))
        headers["content-length"] = ""  # the JSON's key order and spacing may differ
    elif response.headers.get("content-type", "").startswith("image/png"):
        # thumbnails: the same size, whatever the encoder's bytes
        with Image.open(io.BytesIO(response.content)) as image:
            body = image.size
        headers["content-length"] = ""
    elif response.status_code in (200, 206):
        body = len(response.content)
    return {"status": response.status_code, "headers": headers, "body": body}


DOWNLOADS: list[tuple[str, str, int, str, dict[str, str]]] = [
    # (id, field, index, query, request headers)
    ("png", "img", 0, "", {}),
    ("png-download", "img", 0, "?download=1", {}),
    ("thumb-default", "img", 0, "?thumb=100x100", {}),
    ("thumb-listed", "img", 0, "?thumb=10x0", {}),
    ("thumb-unlisted", "img", 0, "?thumb=7x7", {}),
    ("text", "docs", 0, "", {}),
    ("html", "docs", 1, "", {}),
    ("svg", "docs", 2, "", {}),
    ("binary", "docs", 3, "", {}),
    ("thumb-of-text", "docs", 0, "?thumb=100x100", {}),
    ("range", "docs", 3, "", {"Range": "bytes=10-19"}),
    ("range-suffix", "docs", 3, "", {"Range": "bytes=-16"}),
    ("range-past-end", "docs", 3, "", {"Range": "bytes=999-"}),
    ("protected-no-token", "hidden", 0, "", {}),
]


@pytest.mark.parametrize(
    ("field", "index", "query", "headers"),
    [pytest.param(*d[1:], id=d[0]) for d in DOWNLOADS],
)
def test_download(
    sides: tuple[Side, Side], field: str, index: int, query: str, headers: dict[str, str]
) -> None:
    expected, actual = (
        _answer(side.client.get(_file_url(side, field, index, query), headers=headers))
        for side in sides
    )
    if expected["status"] == 416:
        # Go's body text for an unsatisfiable range is not part of the contract
        expected["body"] = actual["body"] = None
        expected["headers"]["content-length"] = actual["headers"]["content-length"] = ""
    assert actual["headers"] == expected["headers"]
    assert actual == expected


@pytest.mark.parametrize(
    "path",
    [
        f"/api/files/dr_files/{RECORD}/missing.txt",
        "/api/files/dr_files/nosuchrecord000/file.txt",
        "/api/files/nosuchcollection/x/y.txt",
        f"/api/files/dr_files/{RECORD}/..%2F..%2Fdata.db",
        "/api/files/dr_files/..%2F..%2F/data.db",
    ],
)
def test_missing_and_traversal(sides: tuple[Side, Side], path: str) -> None:
    expected, actual = (_answer(side.client.get(path)) for side in sides)
    assert actual == expected


def test_file_token_needs_auth(sides: tuple[Side, Side]) -> None:
    expected, actual = (_answer(side.client.post("/api/files/token")) for side in sides)
    assert actual == expected


UPLOADS: list[tuple[str, list[tuple[str, tuple[str, bytes]]]]] = [
    ("too-big", [("img", ("big.png", _png() + b"\0" * 6000))]),
    ("wrong-type", [("img", ("fake.png", b"just some text"))]),
    ("too-many", [("docs", (f"{i}.txt", b"x")) for i in range(5)]),
    ("ok-single-keeps-last", [("img", ("a.png", _png())), ("img", ("b.png", _png()))]),
]


@pytest.mark.parametrize("parts", [pytest.param(u[1], id=u[0]) for u in UPLOADS])
def test_upload_errors(
    sides: tuple[Side, Side], parts: list[tuple[str, tuple[str, bytes]]]
) -> None:
    answers = []
    for side in sides:
        response = side.client.post(
            URL, data={"@jsonPayload": json.dumps({"title": "x"})}, files=parts
        )
        answer = _answer(response)
        if response.status_code == 200:
            record = response.json()
            answer["body"] = {"img": NAME.sub("<name>", record["img"]), "docs": record["docs"]}
            side.client.delete(f"{URL}/{record['id']}")
        answers.append(answer)
    assert answers[1] == answers[0]


def test_invalid_plain_names(sides: tuple[Side, Side]) -> None:
    answers = [
        _answer(side.client.post(URL, json={"docs": ["../../x.txt", "y.txt"]})) for side in sides
    ]
    assert answers[1] == answers[0]


VIEWS: list[dict[str, Any]] = [
    {
        "name": "dr_files_view",
        "type": "view",
        "viewQuery": "SELECT f.id, f.title, f.img, f.docs AS attachments, f.hidden FROM dr_files f",
        "listRule": "",
        "viewRule": "",
    },
    {
        "name": "dr_files_view2",
        "type": "view",
        "viewQuery": "SELECT id, attachments AS again, hidden FROM dr_files_view",
        "listRule": "",
        "viewRule": None,
    },
]
VIEW_DOWNLOADS: list[tuple[str, str, str, int, str, dict[str, str]]] = [
    # (id, view, base record's field, index, query, request headers)
    ("png", "dr_files_view", "img", 0, "", {}),
    ("thumb", "dr_files_view", "img", 0, "?thumb=10x0", {}),
    ("aliased", "dr_files_view", "docs", 1, "", {}),
    ("range", "dr_files_view", "docs", 3, "", {"Range": "bytes=10-19"}),
    ("protected-public-rule", "dr_files_view", "hidden", 0, "", {}),
    ("view-of-view", "dr_files_view2", "docs", 0, "", {}),
    ("view-of-view-not-selected", "dr_files_view2", "img", 0, "", {}),
    ("view-of-view-protected-locked", "dr_files_view2", "hidden", 0, "", {}),
]


def test_files_of_view_collections(sides: tuple[Side, Side]) -> None:
    """A view's file field serves the base record's files, under the view's rules."""
    for side in sides:
        for definition in VIEWS:
            made = side.client.post("/api/collections", json=definition, headers=_su(side))
            assert made.status_code == 200, made.text
    try:
        for case, view, base_field, index, query, headers in VIEW_DOWNLOADS:
            answers = []
            for side in sides:
                value = RECORDS[side.name][base_field]
                name = value[index] if isinstance(value, list) else value
                url = f"/api/files/{view}/{RECORD}/{name}{query}"
                answers.append(_answer(side.client.get(url, headers=headers)))
            assert answers[1] == answers[0], case
    finally:
        for side in sides:
            for definition in reversed(VIEWS):
                name = definition["name"]
                side.client.delete(f"/api/collections/{name}", headers=_su(side))
