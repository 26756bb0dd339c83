"""Files in memory: the fake storage tests use (it can be told to fail)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import IO

from ferrybase.core.files import FileInfo


class MemoryStorage:
    """A :class:`~ferrybase.core.files.FileStorage` in a dict; ``fail_puts`` makes the next
    that many ``put`` calls raise ``OSError`` (a storage outage)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, FileInfo]] = {}
        self.fail_puts = 0

    async def put(
        self, key: str, source: IO[bytes] | bytes, content_type: str, original_name: str = ""
    ) -> None:
        if self.fail_puts > 0:
            self.fail_puts -= 1
            raise OSError("storage unavailable")
        if not isinstance(source, bytes):
            source.seek(0)
            source = source.read()
        info = FileInfo(len(source), content_type, datetime.now(UTC), original_name)
        self.files[key] = (source, info)

    async def stat(self, key: str) -> FileInfo | None:
        found = self.files.get(key)
        return None if found is None else found[1]

    def read_at_once(self, key: str, start: int, end: int) -> bytes | None:
        if key not in self.files:
            raise FileNotFoundError(key)
        return self.files[key][0][start:end]

    def local_path(self, key: str) -> str | None:
        return None

    async def read(self, key: str) -> bytes:
        if key not in self.files:
            raise FileNotFoundError(key)
        return self.files[key][0]

    async def stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        yield (await self.read(key))[start:end]

    async def delete(self, key: str) -> None:
        self.files.pop(key, None)

    async def delete_prefix(self, prefix: str) -> None:
        for key in [k for k in self.files if k.startswith(prefix)]:
            del self.files[key]

    async def close(self) -> None:
        return None
