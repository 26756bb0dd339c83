"""Rate-limit windows shared by every worker and node (``core/rate_limits.py``).

One row per limiter key and client: when its window ends (unix seconds) and how many requests
it has counted. On PostgreSQL the table is UNLOGGED: counters need no crash safety, and
skipping the WAL makes the write on every limited request cheaper. On SQLite it is a
``WITHOUT ROWID`` table, so the key is the only b-tree to update.
"""

from __future__ import annotations

from ferrybase.core.ports import Executor
from ferrybase.filter.dialect import Dialect


async def up(tx: Executor, dialect: Dialect) -> None:
    unlogged = "UNLOGGED " if dialect.is_postgres else ""
    without_rowid = "" if dialect.is_postgres else " WITHOUT ROWID"
    await tx.execute(
        f'CREATE {unlogged}TABLE "_rateLimits" ('
        '"key" TEXT PRIMARY KEY NOT NULL, '
        '"reset" BIGINT NOT NULL, '
        f'"hits" INTEGER NOT NULL){without_rowid}'
    )
