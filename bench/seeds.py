"""Seed steps: data created on every server after it starts, before any scenario.

A seed is a function of a :class:`~bench.scenarios.Context`; it can branch on ``ctx.kind``
if a server needs another route to the same data. Register it in :data:`SEEDS` and pick it
with ``--seed NAME``. The superuser is not part of a seed: each server's CLI creates it
(``superuser upsert``) before the server starts.

``posts`` is the pb-bench data set. Its logic is copied from the anchor's stdlib seeder
``/work/shared/pb-bench/seed.py`` (same schema, rules, RNG seed and draw order, hence the
same content on every server), so the bench runs from this repository alone. Everything goes
through the public API as a superuser: users, the ``posts`` collection, ``batch.enabled`` in
the settings, then the posts in ``/api/batch`` calls of up to ``batch.maxRequests`` (max 50)
creates each. Unlike the original it fails loudly (status, body, which request) instead of
falling back to one POST per record: a server that cannot batch is a finding, not a detail.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson

from .scenarios import USER, Context

Seed = Callable[[Context], None]

POSTS = int(os.environ.get("N", "10000"))  # posts wanted (pb-bench: N; the runner's --posts)
# posts created through the API; beyond that the runner bulk-inserts the rest of the same
# generated rows into each server's SQLite file while it is stopped (bulk_insert below)
API_POSTS = int(os.environ.get("API_POSTS", "10000"))
USERS = int(os.environ.get("PB_USERS", "5"))  # user1..userK@example.com
RNG_SEED = int(os.environ.get("PB_SEED", "42"))

TAGS = ["news", "tech", "sports", "life", "misc", "travel", "food"]
WORDS = (  # noqa: SIM905 - seed.py's word list, verbatim
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud"
).split()

POSTS_RULE = "published = true || author = @request.auth.id"

POSTS_COLLECTION: dict[str, Any] = {
    "name": "posts",
    "type": "base",
    "listRule": POSTS_RULE,
    "viewRule": POSTS_RULE,
    "createRule": '@request.auth.id != "" && @request.body.author = @request.auth.id',
    "updateRule": "author = @request.auth.id",
    "deleteRule": "author = @request.auth.id",
    "fields": [
        {"name": "title", "type": "text", "required": True, "max": 200},
        {"name": "body", "type": "text"},
        {"name": "views", "type": "number", "onlyInt": True, "min": 0},
        {"name": "published", "type": "bool"},
        {
            "name": "author",
            "type": "relation",
            "collectionId": "_pb_users_auth_",
            "maxSelect": 1,
            "cascadeDelete": False,
        },
        {"name": "tags", "type": "select", "maxSelect": len(TAGS), "values": TAGS},
        # since PocketBase 0.23 created/updated are ordinary autodate fields, not added
        # automatically when a collection is created through the API
        {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
        {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
    ],
    "indexes": [
        "CREATE INDEX `idx_posts_author` ON `posts` (`author`)",
        "CREATE INDEX `idx_posts_created` ON `posts` (`created`)",
    ],
}


class SeedError(RuntimeError):
    """A seeding request failed: which server, which request, status and body."""


def _check(kind: str, what: str, r: httpx.Response) -> Any:
    if r.status_code >= 300:
        raise SeedError(
            f"{kind}: seed step {what!r}: {r.request.method} {r.request.url} -> "
            f"HTTP {r.status_code}: {r.text[:1000]}"
        )
    return r.json() if r.content else None


def rand_post(rng: random.Random, author_id: str, i: int) -> dict[str, Any]:
    """One post; the draw order is seed.py's, so a given RNG seed gives the same posts."""
    return {
        "title": f"Post {i}: " + " ".join(rng.choice(WORDS) for _ in range(4)),
        "body": " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))),
        "views": rng.randint(0, 1000),
        "published": rng.random() < 0.7,
        "author": author_id,
        "tags": rng.sample(TAGS, rng.randint(0, 3)),
    }


def seed_posts(ctx: Context) -> None:
    """pb-bench's data: users user1..5 (verified, emailVisibility), ``posts``, N posts."""
    rng = random.Random(RNG_SEED)
    t0 = time.monotonic()
    with httpx.Client(
        base_url=ctx.base_url,
        headers={"Authorization": ctx.token("superuser"), "Accept": "application/json"},
        timeout=120.0,
    ) as c:
        users: list[dict[str, Any]] = []
        for i in range(1, USERS + 1):
            email = f"user{i}@example.com"
            found = _check(
                ctx.kind,
                f"look up {email}",
                c.get(
                    "/api/collections/users/records",
                    params={"filter": f"email = '{email}'", "perPage": 1, "skipTotal": 1},
                ),
            )["items"]
            if found:
                users.append(found[0])
                continue
            body = {
                "email": email,
                "emailVisibility": True,
                "verified": True,
                "name": f"User {i}",
                "password": USER.password,
                "passwordConfirm": USER.password,
            }
            users.append(
                _check(
                    ctx.kind, f"create {email}", c.post("/api/collections/users/records", json=body)
                )
            )

        r = c.get("/api/collections/posts")
        if r.status_code == 404:
            _check(
                ctx.kind,
                "create the posts collection",
                c.post("/api/collections", json=POSTS_COLLECTION),
            )
        else:
            _check(ctx.kind, "read the posts collection", r)

        settings = _check(ctx.kind, "read settings", c.get("/api/settings"))
        if not settings.get("batch", {}).get("enabled"):
            settings = _check(
                ctx.kind,
                "enable batch",
                c.patch("/api/settings", json={"batch": {"enabled": True}}),
            )
        batch = settings.get("batch", {})
        if not batch.get("enabled"):
            raise SeedError(f"{ctx.kind}: PATCH /api/settings did not enable batch: {batch}")
        size = max(1, min(int(batch.get("maxRequests") or 50), 50))

        count_q = {"perPage": "1", "fields": "id"}
        have = int(
            _check(
                ctx.kind, "count posts", c.get("/api/collections/posts/records", params=count_q)
            )["totalItems"]
        )
        ctx.vars["user_ids"] = ",".join(str(u["id"]) for u in users)
        wanted = min(POSTS, API_POSTS)
        i = have
        while i < wanted:
            n = min(size, wanted - i)
            reqs = []
            for _ in range(n):
                i += 1
                post = rand_post(rng, str(rng.choice(users)["id"]), i)
                url = "/api/collections/posts/records?fields=id"
                reqs.append({"method": "POST", "url": url, "body": post})
            _check(
                ctx.kind,
                f"batch of posts {i - n + 1}..{i}",
                c.post("/api/batch", json={"requests": reqs}),
            )
        total = int(
            _check(
                ctx.kind, "count posts", c.get("/api/collections/posts/records", params=count_q)
            )["totalItems"]
        )
    if total < wanted:
        raise SeedError(f"{ctx.kind}: {total} posts after seeding, wanted {wanted}")
    ctx.vars["seeded_posts"] = str(total)
    print(
        f"# {ctx.kind}: seeded {len(users)} users, {total} posts in {time.monotonic() - t0:.1f} s",
        flush=True,
        file=sys.stderr,
    )


# -- bulk rows beyond API_POSTS ---------------------------------------------------------------

POST_COLUMNS = ("id", "title", "body", "views", "published", "author", "tags", "created", "updated")
ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"  # PocketBase's default id pattern


def _bulk_rows(start: int, stop: int, base: dt.datetime) -> Iterator[tuple[Any, ...]]:
    """Posts ``start+1..stop``, drawn from the RNG exactly as :func:`seed_posts` would after
    ``start`` posts (it made 1..start through the API), so the whole table is the one an API
    seed of ``stop`` posts gives. ``author`` is the user's index (0 = user1); ids are 15
    characters of PocketBase's alphabet from their own RNG (the same on every server); post
    ``k`` after ``start`` is created ``k`` ms after ``base`` (newer than the API's rows)."""
    rng = random.Random(RNG_SEED)
    users = list(range(USERS))
    for i in range(1, start + 1):  # replay the API seed's draws
        rand_post(rng, str(rng.choice(users)), i)
    ids = random.Random(RNG_SEED + 1)
    for i in range(start + 1, stop + 1):
        post = rand_post(rng, str(rng.choice(users)), i)
        when = base + dt.timedelta(milliseconds=i - start)
        stamp = when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
        yield (
            i,
            "".join(ids.choices(ID_ALPHABET, k=15)),
            post["title"],
            post["body"],
            post["views"],
            int(post["published"]),
            int(post["author"]),
            orjson.dumps(post["tags"]).decode(),
            stamp,
        )


def stage_posts(path: Path, start: int, stop: int) -> int:
    """Generate posts ``start+1..stop`` once into a staging SQLite file (table ``posts``)."""
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute(
            "CREATE TABLE posts (n INTEGER PRIMARY KEY, id TEXT, title TEXT, body TEXT,"
            " views INTEGER, published INTEGER, author INTEGER, tags TEXT, created TEXT)"
        )
        con.execute("BEGIN")
        base = dt.datetime.now(dt.UTC)
        con.executemany(
            "INSERT INTO posts VALUES (?,?,?,?,?,?,?,?,?)", _bulk_rows(start, stop, base)
        )
        con.execute("COMMIT")
        return int(con.execute("SELECT count(*) FROM posts").fetchone()[0])
    finally:
        con.close()


def bulk_insert(db: Path, staging: Path, user_ids: Sequence[str]) -> int:
    """Copy the staged posts into a (stopped) server's SQLite file with one ``INSERT ...
    SELECT`` in one transaction, in the same encoding both servers' API writes use (checked
    in bench/README.md: TEXT ids and dates ``YYYY-MM-DD HH:MM:SS.mmmZ``, 0/1 booleans, a JSON
    array of tags, integer views); ``author`` becomes the server's id of that user. The table's
    columns must be the seed's; the rows inserted are returned."""
    con = sqlite3.connect(db, timeout=60.0, isolation_level=None)
    try:
        cols = {row[1] for row in con.execute('PRAGMA table_info("posts")')}
        if cols != set(POST_COLUMNS):
            raise SeedError(f"{db}: posts has columns {sorted(cols)}, expected {POST_COLUMNS}")
        con.execute("ATTACH DATABASE ? AS stage", (str(staging),))
        author = "CASE s.author " + " ".join(f"WHEN {k} THEN ?" for k in range(len(user_ids)))
        names = ", ".join(f'"{c}"' for c in POST_COLUMNS)
        con.execute("BEGIN IMMEDIATE")
        cur = con.execute(
            f'INSERT INTO main."posts" ({names}) SELECT s.id, s.title, s.body, s.views, '
            f"s.published, {author} END, s.tags, s.created, s.created FROM stage.posts AS s "
            "ORDER BY s.n",
            list(user_ids),
        )
        inserted = cur.rowcount
        con.execute("COMMIT")
        con.execute("DETACH DATABASE stage")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(inserted)
    finally:
        con.close()


def planner_stats(db: Path) -> list[str]:
    """The server's ``sqlite_stat1`` rows for ``posts`` (the planner's row counts), if any."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10.0)
    try:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            return []
        rows = con.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'posts' ORDER BY idx")
        return [f"{idx}: {stat}" for idx, stat in rows]
    finally:
        con.close()


def seed_files(ctx: Context) -> None:
    """A public collection with a file field, one user to upload as, one 1 MiB file."""
    from .scenarios import FILE_SIZE, FILES_COLLECTION, file_bytes

    collection = {
        "name": FILES_COLLECTION,
        "type": "base",
        "listRule": "",
        "viewRule": "",
        "createRule": '@request.auth.id != ""',
        "deleteRule": None,
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 2 * FILE_SIZE},
        ],
    }
    with ctx.client(ctx.token("superuser")) as c:
        if c.get(f"/api/collections/{FILES_COLLECTION}").status_code == 404:
            _check(ctx.kind, "files collection", c.post("/api/collections", json=collection))
        settings = _check(ctx.kind, "read settings", c.get("/api/settings"))
        if not settings.get("batch", {}).get("enabled"):  # the upload scenario's clean-up
            _check(
                ctx.kind,
                "enable batch",
                c.patch("/api/settings", json={"batch": {"enabled": True}}),
            )
        users = "/api/collections/users/records"
        found = c.get(users, params={"filter": f"email = '{USER.email}'", "fields": "id"})
        if not _check(ctx.kind, "find user1", found)["items"]:
            body = {
                "email": USER.email,
                "password": USER.password,
                "passwordConfirm": USER.password,
            }
            _check(ctx.kind, "create user1", c.post(users, json=body))
        url = f"/api/collections/{FILES_COLLECTION}/records"
        seeded = c.get(url, params={"filter": "title = 'seeded'", "fields": "id"})
        if not _check(ctx.kind, "find the seeded file", seeded)["items"]:
            _check(
                ctx.kind,
                "upload the seeded file",
                c.post(url, data={"title": "seeded"}, files={"doc": ("seed.bin", file_bytes())}),
            )


def no_seed(ctx: Context) -> None:
    """Nothing beyond the superuser (enough for health and superuser-auth)."""


SEEDS: dict[str, Seed] = {
    "none": no_seed,
    "posts": seed_posts,
    "files": seed_files,
}
