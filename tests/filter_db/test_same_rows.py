"""Compiled filters select the same rows on SQLite and PostgreSQL over the same data.

Covers a hand-written list (every operator, modifier, macro, function and path kind) with
expected SQLite results where they document PocketBase semantics, and a seeded random
corpus (``FILTER_SEED`` replays a run).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
import pytest_asyncio

from ferrybase.errors import FilterError
from ferrybase.filter import AuthInfo, RequestInfo
from tests.filter_db.fixture import PEOPLE, load_sqlite, make_dataset, random_filter
from tests.filter_db.support import (
    corpus_seed,
    postgres_available,
    postgres_dataset,
    postgres_ids,
    sqlite_ids,
)

DATA = make_dataset()
POSTS = {r["id"]: r for r in DATA.rows["posts"]}
NOW = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)

HAND_WRITTEN = [
    ("posts", "views = '500'"),
    ("posts", "views > 50 && published = true"),
    ("posts", "published = 1"),
    ("posts", "published = 'true'"),
    ("posts", "title = ''"),
    ("posts", "title != null"),
    ("posts", "title ~ 'alpha'"),
    ("posts", "title !~ 'alpha'"),
    ("posts", "title ~ 'Post 1%'"),
    ("posts", "title ~ '50%'"),
    ("posts", "title ~ 'a_b'"),
    ("posts", "title < 'b' || views <= 5"),
    ("posts", "title > 5"),
    ("posts", "views < 'abc'"),
    ("posts", "views >= title"),
    ("posts", "author.name = 'alpha' || author.name ~ 'Alpha'"),
    ("posts", "author.team.name != ''"),
    ("posts", "author.id = ''"),
    ("posts", "tags = '[]'"),
    ("posts", "tags ~ 'a'"),
    ("posts", "tags:each ?= 'a'"),
    ("posts", "tags:each = 'a'"),
    ("posts", "tags:each != 'a'"),
    ("posts", "tags:each ?= 'a' && tags:each ?= 'b'"),
    ("posts", "tags:length >= 2"),
    ("posts", "status:each = 'draft'"),
    ("posts", "cats.name ?= 'alpha'"),
    ("posts", "cats.rank > 1"),
    ("posts", "cats.rank ?> 1"),
    ("posts", "comments_via_post.score > 1"),
    ("posts", "comments_via_post.score ?> 1"),
    ("posts", "comments_via_post.message = comments_via_post.message"),
    ("posts", "meta = null"),
    ("posts", "meta = 5"),
    ("posts", "meta.a = 1"),
    ("posts", "meta.a = '1'"),
    ("posts", "meta.a = true"),
    ("posts", "meta.a > 1"),
    ("posts", "meta.b.c = 'x'"),
    ("posts", "meta.list.0 = 'a'"),
    ("posts", "meta ~ 'a'"),
    ("posts", "created > '2026-05-01'"),
    ("posts", "created < @now"),
    ("posts", "created >= @monthStart && created <= @monthEnd"),
    ("posts", "created > @yearStart"),
    ("posts", "strftime('%Y-%m', created) = '2026-05'"),
    ("posts", "strftime('%d', created, 'start of month') = '01'"),
    ("posts", "strftime('%Y', created, '+1 years') = '2027'"),
    ("posts", "geoDistance(loc.lon, loc.lat, 10.5, 45) < 100"),
    ("posts", "geoDistance(loc.lon, loc.lat, 0, 0) = 0"),
    ("posts", "title:lower = 'alpha'"),
    ("posts", "@collection.people.age ?> 100 && author ?= @collection.people.id"),
    ("posts", "@collection.people:p.name ?= 'b' && author ?= @collection.people:p.id"),
    ("posts", "@request.auth.id = author"),
    ("posts", "@request.auth.team.name = author.team.name"),
    ("posts", "@request.body.title:isset = true && @request.body.title = title"),
    ("posts", "@request.body.title:changed = true"),
    ("posts", "@request.body.tags:each ?= tags:each"),
    ("posts", "@request.body.tags:length > 1 && tags:length = 1"),
    ("posts", "@request.body.author.name = author.name"),
    ("posts", "@request.query.page = '2' && views > 0"),
    ("posts", "@request.headers.x_token != '' && @request.method = 'GET'"),
    ("posts", "@request.context = 'default'"),
    ("people", "posts_via_author.views > 50"),
    ("people", "posts_via_author.views ?> 999"),
    ("people", "comments_via_likes.score ?= 3"),
    ("people", "team.rank < 2.5"),
    ("comments", "likes:each ?= post.author"),
    ("comments", "likes.name ?~ 'a'"),
    ("comments", "post.author.name = 'alpha' || score >= 2"),
]

AUTH_ROW = DATA.rows["people"][0]
REQUEST = RequestInfo(
    auth=AuthInfo(AUTH_ROW, PEOPLE),
    body={
        "title": POSTS[next(iter(POSTS))]["title"],
        "tags": ["a", "c"],
        "author": DATA.rows["people"][1]["id"],
    },
    query={"page": "2"},
    headers={"x_token": "t"},
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pg() -> AsyncIterator[asyncpg.Connection]:
    reason = await postgres_available()
    if reason:
        pytest.skip(reason)
    async with postgres_dataset(DATA) as conn:
        yield conn


async def _compare(pg: asyncpg.Connection, cases: list[tuple[str, str]]) -> list[str]:
    db = load_sqlite(DATA)
    failures = []
    for collection, text in cases:
        kwargs = {"rule": True, "now": NOW}
        try:
            lite = sqlite_ids(db, collection, text, REQUEST, **kwargs)
        except FilterError as exc:
            failures.append(f"{collection}: {text!r} raised {exc!r}")
            continue
        post = await postgres_ids(pg, collection, text, REQUEST, **kwargs)
        if lite != post:
            failures.append(f"{collection}: {text!r} sqlite={sorted(lite)} postgres={sorted(post)}")
    return failures


@pytest.mark.asyncio(loop_scope="module")
async def test_hand_written_filters_match(pg: asyncpg.Connection) -> None:
    assert await _compare(pg, HAND_WRITTEN) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_random_filters_match(pg: asyncpg.Connection) -> None:
    seed = corpus_seed()
    print(f"FILTER_SEED={seed}")
    rng = random.Random(seed)
    cases = []
    for _ in range(400):
        collection = rng.choice(["posts", "posts", "people", "comments"])
        ids = [r["id"] for rows in DATA.rows.values() for r in rows]
        cases.append((collection, random_filter(rng, collection, ids)))
    assert await _compare(pg, cases) == [], f"replay with FILTER_SEED={seed}"


def test_pocketbase_semantics_on_sqlite() -> None:
    """Spot checks that pin PocketBase's documented behaviour."""
    db = load_sqlite(DATA)

    def ids(text: str, collection: str = "posts") -> set[str]:
        return sqlite_ids(db, collection, text, REQUEST, rule=True, now=NOW)

    def where(pred: object) -> set[str]:
        return {i for i, r in POSTS.items() if pred(r)}  # type: ignore[operator]

    assert ids("views = '500'") == where(lambda r: r["views"] == 500)
    assert ids("published = 'true'") == set()
    assert ids("published = 1") == where(lambda r: r["published"])
    assert ids("title = ''") == where(lambda r: r["title"] == "")
    assert ids("tags ?= 'a'") == set()
    assert ids("tags:each ?= 'a'") == where(lambda r: "a" in r["tags"])
    assert ids("tags:each = 'a'") == where(lambda r: r["tags"] == ["a"])
    assert ids("tags = '[]'") == where(lambda r: r["tags"] == [])
    assert ids("tags:length >= 2") == where(lambda r: len(r["tags"]) >= 2)
    assert ids("title ~ 'ALPHA'") == where(lambda r: "alpha" in r["title"].lower())
    assert ids("@request.auth.id = author") == where(lambda r: r["author"] == AUTH_ROW["id"])
