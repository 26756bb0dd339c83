"""System tables: settings (``_params``), collection definitions and the change feed."""

from __future__ import annotations

from ferrybase.core.ports import Executor
from ferrybase.filter.dialect import Dialect


async def up(tx: Executor, dialect: Dialect) -> None:
    pg = dialect.is_postgres
    json_t = "JSONB" if pg else "JSON"
    seq = "BIGSERIAL PRIMARY KEY" if pg else "INTEGER PRIMARY KEY AUTOINCREMENT"
    rowid = ', "_rowid" BIGSERIAL' if pg else ""  # SQLite has its own rowid
    statements = [
        f"""CREATE TABLE "_params" (
            "id" TEXT PRIMARY KEY NOT NULL,
            "value" {json_t} DEFAULT NULL,
            "created" TEXT NOT NULL DEFAULT '',
            "updated" TEXT NOT NULL DEFAULT '')""",
        f"""CREATE TABLE "_collections" (
            "id" TEXT PRIMARY KEY NOT NULL,
            "name" TEXT NOT NULL,
            "type" TEXT NOT NULL DEFAULT 'base',
            "system" BOOLEAN NOT NULL DEFAULT FALSE,
            "fields" {json_t} NOT NULL DEFAULT '[]',
            "indexes" {json_t} NOT NULL DEFAULT '[]',
            "rules" {json_t} NOT NULL DEFAULT '{{}}',
            "options" {json_t} NOT NULL DEFAULT '{{}}',
            "created" TEXT NOT NULL DEFAULT '',
            "updated" TEXT NOT NULL DEFAULT ''{rowid})""",
        # Collection names are unique regardless of case, as in PocketBase.
        'CREATE UNIQUE INDEX "idx__collections_name" ON "_collections" '
        + ('(LOWER("name"))' if pg else '("name" COLLATE NOCASE)'),
        # The change feed: every record write appends its event in the same transaction.
        f"""CREATE TABLE "_changes" (
            "seq" {seq},
            "collectionId" TEXT NOT NULL,
            "collectionName" TEXT NOT NULL,
            "recordId" TEXT NOT NULL,
            "action" TEXT NOT NULL,
            "record" {json_t} NOT NULL,
            "created" TEXT NOT NULL)""",
        'CREATE INDEX "idx__changes_created" ON "_changes" ("created")',
    ]
    for sql in statements:
        await tx.execute(sql)
