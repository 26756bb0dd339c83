"""Persistence behind one interface (``core.ports.Store``): SQLite and PostgreSQL.

May import the core and the leaves; nothing above it imports a driver.
"""

from __future__ import annotations

from pathlib import Path

from ferrybase.core.ports import Store


async def open_store(url: str) -> Store:
    """Open the store a URL names: ``postgresql://...`` or ``sqlite:///path/to/data.db``."""
    if url.startswith(("postgresql://", "postgres://")):
        from ferrybase.store.postgres import PostgresStore

        return await PostgresStore.open(url)
    if url.startswith("sqlite:///"):
        from ferrybase.store.sqlite import SQLiteStore

        return SQLiteStore(Path(url.removeprefix("sqlite:///")))
    scheme = url.split(":", 1)[0]
    raise ValueError(
        f"unsupported database URL scheme {scheme!r}: expected postgresql:// or a path"
    )
