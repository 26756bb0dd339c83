"""Differential test as a user and as a guest: the list rule ANDed with a client filter (and
the sort's list-rule condition) selects the same ids in a real PocketBase 0.40.6 as our
compiled SQL on SQLite and PostgreSQL, the rule compiled with ``rule=True`` and the filter as a
non-superuser's, as ``core/rules.py`` and ``record_service.list`` do.

The rules read ``@request.auth.*``, ``@request.query.*`` and ``@request.headers.*`` and go
through relations and back-relations; client filters through relations meet the related
collections' list rules. The corpus comes from a seed printed at the start: ``FILTER_SEED``
replays it, ``FILTER_CORPUS`` sets its size.
"""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from ferrybase.errors import FilterError
from ferrybase.filter import (
    POSTGRES,
    SQLITE,
    AuthInfo,
    Dialect,
    RequestInfo,
    compile_filter,
    compile_sort,
    normalize_headers,
)
from tests.filter_db.fixture import Dataset, create_table_sql, insert_sql, random_filter, row_values
from tests.filter_db.pocketbase import pocketbase_binary, running_pocketbase
from tests.filter_db.rules_fixture import (
    ME,
    R_COLLECTIONS,
    R_PATHS,
    R_SCHEMA,
    RULES,
    SORTS,
    USER_FIELDS,
    USERS_ID,
    make_rules_dataset,
)
from tests.filter_db.support import corpus_seed, dollar_params, postgres_available, postgres_url

pytestmark = pytest.mark.system

CORPUS_SIZE = int(os.environ.get("FILTER_CORPUS", "300"))
PORT = 8141
TEAM_HEADERS = ["", "Alpha", "500", "b"]

# Cases outside the random grammar that pin specific behaviours.
EXTRA = [
    ("posts", "author.name != ''", ""),
    ("posts", "title = 'Alpha' || author.name = 'zz'", ""),
    ("posts", "cats.name ?= 'Alpha'", ""),
    ("posts", "cats.name != 'zz'", ""),
    ("posts", "", "-author.name"),
    ("posts", "", "cats.name"),
    ("posts", "views > 0", "owner.name"),
    ("people", "posts_via_author.views ?> 0", ""),
    ("people", "posts_via_author.views > 0", ""),
    ("comments", "post.title != 'zz'", ""),
    ("comments", "likes.name ?!= 'zz'", ""),
    ("users", "posts_via_owner.views ?>= 0", ""),
    ("users", "email != ''", ""),
    ("posts", "owner.email != ''", ""),
    ("posts", "title != 'zz' (author.name != '')", ""),
    ("posts", "title = 'zz' || views > 5 (owner.name != '')", ""),
    # the sort's likes join and the filter's likes:each walk the same item (one resolver)
    ("comments", "likes:each ?< 'nope'", "likes.name"),
    ("comments", "likes:each != ''", "-likes.name"),
]


@dataclass(frozen=True)
class Who:
    """One caller: ``auth`` is the signed-in record (``None`` for a guest)."""

    label: str
    token: str | None
    auth: dict[str, Any] | None


@dataclass(frozen=True)
class Case:
    collection: str
    filter: str
    sort: str
    who: Who
    preview: str
    team: str

    def query(self) -> dict[str, str]:
        out = {"perPage": "1000", "skipTotal": "1", "fields": "id"}
        if self.filter:
            out["filter"] = self.filter
        if self.sort:
            out["sort"] = self.sort
        if self.preview:
            out["preview"] = self.preview
        return out

    def headers(self) -> dict[str, str]:
        out = {}
        if self.who.token:
            out["Authorization"] = self.who.token
        if self.team:
            out["X-Team"] = self.team
        return out

    def __str__(self) -> str:
        return (
            f"{self.who.label} {self.collection}: filter={self.filter!r} sort={self.sort!r}"
            f" preview={self.preview!r} x_team={self.team!r}"
        )


@dataclass
class World:
    client: httpx.Client
    data: Dataset
    me: Who
    guest: Who


# -- PocketBase ---------------------------------------------------------------------------


def _fields_of(spec: Any, ids: dict[str, str]) -> list[dict[str, Any]]:
    from tests.filter_db.fixture import STATUSES, TAGS

    fields: list[dict[str, Any]] = []
    for f in spec.fields:
        if f.name in ("password", "tokenKey", "email", "emailVisibility", "verified"):
            continue
        out: dict[str, Any] = {"name": f.name, "type": f.type}
        if f.type == "relation":
            out["collectionId"] = ids.get(f.target or "", f.target)
            out["maxSelect"] = 5 if f.multiple else 1
        if f.type == "select":
            out["values"] = TAGS if f.multiple else STATUSES
            out["maxSelect"] = 4 if f.multiple else 1
        fields.append(out)
    return fields


def load(client: httpx.Client, data: Dataset) -> None:
    ids: dict[str, str] = {USERS_ID: USERS_ID}
    for spec in R_COLLECTIONS:
        rules = {"listRule": RULES[spec.name], "viewRule": RULES[spec.name]}
        if spec.name == "users":
            current = client.get(f"/api/collections/{USERS_ID}").json()
            names = {f["name"] for f in current["fields"]}
            extra = [f for f in _fields_of(spec, ids) if f["name"] not in names]
            body = {"fields": [*current["fields"], *extra], **rules}
            client.patch(f"/api/collections/{USERS_ID}", json=body).raise_for_status()
        else:
            body = {"name": spec.name, "type": "base", "fields": _fields_of(spec, ids), **rules}
            response = client.post("/api/collections", json=body)
            response.raise_for_status()
            ids[spec.id] = response.json()["id"]
        for row in data.rows[spec.name]:
            if spec.name == "users":
                row = {**row, "password": "pass-12345678", "passwordConfirm": "pass-12345678"}
            created = client.post(f"/api/collections/{spec.name}/records", json=row)
            if created.status_code != 200:
                raise RuntimeError(f"{spec.name}: {created.text} for {row}")


def sign_up(client: httpx.Client, data: Dataset) -> Who:
    """Sign up as a guest, sign in with the password; the record joins the users rows."""
    base = str(client.base_url)
    body = {**ME, "passwordConfirm": ME["password"]}
    httpx.post(f"{base}/api/collections/users/records", json=body, trust_env=False)
    auth = httpx.post(
        f"{base}/api/collections/users/auth-with-password",
        json={"identity": ME["email"], "password": ME["password"]},
        trust_env=False,
    )
    auth.raise_for_status()
    token = auth.json()["token"]
    record = client.get(f"/api/collections/users/records/{auth.json()['record']['id']}").json()
    row = {"id": record["id"], **{name: record[name] for name in USER_FIELDS}}
    data.rows["users"].append(row)
    return Who("user", token, {**row, "password": "x", "tokenKey": "x"})


def pocketbase_ids(client: httpx.Client, case: Case) -> set[str] | None:
    """The ids PocketBase lists for the case's caller (a client without the superuser's
    token), or ``None`` when it rejects the request (400)."""
    response = client.get(
        f"/api/collections/{case.collection}/records",
        params=case.query(),
        headers=case.headers(),
    )
    if response.status_code == 400:
        return None
    response.raise_for_status()
    return {item["id"] for item in response.json()["items"]}


# -- Ferrybase ----------------------------------------------------------------------------


def request_of(case: Case) -> RequestInfo:
    auth = case.who.auth
    users = R_SCHEMA.collection(USERS_ID)
    assert users is not None
    return RequestInfo(
        auth=None if auth is None else AuthInfo(auth, users),
        query=case.query(),
        headers=normalize_headers(case.headers()),
        method="GET",
    )


def compiled(case: Case, dialect: Dialect) -> tuple[str, tuple[Any, ...]]:
    """The WHERE of the list query as ``core/rules.py`` builds it: the list rule, the client
    filter and the sort's paths over one set of joins (``compile_filter(list_rule=...,
    sort=...)``), PocketBase's single resolver; the sort is compiled too, for its errors."""
    spec = R_SCHEMA.collection(case.collection)
    assert spec is not None
    request = request_of(case)
    rule = RULES[case.collection]
    cond = compile_filter(
        case.filter, spec, R_SCHEMA, request, dialect, list_rule=rule, sort=case.sort
    )
    compile_sort(case.sort, spec, R_SCHEMA, request, dialect)
    return f'SELECT "id" FROM "{case.collection}" WHERE {cond.sql}', cond.params


def sqlite_db(data: Dataset) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    for c in R_COLLECTIONS:
        db.execute(create_table_sql(c, SQLITE))
        db.executemany(insert_sql(c, SQLITE), [_values(c, r, False) for r in data.rows[c.name]])
    return db


def _values(spec: Any, row: dict[str, Any], pg: bool) -> list[Any]:
    full = {"password": "x", "tokenKey": "x", **row}
    return row_values(spec, full, pg)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    binary = pocketbase_binary()
    if isinstance(binary, str):
        pytest.skip(binary)
    data = make_rules_dataset()
    with running_pocketbase(binary, PORT) as client:
        load(client, data)
        me = sign_up(client, data)
        yield World(client, data, me, Who("guest", None, None))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pg(world: World) -> AsyncIterator[asyncpg.Connection]:
    reason = await postgres_available()
    if reason:
        pytest.skip(reason)
    conn = await asyncpg.connect(postgres_url(), timeout=5)
    schema = f"rules_test_{random.randrange(1 << 30):x}"
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(f'SET search_path TO "{schema}"')
        for c in R_COLLECTIONS:
            await conn.execute(create_table_sql(c, POSTGRES))
            rows = [_values(c, r, True) for r in world.data.rows[c.name]]
            await conn.executemany(insert_sql(c, POSTGRES), rows)
        yield conn
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


def corpus(seed: int, world: World) -> list[Case]:
    rng = random.Random(seed)
    ids = [r["id"] for rows in world.data.rows.values() for r in rows]
    cases: list[Case] = []
    for who in (world.me, world.guest):
        cases += [Case(c, f, s, who, "", "") for c, f, s in EXTRA]
    for _ in range(CORPUS_SIZE):
        collection = rng.choice(["posts", "posts", "people", "comments", "comments", "users"])
        text = random_filter(rng, collection, ids, R_PATHS) if rng.random() < 0.9 else ""
        sort = rng.choice(SORTS[collection]) if rng.random() < 0.3 else ""
        who = world.me if rng.random() < 0.6 else world.guest
        preview = "yes" if rng.random() < 0.2 else ""
        team = rng.choice(TEAM_HEADERS)
        cases.append(Case(collection, text, sort, who, preview, team))
    return cases


@pytest.mark.asyncio(loop_scope="module")
async def test_rules_and_filters_select_the_same_ids_as_pocketbase(
    world: World, pg: asyncpg.Connection
) -> None:
    seed = corpus_seed()
    print(f"FILTER_SEED={seed} FILTER_CORPUS={CORPUS_SIZE}")
    cases = corpus(seed, world)
    # PocketBase throttles empty non-superuser searches (up to 500 ms): ask in parallel
    base = str(world.client.base_url)
    with (
        httpx.Client(base_url=base, timeout=30, trust_env=False) as plain,
        ThreadPoolExecutor(16) as pool,
    ):
        expected_all = list(pool.map(lambda c: pocketbase_ids(plain, c), cases))

    db = sqlite_db(world.data)
    failures = await compare(cases, expected_all, db, pg)
    assert failures == [], (
        f"{len(failures)} disagreements; replay with FILTER_SEED={seed}:\n"
        + "\n".join(failures[:15])
    )


async def compare(
    cases: list[Case],
    expected_all: list[set[str] | None],
    db: sqlite3.Connection,
    pg: asyncpg.Connection,
) -> list[str]:
    failures: list[str] = []
    agreed = rejected = nonempty = 0
    for case, expected in zip(cases, expected_all, strict=True):
        try:
            lite_sql, lite_params = compiled(case, SQLITE)
            pg_sql, pg_params = compiled(case, POSTGRES)
        except FilterError as exc:
            if expected is not None:
                failures.append(f"{case} raised {exc!r}, PocketBase accepted it")
            else:
                agreed += 1
                rejected += 1
            continue
        lite = {row[0] for row in db.execute(lite_sql, lite_params)}
        post = {row[0] for row in await pg.fetch(dollar_params(pg_sql), *pg_params)}
        if expected is None:
            failures.append(f"{case}: PocketBase rejected it, we accepted it")
        elif not lite == post == expected:
            failures.append(
                f"{case}\n  pocketbase={sorted(expected)}\n"
                f"  sqlite={sorted(lite)}\n  postgres={sorted(post)}"
            )
        else:
            agreed += 1
            nonempty += bool(expected)
    print(f"{agreed}/{len(cases)} agree ({rejected} rejected by both, {nonempty} with rows)")
    return failures
