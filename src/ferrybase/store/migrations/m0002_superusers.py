"""The ``_superusers`` auth collection: its table, indexes and definition."""

from __future__ import annotations

from ferrybase.core.collections import superusers_collection
from ferrybase.core.dates import now_text
from ferrybase.core.ports import Executor
from ferrybase.core.schema import insert_collection
from ferrybase.filter.dialect import Dialect


async def up(tx: Executor, dialect: Dialect) -> None:
    collection = superusers_collection()
    collection.created = collection.updated = now_text()
    await insert_collection(tx, dialect, collection)
