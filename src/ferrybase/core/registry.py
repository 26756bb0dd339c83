"""The collections a process knows: loaded from ``_collections``, looked up by id or name."""

from __future__ import annotations

from ferrybase.core.collections import Collection
from ferrybase.core.ports import Executor
from ferrybase.core.schema import load_collections


class CollectionRegistry:
    """An in-memory index of collection definitions; names match regardless of case."""

    def __init__(self) -> None:
        self._by_id: dict[str, Collection] = {}
        self._by_name: dict[str, Collection] = {}

    async def load(self, db: Executor) -> None:
        collections = await load_collections(db)
        self._by_id = {c.id: c for c in collections}
        self._by_name = {c.name.lower(): c for c in collections}

    def get(self, id_or_name: str) -> Collection | None:
        return self._by_id.get(id_or_name) or self._by_name.get(id_or_name.lower())

    def all(self) -> list[Collection]:
        return list(self._by_id.values())
