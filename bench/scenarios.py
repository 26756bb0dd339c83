"""The scenario table: what request each benchmark replays, and how to prepare it.

A scenario is one row: name, method, path, JSON body, which token it needs and an optional
``setup`` that returns values for ``{placeholders}`` in the path and body (a record id, a user's
email, ...). ``setup`` runs once per server after its seed step, through :class:`Context`, so
the same scenario resolves to the right ids on each server.

Adding a scenario is a few lines in :data:`SCENARIOS`; e.g. once the seed creates ``posts``::

    Scenario("view", "GET", "/api/collections/posts/records/{post_id}", token="user",
             setup=lambda ctx: {"post_id": ctx.first_id("posts", "published = true")}),

A scenario that writes can name a ``teardown(ctx)`` that runs once per server after its
measured runs (``create`` deletes the records it made), and ``seed`` names the data set it
needs (``--seed`` defaults to the union of the selected scenarios' needs). A body that is
not JSON (``upload``'s multipart form) comes from ``content``: the bytes and their type.
"""

from __future__ import annotations

import os
import random
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import orjson

from .wrk import Request

TokenKind = Literal["superuser", "user"]


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str


SUPERUSER = Credentials("bench-admin@example.com", "bench-admin-pass-123")
USER = Credentials("user1@example.com", "password123")  # the pb-bench seed's first user


@dataclass
class Context:
    """Setup-time access to one running server (never used while load is measured)."""

    kind: str  # "pocketbase" | "ferrybase"
    base_url: str
    superuser: Credentials = SUPERUSER
    user: Credentials = USER
    user_collection: str = "users"
    vars: dict[str, str] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": token} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0)

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        with self.client(token) as c:
            r = c.request(method, path, json=body)
        if r.status_code >= 400:
            raise RuntimeError(f"{self.kind}: {method} {path} -> {r.status_code} {r.text[:300]}")
        return r.json() if r.content else None

    def token(self, kind: TokenKind) -> str:
        """An auth token (cached): the bench superuser, or the seeded user."""
        if kind not in self._tokens:
            if kind == "superuser":
                path, cred = "/api/collections/_superusers/auth-with-password", self.superuser
            else:
                path, cred = (
                    f"/api/collections/{self.user_collection}/auth-with-password",
                    self.user,
                )
            data = self.call("POST", path, {"identity": cred.email, "password": cred.password})
            self._tokens[kind] = data["token"]
            self.vars[f"{kind}_id"] = str(data["record"]["id"])
        return self._tokens[kind]

    def forget_tokens(self) -> None:
        """Sign in again on next use (after a restart)."""
        self._tokens.clear()

    def user_id(self) -> str:
        """The signed-in seeded user's record id."""
        self.token("user")
        return self.vars["user_id"]

    def first_id(self, collection: str, filter_: str = "", as_: TokenKind = "superuser") -> str:
        """The id of the first record of ``collection`` matching ``filter_``."""
        params = {"perPage": "1", "skipTotal": "1", "fields": "id", "filter": filter_}
        with self.client(self.token(as_)) as c:
            r = c.get(f"/api/collections/{collection}/records", params=params)
        r.raise_for_status()
        return str(r.json()["items"][0]["id"])


Setup = Callable[[Context], Mapping[str, str]]
# after the measured runs; what it returns is saved under ``checks`` in the results
Teardown = Callable[[Context], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str  # may hold {placeholders} filled by setup (and Context.vars)
    body: Any = None  # JSON value; strings inside may hold {placeholders}
    token: TokenKind | None = None
    setup: Setup | None = None
    expect: int = 200  # status every request should get
    note: str = ""
    teardown: Teardown | None = None  # once per server after its measured runs
    seed: str = "none"  # the data set it needs (see seeds.py)
    content: Callable[[], tuple[bytes, str]] | None = None  # a raw body and its type

    def resolve(self, ctx: Context) -> Request:
        values = dict(ctx.vars)
        if self.setup is not None:
            values.update(self.setup(ctx))
        headers: dict[str, str] = {}
        body: bytes | None = None
        if self.body is not None:
            body = orjson.dumps(_fill(self.body, values))
            headers["Content-Type"] = "application/json"
        elif self.content is not None:
            body, headers["Content-Type"] = self.content()
        if self.token is not None:
            headers["Authorization"] = ctx.token(self.token)
        return Request(self.method, self.path.format_map(values), body, headers)


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return value.format_map(values)
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


RUN_ID = f"{os.getpid()}-{int(time.time())}"  # marks the records this bench run creates

LIST_QUERY = urllib.parse.urlencode(
    {
        "page": "1",
        "perPage": "30",
        "filter": "views >= 100 && published = true",
        "sort": "-created",
    },
    quote_via=urllib.parse.quote,
)


def _first_post(ctx: Context, flt: str, fields: str = "id") -> dict[str, Any]:
    """The post matching ``flt`` (holding ``{i}``) with the lowest seed number ("Post <i>: ...")
    : the same record on every server, whatever order each one lists records in."""
    for i in range(1, 200):
        with ctx.client(ctx.token("superuser")) as c:
            r = c.get(
                "/api/collections/posts/records",
                params={"perPage": "1", "skipTotal": "1", "fields": fields, "filter": flt % i},
                timeout=120.0,
            )
        if r.status_code != 200:
            raise RuntimeError(f"{ctx.kind}: GET {r.request.url} -> {r.status_code} {r.text[:300]}")
        items = r.json()["items"]
        if items:
            return dict(items[0])
    raise RuntimeError(f"{ctx.kind}: no post matching {flt!r} among Post 1..199 (seeded?)")


def first_published_post(ctx: Context) -> dict[str, str]:
    """The published post with the lowest seed number."""
    return {"post_id": str(_first_post(ctx, "published = true && title ~ 'Post %d: '")["id"])}


def own_post(ctx: Context) -> dict[str, str]:
    """user1's post with the lowest seed number (its updateRule ``author = @request.auth.id``
    lets user1 PATCH it); its ``views`` before the runs is kept to check the increments."""
    post = _own_post(ctx)
    ctx.vars["update_views_before"] = str(post["views"])
    return {"own_post_id": str(post["id"])}


def _own_post(ctx: Context) -> dict[str, Any]:
    flt = f"author = '{ctx.user_id()}' && title ~ 'Post %d: '"
    return _first_post(ctx, flt, fields="id,views")


def own_post_views(ctx: Context) -> dict[str, Any]:
    """``update``'s teardown: the post's ``views`` before the probe and after the runs (each
    answered PATCH adds 1; the runner compares the growth with the requests wrk counted)."""
    post = _own_post(ctx)
    return {
        "record": str(post["id"]),
        "views_before": int(ctx.vars["update_views_before"]),
        "views_after": int(post["views"]),
    }


def created_by_user(ctx: Context) -> dict[str, str]:
    return {"user_id": ctx.user_id(), "run_id": RUN_ID}


def delete_created(ctx: Context) -> dict[str, Any]:
    """Delete the posts ``create`` made (title ``bench-<run id>``), 50 per ``/api/batch`` call
    as pb-bench's ``bench_cleanup.py`` does; the time it took is logged."""
    t0 = time.monotonic()
    flt = f"title = 'bench-{RUN_ID}'"
    deleted = 0
    with ctx.client(ctx.token("superuser")) as c:
        while True:
            r = c.get(
                "/api/collections/posts/records",
                params={"filter": flt, "perPage": "500", "fields": "id", "skipTotal": "1"},
                timeout=120.0,
            )
            if r.status_code != 200:
                raise RuntimeError(f"{ctx.kind}: cleanup list -> {r.status_code} {r.text[:300]}")
            ids = [str(x["id"]) for x in r.json()["items"]]
            if not ids:
                break
            for k in range(0, len(ids), 50):
                reqs = [
                    {"method": "DELETE", "url": f"/api/collections/posts/records/{rid}"}
                    for rid in ids[k : k + 50]
                ]
                r = c.post("/api/batch", json={"requests": reqs}, timeout=120.0)
                if r.status_code != 200:
                    raise RuntimeError(
                        f"{ctx.kind}: cleanup batch delete -> {r.status_code} {r.text[:300]}"
                    )
                deleted += len(reqs)
    return {"deleted": deleted, "cleanup_s": round(time.monotonic() - t0, 1)}


FILE_SIZE = 1 << 20  # the file uploaded and downloaded: 1 MiB of random bytes
FILES_COLLECTION = "bench_files"
_BOUNDARY = "----ferrybase-bench-boundary"


def file_bytes() -> bytes:
    """The same 1 MiB on every server and run (random, so nothing compresses it)."""
    return random.Random(7).randbytes(FILE_SIZE)


def upload_form() -> tuple[bytes, str]:
    """A multipart body as the JS SDK sends a File: the file part plus ``@jsonPayload``."""
    payload = orjson.dumps({"title": f"bench-{RUN_ID}"})
    body = (
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="@jsonPayload"\r\n\r\n'.encode()
        + payload
        + f"\r\n--{_BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="doc"; filename="blob.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + file_bytes()
        + f"\r\n--{_BOUNDARY}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={_BOUNDARY}"


def seeded_file(ctx: Context) -> dict[str, str]:
    """The record the ``files`` seed uploaded, and its stored file name."""
    with ctx.client(ctx.token("superuser")) as c:
        r = c.get(
            f"/api/collections/{FILES_COLLECTION}/records",
            params={"perPage": "1", "skipTotal": "1", "filter": "title = 'seeded'"},
        )
    items = r.json().get("items") if r.status_code == 200 else None
    if not items:
        raise RuntimeError(f"{ctx.kind}: no seeded file record ({r.status_code} {r.text[:300]})")
    return {"file_record": str(items[0]["id"]), "file_name": str(items[0]["doc"])}


def delete_uploads(ctx: Context) -> dict[str, Any]:
    """Delete the records ``upload`` made (their files go with them), 50 per batch."""
    t0 = time.monotonic()
    flt = f"title = 'bench-{RUN_ID}'"
    url = f"/api/collections/{FILES_COLLECTION}/records"
    deleted = 0
    with ctx.client(ctx.token("superuser")) as c:
        while True:
            r = c.get(
                url, params={"filter": flt, "perPage": "50", "fields": "id", "skipTotal": "1"}
            )
            ids = [str(x["id"]) for x in r.json().get("items", [])] if r.status_code == 200 else []
            if not ids:
                break
            reqs = [{"method": "DELETE", "url": f"{url}/{rid}"} for rid in ids]
            r = c.post("/api/batch", json={"requests": reqs}, timeout=120.0)
            if r.status_code != 200:
                raise RuntimeError(f"{ctx.kind}: upload cleanup -> {r.status_code} {r.text[:300]}")
            deleted += len(ids)
    return {"deleted": deleted, "cleanup_s": round(time.monotonic() - t0, 1)}


SCENARIOS: list[Scenario] = [
    Scenario("health", "GET", "/api/health", note="GET /api/health"),
    Scenario(
        "superuser-auth",
        "POST",
        "/api/collections/_superusers/auth-with-password",
        body={"identity": SUPERUSER.email, "password": SUPERUSER.password},
        note="password sign-in of a superuser (PocketBase: bcrypt; Ferrybase: argon2id)",
    ),
    Scenario(
        "auth",
        "POST",
        "/api/collections/users/auth-with-password",
        body={"identity": USER.email, "password": USER.password},
        seed="posts",
        note="password sign-in of user1 (a regular auth collection)",
    ),
    Scenario(
        "view",
        "GET",
        "/api/collections/posts/records/{post_id}",
        token="user",
        setup=first_published_post,
        seed="posts",
        note="one published post as user1 (viewRule applied)",
    ),
    Scenario(
        "list",
        "GET",
        f"/api/collections/posts/records?{LIST_QUERY}",
        token="user",
        seed="posts",
        note="30 posts, filter + sort + total, as user1 (listRule ANDed)",
    ),
    Scenario(
        "list-skiptotal",
        "GET",
        f"/api/collections/posts/records?{LIST_QUERY}&skipTotal=1",
        token="user",
        seed="posts",
        note="the list without the COUNT (skipTotal=1)",
    ),
    Scenario(
        "update",
        "PATCH",
        "/api/collections/posts/records/{own_post_id}",
        body={"views+": 1},
        token="user",
        setup=own_post,
        teardown=own_post_views,
        seed="posts",
        note="PATCH views+1 of user1's own post (updateRule applied); after the reads",
    ),
    Scenario(
        "create",
        "POST",
        "/api/collections/posts/records",
        body={
            "title": "bench-{run_id}",
            "body": "created by the bench",
            "views": 1,
            "published": False,
            "author": "{user_id}",
            "tags": ["tech"],
        },
        token="user",
        setup=created_by_user,
        teardown=delete_created,
        seed="posts",
        note="one post as user1 (createRule applied); the records are deleted afterwards",
    ),
    Scenario(
        "download",
        "GET",
        f"/api/files/{FILES_COLLECTION}/{{file_record}}/{{file_name}}",
        setup=seeded_file,
        seed="files",
        note="a 1 MiB file (GET /api/files/..., public collection)",
    ),
    Scenario(
        "upload",
        "POST",
        f"/api/collections/{FILES_COLLECTION}/records",
        token="user",
        content=upload_form,
        teardown=delete_uploads,
        seed="files",
        note="create a record with a 1 MiB file (multipart + @jsonPayload), as user1",
    ),
]

BY_NAME = {s.name: s for s in SCENARIOS}
# create last: the posts it adds would otherwise be in the table the reads scan. The file
# scenarios need their own seed: run them with --scenarios download,upload.
DEFAULT = [s.name for s in SCENARIOS if s.seed != "files"]


@dataclass(frozen=True)
class Probe:
    status: int
    shape: Any  # key skeleton of the JSON answer
    facts: dict[str, Any]  # values that must agree across servers seeded alike
    body: str  # the answer's start, for the log when the status is unexpected


FACT_KEYS = ("page", "perPage", "totalItems", "totalPages", "title", "views", "published")


def probe(ctx: Context, req: Request) -> Probe:
    """Send the request once: status, key skeleton and the seed-determined values."""
    with httpx.Client(base_url=ctx.base_url, timeout=30.0) as c:
        r = c.request(req.method, req.path, content=req.body, headers=req.headers)
    try:
        data = r.json()
    except ValueError:
        return Probe(r.status_code, None, {}, r.text[:500])
    facts: dict[str, Any] = {}
    if isinstance(data, dict):
        facts = {k: data[k] for k in FACT_KEYS if k in data}
        if isinstance(data.get("items"), list):
            facts["items"] = len(data["items"])
    return Probe(r.status_code, shape(data), facts, r.text[:500])


def shape(value: Any, depth: int = 3) -> Any:
    """Keys (and nested keys) of a JSON value, types for leaves: comparable across servers."""
    if isinstance(value, dict):
        if depth == 0:
            return "object"
        return {k: shape(v, depth - 1) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0], depth - 1)] if value else []
    return type(value).__name__
