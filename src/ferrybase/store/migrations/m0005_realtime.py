"""Realtime clients, shared by every worker and node (``core/realtime.py``).

One row per SSE client: its auth and subscriptions (set by a subscription POST that may reach
any process), the process holding its stream (``owner``, empty once the stream closed) and
``cursor``, the last change-feed ``seq`` written to it, from which a reconnect with
``Last-Event-ID`` resumes. ``updated`` is refreshed while the stream lives; rows idle past the
retention window are removed by housekeeping. UNLOGGED on PostgreSQL: the rows describe live
connections, which a database crash ends anyway.
"""

from __future__ import annotations

from ferrybase.core.ports import Executor
from ferrybase.filter.dialect import Dialect


async def up(tx: Executor, dialect: Dialect) -> None:
    pg = dialect.is_postgres
    unlogged = "UNLOGGED " if pg else ""
    json_t = "JSONB" if pg else "JSON"
    await tx.execute(
        f'CREATE {unlogged}TABLE "_realtimeClients" ('
        '"id" TEXT PRIMARY KEY NOT NULL, '
        "\"owner\" TEXT NOT NULL DEFAULT '', "
        "\"ip\" TEXT NOT NULL DEFAULT '', "
        "\"authCollectionId\" TEXT NOT NULL DEFAULT '', "
        "\"authRecordId\" TEXT NOT NULL DEFAULT '', "
        f"\"subscriptions\" {json_t} NOT NULL DEFAULT '[]', "
        '"cursor" BIGINT NOT NULL DEFAULT 0, '
        '"created" TEXT NOT NULL, '
        '"updated" TEXT NOT NULL)'
    )
    await tx.execute('CREATE INDEX "idx__realtimeClients_owner" ON "_realtimeClients" ("owner")')
