"""The collections of a fresh instance: ``_superusers``, ``users`` and the auth bookkeeping ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ferrybase.core.collections import system_collections
from ferrybase.core.dates import format_datetime
from ferrybase.core.ports import Executor
from ferrybase.core.schema import insert_collection
from ferrybase.filter.dialect import Dialect


async def up(tx: Executor, dialect: Dialect) -> None:
    now = datetime.now(UTC)
    for i, collection in enumerate(system_collections()):
        # A millisecond apart, so that sorting by ``created`` keeps the order of creation.
        created = format_datetime(now + timedelta(milliseconds=i))
        collection.created = collection.updated = created
        await insert_collection(tx, dialect, collection)
