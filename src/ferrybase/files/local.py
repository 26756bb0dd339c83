"""Files in a folder: PocketBase's ``pb_data/storage`` layout, under the data directory.

Each file ``<key>`` has a ``<key>.attrs`` JSON sidecar with its content type and original
name, in the format of PocketBase's local blob driver, so a storage folder can move between
the two. Writes go to a temporary file renamed into place: a reader never sees half a file.
Every blocking call runs in a thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ferrybase.core.files import FileInfo

ATTRS = ".attrs"
CHUNK = 256 << 10
_OCTET = "application/octet-stream"


class LocalStorage:
    """A :class:`~ferrybase.core.files.FileStorage` over a folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._root = str(self.root)

    def path(self, key: str) -> Path:
        """The path of a key; a key that would leave the root (``..``, absolute, ``\\``,
        NUL, an ``.attrs`` name) is refused with ``ValueError``."""
        return Path(self._locate(key))

    def _locate(self, key: str) -> str:
        # A lexical check is enough: no segment may climb, and the root itself is resolved.
        parts = key.split("/")
        if (
            not key
            or key.startswith("/")
            or "\\" in key
            or "\x00" in key
            or any(p in ("", ".", "..") for p in parts[:-1])
            or parts[-1] in (".", "..")
            or key.endswith(ATTRS)
        ):
            raise ValueError(f"invalid storage key {key!r}")
        return os.path.join(self._root, key)

    def local_path(self, key: str) -> str | None:
        try:
            return self._locate(key)
        except ValueError:
            return None

    def read_at_once(self, key: str, start: int, end: int) -> bytes | None:
        with open(self._locate(key), "rb") as handle:
            if start:
                handle.seek(start)
            return handle.read(end - start)

    async def put(
        self, key: str, source: IO[bytes] | bytes, content_type: str, original_name: str = ""
    ) -> None:
        path = self.path(key)
        await asyncio.to_thread(_write, path, source, content_type, original_name)

    async def stat(self, key: str) -> FileInfo | None:
        # Inline, not in a thread: a stat and a sidecar of ~250 bytes from a local disk (the
        # page cache, mostly) take microseconds, less than the hop to a thread and back.
        path = self.local_path(key)
        return None if path is None else _stat(path)

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self.path(key).open, "rb")
        try:
            if start:
                handle.seek(start)
            left = None if end is None else end - start
            while left is None or left > 0:
                size = CHUNK if left is None else min(CHUNK, left)
                chunk = await asyncio.to_thread(handle.read, size)
                if not chunk:
                    break
                if left is not None:
                    left -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        path = self.path(key)
        await asyncio.to_thread(_unlink, path)

    async def delete_prefix(self, prefix: str) -> None:
        if not prefix:
            raise ValueError("an empty prefix would delete everything")
        folder = prefix.endswith("/")
        path = self.path(prefix.rstrip("/") if folder else prefix)
        await asyncio.to_thread(_delete_prefix, path, folder)

    async def close(self) -> None:
        return None


def _write(path: Path, source: IO[bytes] | bytes, content_type: str, original_name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    attrs: dict[str, Any] = {
        "user.cache_control": "",
        "user.content_disposition": "",
        "user.content_encoding": "",
        "user.content_language": "",
        "user.content_type": content_type,
        "user.metadata": {"original-filename": original_name} if original_name else {},
        "md5": None,
    }
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(source, bytes):
                out.write(source)
            else:
                source.seek(0)
                shutil.copyfileobj(source, out, CHUNK)
        Path(str(path) + ATTRS).write_text(json.dumps(attrs) + "\n")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _stat(path: str) -> FileInfo | None:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    try:
        with open(path + ATTRS, "rb") as sidecar:
            attrs = json.loads(sidecar.read())
    except (FileNotFoundError, ValueError):
        attrs = {}
    metadata = attrs.get("user.metadata") or {}
    return FileInfo(
        size=st.st_size,
        content_type=str(attrs.get("user.content_type") or _OCTET),
        modified=datetime.fromtimestamp(st.st_mtime, UTC),
        original_name=str(metadata.get("original-filename") or ""),
    )


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)
    Path(str(path) + ATTRS).unlink(missing_ok=True)


def _delete_prefix(path: Path, folder: bool) -> None:
    if folder:
        shutil.rmtree(path, ignore_errors=True)
        return
    parent = path.parent
    if not parent.is_dir():
        return
    for child in parent.iterdir():
        if child.name.startswith(path.name):
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
