"""Schema changes made at runtime are kept in the migrations history with their definitions."""

from __future__ import annotations

from ferrybase.core.ports import Executor
from ferrybase.filter.dialect import Dialect


async def up(tx: Executor, dialect: Dialect) -> None:
    json_t = "JSONB" if dialect.is_postgres else "JSON"
    await tx.execute(f'ALTER TABLE "_migrations" ADD COLUMN "change" {json_t} DEFAULT NULL')
