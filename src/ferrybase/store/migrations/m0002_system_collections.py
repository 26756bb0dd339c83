"""The collections of a fresh instance: ``_superusers``, ``users`` and the auth bookkeeping ones."""

from __future__ import annotations

from ferrybase.core.collections import system_collections
from ferrybase.core.dates import now_text
from ferrybase.core.ports import Executor
from ferrybase.core.schema import insert_collection
from ferrybase.filter.dialect import Dialect


async def up(tx: Executor, dialect: Dialect) -> None:
    now = now_text()
    for collection in system_collections():
        collection.created = collection.updated = now
        await insert_collection(tx, dialect, collection)
