"""A non-superuser's filter or sort through a relation meets the related collection's list
rule, as in PocketBase 0.40.6 (each expectation below was read off the real binary;
back-relations and rules using ``@request.*`` are covered by test_rules_differential.py).

people: A (active), B (inactive); people's list rule is ``active = true``.
posts: p1 (author A, many [A, B]), p2 (author B, many [B]), p3 (no author, many []).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from ferrybase.errors import FilterResolveError
from ferrybase.filter import (
    POSTGRES,
    SQLITE,
    CollectionSpec,
    Condition,
    Dialect,
    FieldSpec,
    RequestInfo,
    Schema,
    compile_filter,
    compile_sort,
)
from tests.filter_db.fixture import create_table_sql
from tests.filter_db.support import dollar_params, postgres_available, postgres_url

PEOPLE = CollectionSpec(
    "people", "people", "base", (FieldSpec("name", "text"), FieldSpec("active", "bool")), ""
)
POSTS = CollectionSpec(
    "posts",
    "posts",
    "base",
    (
        FieldSpec("title", "text"),
        FieldSpec("author", "relation", target="people"),
        FieldSpec("many", "relation", multiple=True, target="people"),
    ),
    "",
)
SECRETS = CollectionSpec(
    "secrets", "secrets", "base", (FieldSpec("post", "relation", target="posts"),), None
)
RULED = Schema.of(
    [
        CollectionSpec(PEOPLE.id, PEOPLE.name, PEOPLE.type, PEOPLE.fields, "active = true"),
        POSTS,
        SECRETS,
    ]
)

ROWS: dict[str, list[tuple[object, ...]]] = {
    "people": [("A", "A", True), ("B", "B", False)],
    "posts": [("p1", "p1", "A", '["A","B"]'), ("p2", "p2", "B", '["B"]'), ("p3", "p3", "", "[]")],
    "secrets": [("s1", "p1")],
}

# (filter, sort) -> the posts PocketBase lists to a guest
CASES = [
    ("", "", {"p1", "p2", "p3"}),
    ("author.name != ''", "", {"p1"}),
    # p2 matches title, but its author is not listable: the whole row goes
    ("title = 'p2' || author.name = 'zz'", "", set()),
    ("title = 'p2'", "", {"p2"}),
    ("many.name ?= 'A'", "", {"p1"}),
    ("many.name ?= 'B'", "", set()),
    ("many.name = 'B'", "", set()),
    # the match-all half does not see the rule; a post without relations passes
    ("many.name != 'Q'", "", {"p1", "p3"}),
    ("", "author.name", {"p1", "p3"}),
    ("", "-many.name", {"p1", "p3"}),
    ("", "title", {"p1", "p2", "p3"}),
    ("title != 'zz'", "author.name", {"p1", "p3"}),
]


def conditions(text: str, sort: str, dialect: Dialect, schema: Schema) -> list[Condition]:
    spec = schema.collection("posts")
    assert spec is not None
    out = [compile_filter(text, spec, schema, RequestInfo(), dialect)] if text else []
    order = compile_sort(sort, spec, schema, RequestInfo(), dialect)
    return out + ([order.where] if order.where else [])


def select(collection: str, conds: list[Condition]) -> tuple[str, tuple[object, ...]]:
    where = " AND ".join(f"({c.sql})" for c in conds) or "1=1"
    return f'SELECT "id" FROM "{collection}" WHERE {where}', tuple(
        p for c in conds for p in c.params
    )


@pytest.fixture(scope="module")
def lite() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    for spec in RULED.collections:
        db.execute(create_table_sql(spec, SQLITE))
        marks = ", ".join("?" for _ in range(len(spec.fields) + 1))
        db.executemany(f'INSERT INTO "{spec.name}" VALUES ({marks})', ROWS[spec.name])
    return db


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pg() -> AsyncIterator[asyncpg.Connection]:
    if reason := await postgres_available():
        pytest.skip(reason)
    conn = await asyncpg.connect(postgres_url(), timeout=5)
    await conn.execute(
        "CREATE SCHEMA IF NOT EXISTS list_rule_joins; SET search_path TO list_rule_joins"
    )
    try:
        for spec in RULED.collections:
            await conn.execute(create_table_sql(spec, POSTGRES))
            cols = ", ".join(f'"{n}"' for n in ["id", *(f.name for f in spec.fields)])
            marks = ", ".join(
                f"${i + 1}::jsonb" if i and spec.fields[i - 1].multiple else f"${i + 1}"
                for i in range(len(spec.fields) + 1)
            )
            await conn.executemany(
                f'INSERT INTO "{spec.name}" ({cols}) VALUES ({marks})', ROWS[spec.name]
            )
        yield conn
    finally:
        await conn.execute("DROP SCHEMA list_rule_joins CASCADE")
        await conn.close()


@pytest.mark.parametrize(("text", "sort", "expected"), CASES)
def test_guest_filter_and_sort_meet_related_list_rules_sqlite(
    lite: sqlite3.Connection, text: str, sort: str, expected: set[str]
) -> None:
    sql, params = select("posts", conditions(text, sort, SQLITE, RULED))
    assert {row[0] for row in lite.execute(sql, params)} == expected


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("text", "sort", "expected"), CASES)
async def test_guest_filter_and_sort_meet_related_list_rules_postgres(
    pg: asyncpg.Connection, text: str, sort: str, expected: set[str]
) -> None:
    sql, params = select("posts", conditions(text, sort, POSTGRES, RULED))
    assert {row[0] for row in await pg.fetch(dollar_params(sql), *params)} == expected


def test_superusers_and_rules_see_through_list_rules(lite: sqlite3.Connection) -> None:
    posts = RULED.collection("posts")
    assert posts is not None
    for superuser, rule in ((True, False), (False, True)):
        cond = compile_filter("author.name != ''", posts, RULED, superuser=superuser, rule=rule)
        sql, params = select("posts", [cond])
        assert {row[0] for row in lite.execute(sql, params)} == {"p1", "p2"}
    assert compile_sort("author.name", posts, RULED, superuser=True).where is None


def test_superuser_only_collections_cannot_be_joined() -> None:
    posts = RULED.collection("posts")
    assert posts is not None
    with pytest.raises(FilterResolveError):
        compile_filter("secrets_via_post.id != ''", posts, RULED)
    with pytest.raises(FilterResolveError):
        compile_sort("secrets_via_post.id", posts, RULED)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("many.name ?= 'B'", set()), ("many.name ?= 'A'", {"p1"}), ("", {"p1"})],
)
def test_the_list_rule_and_the_filter_share_joined_rows(
    lite: sqlite3.Connection, text: str, expected: set[str]
) -> None:
    # PocketBase 0.40.6, rule "tags.name ?= @request.headers.x_t", X-T: A, a post tagged
    # [A, B]: the filter "tags.name ?= 'B'" lists nothing (one tag must be both A and B)
    posts = RULED.collection("posts")
    assert posts is not None
    request = RequestInfo(headers={"x_t": "A"})
    rule = "many.name ?= @request.headers.x_t"
    cond = compile_filter(text, posts, RULED, request, list_rule=rule)
    sql, params = select("posts", [cond])
    assert {row[0] for row in lite.execute(sql, params)} == expected
