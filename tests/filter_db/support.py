"""Run compiled filters on SQLite and PostgreSQL over the fixture data."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from ferrybase.filter import POSTGRES, SQLITE, RequestInfo, compile_filter
from tests.filter_db.fixture import (
    COLLECTIONS,
    SCHEMA,
    Dataset,
    create_table_sql,
    insert_sql,
    row_values,
)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CI_SEED = 20261125
"""The corpus seed under CI: a submission must not pass or fail by the luck of the draw."""


def corpus_seed() -> int:
    """The random corpora's seed: ``FILTER_SEED`` when set, :data:`CI_SEED` under CI, else a
    fresh one (printed by the tests, so a local run that finds a difference can replay it)."""
    if "FILTER_SEED" in os.environ:
        return int(os.environ["FILTER_SEED"])
    if os.environ.get("CI"):
        return CI_SEED
    return secrets.randbelow(1 << 30)


def postgres_url() -> str:
    return os.environ.get("FERRYBASE_TEST_DATABASE_URL", DEFAULT_URL)


def dollar_params(sql: str) -> str:
    """Rewrite ``?`` to ``$n`` outside string literals and quoted identifiers (as the store)."""
    out: list[str] = []
    n = 0
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(ch)
    return "".join(out)


@asynccontextmanager
async def postgres_dataset(data: Dataset) -> AsyncIterator[asyncpg.Connection]:
    """A connection whose search_path is a fresh schema holding the fixture tables."""
    conn = await asyncpg.connect(postgres_url(), timeout=5)
    schema = f"filter_test_{secrets.token_hex(4)}"
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(f'SET search_path TO "{schema}"')
        for c in COLLECTIONS:
            await conn.execute(create_table_sql(c, POSTGRES))
            await conn.executemany(
                insert_sql(c, POSTGRES), [row_values(c, r, True) for r in data.rows[c.name]]
            )
        yield conn
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


async def postgres_available() -> str | None:
    """``None`` when PostgreSQL answers, else the reason it does not."""
    try:
        conn = await asyncpg.connect(postgres_url(), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL unreachable at {postgres_url()}: {exc}"
    await conn.close()
    return None


def sqlite_ids(
    db: sqlite3.Connection,
    collection: str,
    text: str,
    request: RequestInfo | None = None,
    **kwargs: Any,
) -> set[str]:
    cond = compile_filter(
        text,
        SCHEMA.collection(collection) or _missing(collection),
        SCHEMA,
        request,
        SQLITE,
        **kwargs,
    )
    sql = f'SELECT "id" FROM "{collection}" WHERE {cond.sql}'
    return {row[0] for row in db.execute(sql, cond.params)}


async def postgres_ids(
    conn: asyncpg.Connection,
    collection: str,
    text: str,
    request: RequestInfo | None = None,
    **kwargs: Any,
) -> set[str]:
    spec = SCHEMA.collection(collection) or _missing(collection)
    cond = compile_filter(text, spec, SCHEMA, request, POSTGRES, **kwargs)
    sql = dollar_params(f'SELECT "id" FROM "{collection}" WHERE {cond.sql}')
    return {row[0] for row in await conn.fetch(sql, *cond.params)}


def _missing(name: str) -> Any:
    raise AssertionError(f"no fixture collection {name}")
