"""Fixture collections, seeded data and a seeded filter corpus, shared by the DB tests.

The same data goes into SQLite, PostgreSQL (with the stores' column conventions) and a real
PocketBase (through its REST API), so a filter must select the same ids everywhere.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from typing import Any

from ferrybase.filter import CollectionSpec, FieldSpec, Schema
from ferrybase.filter.dialect import Dialect

TAGS = ["a", "b", "c", "d"]
STATUSES = ["draft", "live", "x_y"]

TEAMS = CollectionSpec(
    "teams", "teams", "base", (FieldSpec("name", "text"), FieldSpec("rank", "number")), ""
)
PEOPLE = CollectionSpec(
    "people",
    "people",
    "base",
    (
        FieldSpec("name", "text"),
        FieldSpec("age", "number"),
        FieldSpec("active", "bool"),
        FieldSpec("team", "relation", target="teams"),
    ),
    "",
)
POSTS = CollectionSpec(
    "posts",
    "posts",
    "base",
    (
        FieldSpec("title", "text"),
        FieldSpec("views", "number"),
        FieldSpec("published", "bool"),
        FieldSpec("author", "relation", target="people"),
        FieldSpec("tags", "select", multiple=True),
        FieldSpec("status", "select"),
        FieldSpec("cats", "relation", multiple=True, target="teams"),
        FieldSpec("meta", "json"),
        FieldSpec("created", "date"),
        FieldSpec("loc", "geoPoint"),
    ),
    "",
)
COMMENTS = CollectionSpec(
    "comments",
    "comments",
    "base",
    (
        FieldSpec("post", "relation", target="posts"),
        FieldSpec("message", "text"),
        FieldSpec("score", "number"),
        FieldSpec("likes", "relation", multiple=True, target="people"),
    ),
    "",
)
COLLECTIONS = (TEAMS, PEOPLE, POSTS, COMMENTS)
SCHEMA = Schema(COLLECTIONS)

Row = dict[str, Any]


@dataclass
class Dataset:
    rows: dict[str, list[Row]]


def make_id(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(15))


def make_dataset(seed: int = 7) -> Dataset:
    rng = random.Random(seed)
    texts = ["", "Alpha", "alpha beta", "500", "5", "50%", "a_b", "Ünïcode", "Post 1: x", "b"]
    teams = [
        {"id": make_id(rng), "name": rng.choice(texts), "rank": rng.choice([0, 1, 2, 5.5, -3])}
        for _ in range(5)
    ]
    people = [
        {
            "id": make_id(rng),
            "name": rng.choice(texts),
            "age": rng.choice([0, 18, 30, 500, 2.5]),
            "active": rng.random() < 0.5,
            "team": rng.choice([""] + [t["id"] for t in teams]),
        }
        for _ in range(8)
    ]
    metas: list[Any] = [
        None,
        {"a": 1, "b": {"c": "x"}},
        {"a": "1"},
        {"a": True},
        [1, 2],
        5,
        "str",
        {"a": 2.5, "list": ["a", "b"]},
        {},
    ]
    posts = []
    for i in range(24):
        posts.append(
            {
                "id": make_id(rng),
                "title": rng.choice(texts),
                "views": rng.choice([0, 1, 5, 50, 100, 500, 999, 1000, 2.5, -1]),
                "published": rng.random() < 0.5,
                "author": rng.choice([""] + [p["id"] for p in people]),
                "tags": rng.sample(TAGS, rng.randint(0, 3)),
                "status": rng.choice(["", *STATUSES]),
                "cats": rng.sample([t["id"] for t in teams], rng.randint(0, 2)),
                "meta": metas[i % len(metas)],
                "created": f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 1{i % 10}:00:00.000Z",
                "loc": {"lon": rng.choice([0, 10.5, -20]), "lat": rng.choice([0, 45, -10.25])},
            }
        )
    comments = [
        {
            "id": make_id(rng),
            "post": rng.choice([p["id"] for p in posts]),
            "message": rng.choice(texts),
            "score": rng.choice([0, 1, 2, 3]),
            "likes": rng.sample([p["id"] for p in people], rng.randint(0, 3)),
        }
        for _ in range(30)
    ]
    return Dataset({"teams": teams, "people": people, "posts": posts, "comments": comments})


# -- tables -------------------------------------------------------------------------------


def column_type(field: FieldSpec, postgres: bool) -> str:
    if field.type == "number":
        return "DOUBLE PRECISION NOT NULL DEFAULT 0" if postgres else "NUMERIC NOT NULL DEFAULT 0"
    if field.type == "bool":
        return "BOOLEAN NOT NULL DEFAULT FALSE"
    json_type = "JSONB" if postgres else "JSON"
    if field.type == "json":
        return f"{json_type} DEFAULT NULL"
    if field.type == "geoPoint":
        return f'{json_type} NOT NULL DEFAULT \'{{"lon":0,"lat":0}}\''
    if field.is_multi_valuer and field.multiple:
        return f"{json_type} NOT NULL DEFAULT '[]'"
    return "TEXT NOT NULL DEFAULT ''"


def create_table_sql(collection: CollectionSpec, dialect: Dialect) -> str:
    pg = dialect.is_postgres
    cols = ['"id" TEXT PRIMARY KEY NOT NULL']
    if pg:
        cols.append('"_rowid" BIGSERIAL')
    cols += [f"{dialect.quote(f.name)} {column_type(f, pg)}" for f in collection.fields]
    return f"CREATE TABLE {dialect.quote(collection.name)} ({', '.join(cols)})"


def stored(field: FieldSpec, value: Any, postgres: bool) -> Any:
    """How the stores keep ``value``: JSON as text (SQLite) or JSONB text (asyncpg)."""
    if field.type == "json":
        return None if value is None else json.dumps(value, separators=(",", ":"))
    if field.type == "geoPoint" or (field.is_multi_valuer and field.multiple):
        return json.dumps(value, separators=(",", ":"))
    if field.type == "number":
        return float(value)
    if field.type == "bool":
        return bool(value) if postgres else int(bool(value))
    return value


def insert_sql(collection: CollectionSpec, dialect: Dialect) -> str:
    names = ["id", *(f.name for f in collection.fields)]
    cols = ", ".join(dialect.quote(n) for n in names)
    if dialect.is_postgres:
        marks = ", ".join(
            f"${i + 1}::jsonb"
            if i and dialect.stores_json(collection.fields[i - 1])
            else f"${i + 1}"
            for i in range(len(names))
        )
    else:
        marks = ", ".join("?" for _ in names)
    return f"INSERT INTO {dialect.quote(collection.name)} ({cols}) VALUES ({marks})"


def row_values(collection: CollectionSpec, row: Row, postgres: bool) -> list[Any]:
    return [row["id"], *(stored(f, row[f.name], postgres) for f in collection.fields)]


def load_sqlite(data: Dataset) -> sqlite3.Connection:
    from ferrybase.filter import SQLITE

    db = sqlite3.connect(":memory:")
    for c in COLLECTIONS:
        db.execute(create_table_sql(c, SQLITE))
        db.executemany(insert_sql(c, SQLITE), [row_values(c, r, False) for r in data.rows[c.name]])
    return db


# -- filters ------------------------------------------------------------------------------

# (path, kind) per collection; kind picks the literals compared against it
PATHS: dict[str, list[tuple[str, str]]] = {
    "posts": [
        ("title", "text"),
        ("views", "number"),
        ("published", "bool"),
        ("author", "id"),
        ("author.name", "text"),
        ("author.age", "number"),
        ("author.team.name", "text"),
        ("author.id", "id"),
        ("tags", "text"),
        ("tags:each", "tag"),
        ("tags:length", "number"),
        ("status", "tag"),
        ("status:each", "tag"),
        ("cats", "text"),
        ("cats.name", "text"),
        ("cats.rank", "number"),
        ("cats:length", "number"),
        ("meta", "json"),
        ("meta.a", "json"),
        ("meta.b.c", "json"),
        ("meta.list.0", "json"),
        ("created", "date"),
        ("loc.lon", "number"),
        ("title:lower", "text"),
        ("comments_via_post.message", "text"),
        ("comments_via_post.score", "number"),
        ("id", "id"),
    ],
    "people": [
        ("name", "text"),
        ("age", "number"),
        ("active", "bool"),
        ("team.name", "text"),
        ("team.rank", "number"),
        ("posts_via_author.views", "number"),
        ("posts_via_author.title", "text"),
        ("comments_via_likes.score", "number"),
    ],
    "comments": [
        ("message", "text"),
        ("score", "number"),
        ("post.title", "text"),
        ("post.views", "number"),
        ("post.author.name", "text"),
        ("likes.name", "text"),
        ("likes:length", "number"),
        ("likes:each", "id"),
    ],
}

LITERALS: dict[str, list[str]] = {
    "text": ["''", "'alpha'", "'Alpha'", "'500'", "'5'", "null", "'a_b'", "'50%'", "'%ph%'", "5"],
    "number": ["0", "5", "100", "'500'", "2.5", "-1", "'abc'", "''", "null", "true"],
    "bool": ["true", "false", "1", "0", "'true'", "''", "null"],
    "tag": ["'a'", "'b'", "'draft'", "''", "null", "'x_y'"],
    "id": ["''", "null", "'nope'"],
    "json": ["1", "'1'", "true", "null", "''", "'x'", "2.5", "'str'", "5"],
    "date": ["'2026-05-01'", "'2026-05-01 10:00:00.000Z'", "''", "@now", "@yearStart"],
}
OPS = ["=", "!=", ">", ">=", "<", "<=", "~", "!~"]


def random_filter(
    rng: random.Random,
    collection: str,
    ids: list[str],
    paths: dict[str, list[tuple[str, str]]] | None = None,
) -> str:
    table = (paths or PATHS)[collection]

    def comparison() -> str:
        path, kind = rng.choice(table)
        literals = LITERALS[kind] + ([f"'{rng.choice(ids)}'"] if kind == "id" else [])
        op = rng.choice(OPS)
        if rng.random() < 0.35:
            op = "?" + op
        right = rng.choice(literals)
        if rng.random() < 0.1:
            right = rng.choice(table)[0]
        if rng.random() < 0.15:
            return f"{right} {op} {path}"
        return f"{path} {op} {right}"

    parts = [comparison()]
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        parts.append(rng.choice(["&&", "||"]))
        parts.append(comparison())
    text = " ".join(parts)
    if len(parts) == 5 and rng.random() < 0.5:
        text = f"({' '.join(parts[:3])}) {parts[3]} {parts[4]}"
    return text
