"""Test databases: a fresh SQLite file or a fresh PostgreSQL schema per test.

PostgreSQL comes from ``FERRYBASE_TEST_DATABASE_URL`` (default: the local server). When it is
unreachable the PostgreSQL variants skip with a one-line reason, except under CI (``CI`` set),
where they must run and so fail instead.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlencode, urlsplit, urlunsplit

import asyncpg
import pytest

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_base_url() -> str:
    return os.environ.get("FERRYBASE_TEST_DATABASE_URL") or DEFAULT_PG


_reachable: bool | None = None


async def _pg_reachable() -> bool:
    global _reachable
    if _reachable is None:
        try:
            conn = await asyncio.wait_for(asyncpg.connect(pg_base_url()), timeout=5)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            _reachable = False
        else:
            await conn.close()
            _reachable = True
    return _reachable


def with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode({"search_path": schema})) if q)
    return urlunsplit(parts._replace(query=query))


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A URL whose connections live in a new, empty schema; dropped afterwards."""
    if not await _pg_reachable():
        message = f"PostgreSQL unreachable at {pg_base_url()}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the PostgreSQL tests)")
        pytest.skip(message)
    schema = f"fbtest_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(pg_base_url())
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield with_search_path(pg_base_url(), schema)
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


@asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """The ``--db`` value of a fresh store of ``kind``: ``""`` (SQLite under --dir) or a URL."""
    if kind == "postgres":
        async with postgres_schema() as url:
            yield url
    else:
        yield ""
