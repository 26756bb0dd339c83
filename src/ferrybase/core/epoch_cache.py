"""Values remembered while the database has not changed.

An entry holds for the data epoch it was read in (:meth:`~ferrybase.core.ports.Store.
data_epoch`: on SQLite, until anything is committed anywhere); a store that cannot tell
(``None``) remembers nothing. Bounded: the least recently used entry goes first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class EpochCache(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[K, tuple[int, V]] = OrderedDict()

    def get(self, key: K, epoch: int | None) -> V | None:
        """The value remembered for ``key`` in this epoch, if any."""
        if epoch is None:
            return None
        hit = self._entries.get(key)
        if hit is None or hit[0] != epoch:
            return None
        self._entries.move_to_end(key)
        return hit[1]

    def put(self, key: K, epoch: int | None, value: V) -> None:
        """Remember ``value`` for ``key``, read in ``epoch``."""
        if epoch is None:
            return
        self._entries[key] = (epoch, value)
        self._entries.move_to_end(key)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
