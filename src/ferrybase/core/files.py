"""Files: uploads, their stored names, and the storage they live in.

A record's files live under ``<collectionId>/<recordId>/<name>`` (PocketBase's layout) in a
:class:`FileStorage`: the local folder under the data directory, or an S3-compatible bucket
when the ``s3`` settings say so (``files/``, wired in ``server.py``). Thumbnails of
``<name>`` live beside it under ``thumbs_<name>/<size>_<name>``.

Stored names are PocketBase's: the original base name in snake case, ``_``, ten random
``[a-z0-9]`` and the cleaned extension (``My Photo.PNG`` -> ``my_photo_x7f3k2m9qa.PNG``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Protocol

from ferrybase.core import sniff

RANDOM_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# A file field's ``maxSize`` when its option is 0 (PocketBase's DefaultFileFieldMaxSize).
DEFAULT_MAX_SIZE = 5 << 20
# ``WxH``, ``WxHt`` (top), ``WxHb`` (bottom), ``WxHf`` (fit), ``0xH`` and ``Wx0``.
THUMB_SIZE = re.compile(r"^(\d+)x(\d+)(t|b|f)?$", re.ASCII)
# Always allowed, whatever the field's ``thumbs`` say.
DEFAULT_THUMBS = ("100x100",)
# The formats a thumbnail is made of (PocketBase's imageContentTypes).
THUMB_SOURCES = frozenset({"image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp"})

_EXT_INVALID = re.compile(r"[^\w.*\-+=#]+", re.ASCII)
_SNAKE_SPLIT = re.compile(r"[\W_]+", re.ASCII)
# What a stored name looks like to the field checks (PocketBase's looseFilenameRegex).
_LOOSE_NAME = re.compile(r"^[^./\\][^/\\]+$")


def random_part(length: int = 10) -> str:
    return "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(length))


def normalize_name(original: str, head: bytes = b"") -> str:
    """The stored name of an upload: PocketBase's ``normalizeName``.

    The extension is everything from the second-to-last dot (``a.tar.gz`` -> ``.tar.gz``),
    stripped of odd characters; with none left it is guessed from the content (``head``).
    The base name goes to snake case (ASCII words only), gets random characters when
    shorter than 3 and is cut at 100; ``_`` and ten random characters always follow.
    """
    raw = original.encode()
    if len(raw) > 300:
        original = raw[-300:].decode("utf-8", "ignore")
    extension = _extension(original)
    clean_ext = "." + _EXT_INVALID.sub("", extension).strip(".")
    if clean_ext == ".":
        clean_ext = sniff.extension(sniff.detect(head))
    if len(clean_ext) > 20:
        clean_ext = "." + clean_ext[-20:].strip(".")
    base = original[: len(original) - len(extension)] if extension else original
    clean = snakecase(base.strip("."))
    if len(clean) < 3:
        clean += random_part()
    elif len(clean) > 100:
        clean = clean[:100]
    return f"{clean}_{random_part()}{clean_ext}"


def _extension(name: str) -> str:
    primary = name.rfind(".")
    if primary == -1:
        return ""
    secondary = name.rfind(".", 0, primary)
    return name[secondary:] if secondary >= 0 else name[primary:]


def snakecase(text: str) -> str:
    """PocketBase's ``inflector.Snakecase``: ASCII words joined by ``_``, camelCase split."""
    out: list[str] = []
    for word in _SNAKE_SPLIT.split(text):
        if not word:
            continue
        if out:
            out.append("_")
        for i, char in enumerate(word):
            if char.isupper() and i > 0 and not word[i - 1].isupper():
                out.append("_")
            out.append(char)
    return "".join(out).lower()


def is_plain_name(name: str) -> bool:
    """A single path segment that cannot climb out of a record's folder."""
    return (
        bool(name)
        and name not in (".", "..")
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
    )


def is_loose_name(name: str) -> bool:
    return 1 <= len(name) <= 150 and _LOOSE_NAME.match(name) is not None


def collection_prefix(collection_id: str) -> str:
    """The folder of every file of a collection's records (with the trailing slash)."""
    return f"{collection_id}/"


def record_prefix(collection_id: str, record_id: str) -> str:
    """The folder of a record's files (with the trailing slash)."""
    return f"{collection_id}/{record_id}/"


def file_key(collection_id: str, record_id: str, name: str) -> str:
    return f"{collection_id}/{record_id}/{name}"


def thumb_key(collection_id: str, record_id: str, name: str, size: str) -> str:
    return f"{collection_id}/{record_id}/thumbs_{name}/{size}_{name}"


def thumbs_prefix(collection_id: str, record_id: str, name: str) -> str:
    return f"{collection_id}/{record_id}/thumbs_{name}/"


class UploadedFile:
    """One uploaded file: where its bytes are, how big it is and what they are.

    ``name`` is the stored name (normalized on arrival); ``mime`` is sniffed from the bytes,
    never taken from the client. ``file`` is a readable binary file positioned anywhere: the
    storage reads it from the start.
    """

    __slots__ = ("file", "mime", "name", "original_name", "size")

    def __init__(self, original_name: str, file: IO[bytes], size: int) -> None:
        self.original_name = original_name
        self.file = file
        self.size = size
        file.seek(0)
        head = file.read(sniff.READ_LIMIT)
        file.seek(0)
        self.mime = sniff.detect(head)
        self.name = normalize_name(original_name, head)

    @classmethod
    def of_bytes(cls, original_name: str, content: bytes) -> UploadedFile:
        import io

        return cls(original_name, io.BytesIO(content), len(content))

    def close(self) -> None:
        self.file.close()

    def __repr__(self) -> str:
        return f"UploadedFile({self.name!r}, size={self.size})"


def uploads_in(value: Any) -> list[UploadedFile]:
    """The uploads within a body value (a file or a list mixing names and files)."""
    if isinstance(value, UploadedFile):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, UploadedFile)]
    return []


def without_uploads(body: dict[str, Any]) -> dict[str, Any]:
    """The body as rules see it (``@request.body``): the plain values, files left out."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, UploadedFile):
            continue
        if isinstance(value, list) and any(isinstance(v, UploadedFile) for v in value):
            value = [v for v in value if not isinstance(v, UploadedFile)]
            if not value:
                continue
        out[key] = value
    return out


def close_uploads(body: dict[str, Any]) -> None:
    """Close every upload in a body (their spooled temporary files)."""
    for value in body.values():
        for upload in uploads_in(value):
            upload.close()
        if isinstance(value, dict):
            close_uploads(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    close_uploads(item)


@dataclass(frozen=True)
class FileInfo:
    """What a storage knows of a stored file."""

    size: int
    content_type: str
    modified: datetime
    original_name: str = ""


class FileStorage(Protocol):
    """Where files live (``files/``: a local folder, an S3 bucket, memory for tests).

    Keys are ``/``-separated relative paths; implementations refuse any that would leave
    their root. Missing files are ``None`` from :meth:`stat` and no error from the deletes.
    """

    async def put(
        self, key: str, source: IO[bytes] | bytes, content_type: str, original_name: str = ""
    ) -> None:
        """Store the bytes (a file is read from its start) under ``key``."""
        ...

    async def stat(self, key: str) -> FileInfo | None: ...

    def read_at_once(self, key: str, start: int, end: int) -> bytes | None:
        """Bytes ``start`` up to ``end`` without waiting, if the storage has them at hand (a
        local disk, memory), else ``None``; only for a few MiB at most: it blocks the loop.
        ``FileNotFoundError`` if the file is gone."""
        ...

    def local_path(self, key: str) -> str | None:
        """The file's path on this machine, if it is on a local disk (the HTTP server may
        then send it itself); ``None`` for remote storage or an invalid key."""
        ...

    async def read(self, key: str) -> bytes:
        """The whole file (thumbnails read their original); ``FileNotFoundError`` if absent."""
        ...

    def stream(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes ``start`` up to ``end`` (exclusive; ``None``: to the end), in chunks."""
        ...

    async def delete(self, key: str) -> None: ...

    async def delete_prefix(self, prefix: str) -> None:
        """Delete every file whose key starts with ``prefix`` (a folder ends with ``/``)."""
        ...

    async def close(self) -> None: ...


# Builds the storage the settings describe: ``None`` is the local folder, else the ``s3``
# settings object (enabled, bucket, region, endpoint, accessKey, secret, forcePathStyle).
StorageFactory = Callable[[dict[str, Any] | None], FileStorage]


class Thumbnailer(Protocol):
    """Makes thumbnails (``files/thumbs.py``, Pillow in a thread)."""

    async def make(self, original: bytes, size: str, content_type: str) -> tuple[bytes, str]:
        """The thumbnail's bytes and content type; ``ValueError`` if the image can't be."""
        ...


def thumb_allowed(size: str, field_thumbs: list[str]) -> bool:
    return size in DEFAULT_THUMBS or size in field_thumbs
