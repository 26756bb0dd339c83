"""The collections a process knows: loaded from ``_collections``, looked up by id or name.

Every catalog change bumps a version in ``_params`` in its transaction; :meth:`refresh`
compares it with the version loaded and reloads when another process changed the catalog.
"""

from __future__ import annotations

from ferrybase.core.collections import Collection
from ferrybase.core.ports import Executor, Json, Store
from ferrybase.core.rules import schema_of
from ferrybase.core.schema import load_collections
from ferrybase.filter import Schema
from ferrybase.filter.dialect import Dialect

VERSION_KEY = "catalogVersion"
_SELECT_VERSION = 'SELECT "value" FROM "_params" WHERE "id" = ?'


class CollectionRegistry:
    """An in-memory index of collection definitions; names match regardless of case."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._by_id: dict[str, Collection] = {}
        self._by_name: dict[str, Collection] = {}
        self.schema = Schema()  # the filter compiler's view of the same collections
        self._version: object = None
        self._epoch: int | None = None

    async def load(self, db: Executor) -> None:
        self._epoch = None
        version = await db.fetch_value(_SELECT_VERSION, (VERSION_KEY,))
        collections = await load_collections(db, self.dialect)
        self._by_id = {c.id: c for c in collections}
        self._by_name = {c.name.lower(): c for c in collections}
        self.schema = schema_of(collections)
        self._version = version

    async def refresh(self, store: Store) -> None:
        """Reload if another process (or node) changed the catalog since the last load.

        Where the store can tell that the catalog cannot have changed since the last look
        (its catalog epoch), the version is not even read."""
        epoch = store.catalog_epoch()
        if epoch is not None and epoch == self._epoch:
            return
        if await store.fetch_value(_SELECT_VERSION, (VERSION_KEY,)) != self._version:
            await self.load(store)
        self._epoch = epoch

    async def bump(self, tx: Executor) -> None:
        """Mark the catalog changed; call inside the transaction that changed it."""
        current = await tx.fetch_value(_SELECT_VERSION, (VERSION_KEY,))
        value = Json(int(current or 0) + 1)
        if current is None:
            await tx.execute(
                'INSERT INTO "_params" ("id", "value") VALUES (?, ?)', (VERSION_KEY, value)
            )
        else:
            await tx.execute(
                'UPDATE "_params" SET "value" = ? WHERE "id" = ?', (value, VERSION_KEY)
            )

    def get(self, id_or_name: str) -> Collection | None:
        return self._by_id.get(id_or_name) or self._by_name.get(id_or_name.lower())

    def all(self) -> list[Collection]:
        return list(self._by_id.values())
