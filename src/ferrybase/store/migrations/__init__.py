"""Versioned migrations of the system schema, applied in order at start-up.

Each migration runs once; the names of those applied are kept in ``_migrations`` (PocketBase's
table of the same name). All pending migrations run in one transaction under a lock, so two
processes or nodes starting together cannot both apply one, and a failed start-up leaves the
schema as it was.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ferrybase.core.ports import Executor, Store
from ferrybase.filter.dialect import Dialect
from ferrybase.store.migrations import (
    m0001_system,
    m0002_system_collections,
    m0003_schema_history,
    m0004_rate_limits,
    m0005_realtime,
    m0006_feed_order,
    m0007_catalog_notify,
)


@dataclass(frozen=True)
class Migration:
    name: str
    up: Callable[[Executor, Dialect], Awaitable[None]]


MIGRATIONS = (
    Migration("0001_system_tables", m0001_system.up),
    Migration("0002_system_collections", m0002_system_collections.up),
    Migration("0003_schema_history", m0003_schema_history.up),
    Migration("0004_rate_limits", m0004_rate_limits.up),
    Migration("0005_realtime", m0005_realtime.up),
    Migration("0006_feed_order", m0006_feed_order.up),
    Migration("0007_catalog_notify", m0007_catalog_notify.up),
)

# Any constant works; it only has to be the same for every Ferrybase process.
_PG_LOCK_KEY = 0x46455242


async def apply(store: Store) -> list[str]:
    dialect = store.dialect
    applied: list[str] = []
    async with store.transaction() as tx:
        if dialect.is_postgres:
            await tx.execute("SELECT pg_advisory_xact_lock(?)", (_PG_LOCK_KEY,))
        # SQLite: the transaction's BEGIN IMMEDIATE already holds the database's write lock.
        await tx.execute(
            'CREATE TABLE IF NOT EXISTS "_migrations" '
            '("file" TEXT PRIMARY KEY NOT NULL, "applied" BIGINT NOT NULL)'
        )
        done = {row["file"] for row in await tx.fetch_all('SELECT "file" FROM "_migrations"')}
        for migration in MIGRATIONS:
            if migration.name in done:
                continue
            await migration.up(tx, dialect)
            await tx.execute(
                'INSERT INTO "_migrations" ("file", "applied") VALUES (?, ?)',
                (migration.name, time.time_ns() // 1000),
            )
            applied.append(migration.name)
    return applied
