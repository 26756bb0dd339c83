"""Differential test: the same filters over the same data select the same ids in a real
PocketBase 0.40.6, in SQLite through our compiler and in PostgreSQL through our compiler.

The corpus is generated from a seed printed at the start (``FILTER_SEED`` replays it;
``FILTER_CORPUS`` sets its size). A filter PocketBase rejects with 400 must raise a
:class:`~ferrybase.errors.FilterError` here too.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio

from ferrybase.errors import FilterError
from tests.filter_db.fixture import load_sqlite, make_dataset, random_filter
from tests.filter_db.pocketbase import (
    load_fixture,
    pocketbase_binary,
    pocketbase_ids,
    running_pocketbase,
)
from tests.filter_db.support import (
    corpus_seed,
    postgres_available,
    postgres_dataset,
    postgres_ids,
    sqlite_ids,
)

pytestmark = pytest.mark.system

DATA = make_dataset()
CORPUS_SIZE = int(os.environ.get("FILTER_CORPUS", "400"))

# Filters outside the random grammar that pin specific behaviours.
EXTRA = [
    ("posts", "tags ?= 'a'"),
    ("posts", "tags:each ?= 'a' && tags:each ?= 'b'"),
    ("posts", "@collection.people.age ?> 100 && author ?= @collection.people.id"),
    ("posts", "@collection.people.age > 1 && author ?= @collection.people.id"),
    ("posts", "strftime('%Y-%m', created) = '2026-05'"),
    ("posts", "strftime('%d', created, 'start of month') = '01'"),
    ("posts", "geoDistance(loc.lon, loc.lat, 10.5, 45) < 100"),
    ("posts", "created > @yearStart && created < @now"),
    ("posts", "views > 1 &&"),
    ("posts", "views === 1"),
    ("posts", "nope = 1"),
    ("posts", "title:nope = 1"),
    ("posts", "@unknown = 1"),
    ("people", "posts_via_author.views ?> 999"),
    ("people", "posts_via_author.views > 999"),
    ("comments", "likes:each ?< likes.name"),
    ("comments", "likes:each ?= likes.id && likes.name ?= ''"),
]


@pytest.fixture(scope="module")
def pocketbase() -> Iterator[httpx.Client]:
    binary = pocketbase_binary()
    if isinstance(binary, str):
        pytest.skip(binary)
    with running_pocketbase(binary) as client:
        load_fixture(client, DATA)
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pg() -> AsyncIterator[asyncpg.Connection]:
    reason = await postgres_available()
    if reason:
        pytest.skip(reason)
    async with postgres_dataset(DATA) as conn:
        yield conn


@pytest.mark.asyncio(loop_scope="module")
async def test_same_ids_as_pocketbase(pocketbase: httpx.Client, pg: asyncpg.Connection) -> None:
    seed = corpus_seed()
    print(f"FILTER_SEED={seed} FILTER_CORPUS={CORPUS_SIZE}")
    rng = random.Random(seed)
    ids = [r["id"] for rows in DATA.rows.values() for r in rows]
    cases = list(EXTRA)
    for _ in range(CORPUS_SIZE):
        collection = rng.choice(["posts", "posts", "people", "comments"])
        cases.append((collection, random_filter(rng, collection, ids)))

    db = load_sqlite(DATA)
    failures: list[str] = []
    agreed = 0
    for collection, text in cases:
        expected = pocketbase_ids(pocketbase, collection, text)
        try:
            lite = sqlite_ids(db, collection, text, superuser=True)
            post = await postgres_ids(pg, collection, text, superuser=True)
        except FilterError as exc:
            if expected is not None:
                failures.append(f"{collection}: {text!r} raised {exc!r}, PocketBase accepted it")
            else:
                agreed += 1
            continue
        if expected is None:
            failures.append(f"{collection}: {text!r} PocketBase rejected it, we accepted it")
        elif not lite == post == expected:
            failures.append(
                f"{collection}: {text!r}\n  pocketbase={sorted(expected)}\n"
                f"  sqlite={sorted(lite)}\n  postgres={sorted(post)}"
            )
        else:
            agreed += 1
    print(f"{agreed}/{len(cases)} filters agree")
    assert failures == [], f"{len(failures)} disagreements; replay with FILTER_SEED={seed}"


def test_binary_is_cached() -> None:
    binary = pocketbase_binary()
    if isinstance(binary, str):
        pytest.skip(binary)
    assert Path(binary).exists()
