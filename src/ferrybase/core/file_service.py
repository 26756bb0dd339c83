"""Serving record files: which storage, who may read a file, thumbnails, file tokens.

The storage follows the settings: the local folder, or the S3 bucket while ``s3.enabled``.
Writes read the settings each time, so no upload ever lands in the storage of before a
change; downloads reuse the choice for up to :data:`STORAGE_TTL` seconds (at once in the
process that changed the settings), so another worker or node serves from the new storage
within that bound.

Files of unprotected fields are public, as in PocketBase: their names carry ten random
characters. A protected field's files need the collection's ``viewRule`` to pass for the
holder of a file token (``?token=``), with ``@request.context = "protectedFile"``; a
superuser's token counts only from the ``superuserIPs`` of the settings, when listed. A view
collection's file field serves the files of the base record its column selects (found by the
file's name, as PocketBase does), under the view's own rules.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from ferrybase.core import sniff
from ferrybase.core.auth import Authenticator
from ferrybase.core.collections import VIEW
from ferrybase.core.fields import Field
from ferrybase.core.files import (
    THUMB_SOURCES,
    FileInfo,
    FileStorage,
    StorageFactory,
    Thumbnailer,
    file_key,
    is_plain_name,
    thumb_allowed,
    thumb_key,
)
from ferrybase.core.rate_limits import ip_in_list
from ferrybase.core.record_files import FileJournal
from ferrybase.core.record_service import Records
from ferrybase.core.records import GUEST, Auth, Record
from ferrybase.core.rules import Caller
from ferrybase.core.settings import Settings
from ferrybase.core.views import file_source
from ferrybase.errors import ForbiddenError, NotFoundError, UnauthorizedError

log = logging.getLogger("ferrybase.files")

PROTECTED_FILE = "protectedFile"
FILE_TOKEN = "file"
# How long downloads trust the storage choice before reading the settings again.
STORAGE_TTL = 1.0


@dataclass(frozen=True)
class ServedFile:
    """A file to send: where it is, under which name, and what the storage knows of it."""

    storage: FileStorage
    key: str
    name: str
    info: FileInfo


class Files:
    """Record files as the API serves them."""

    def __init__(
        self,
        settings: Settings,
        records: Records,
        auth: Authenticator,
        factory: StorageFactory | None,
        thumbnailer: Thumbnailer | None = None,
    ) -> None:
        self.settings = settings
        self.records = records
        self.auth = auth
        self.factory = factory
        self.thumbnailer = thumbnailer
        self._current: tuple[Any, FileStorage] | None = None
        self._checked_at = -STORAGE_TTL
        self._retired: list[FileStorage] = []
        self._thumbs: dict[str, asyncio.Future[None]] = {}

    async def storage(self) -> FileStorage:
        """The storage the settings name now (built once per distinct configuration)."""
        s3 = (await self.settings.load())["s3"]
        self._checked_at = time.monotonic()
        config = dict(s3) if s3.get("enabled") else None
        marker = None if config is None else tuple(sorted(config.items()))
        if self._current is not None and self._current[0] == marker:
            return self._current[1]
        if self.factory is None:
            raise RuntimeError("no file storage is configured")
        storage = self.factory(config)
        if self._current is not None:
            # Requests still streaming from the old one keep it until the core closes.
            self._retired.append(self._current[1])
        self._current = (marker, storage)
        return storage

    async def serving_storage(self) -> FileStorage:
        """The storage downloads read: the settings' choice, at most ``STORAGE_TTL`` old."""
        current = self._current
        if current is not None and time.monotonic() - self._checked_at < STORAGE_TTL:
            return current[1]
        return await self.storage()

    def settings_changed(self) -> None:
        """This process saved the settings: downloads follow them from the next request."""
        self._checked_at = -STORAGE_TTL

    def journal(self) -> FileJournal:
        return FileJournal(self.storage)

    async def storage_for(self, config: dict[str, Any]) -> FileStorage:
        """A storage for a given ``s3`` settings object (``POST /api/settings/test/s3``)."""
        if self.factory is None:
            raise RuntimeError("no file storage is configured")
        return self.factory(config)

    def token(self, auth: Auth) -> str:
        """A file token (``POST /api/files/token``) for the signed-in record."""
        if auth.record is None:
            raise UnauthorizedError()
        return self.auth.issue_record_token(auth.record, FILE_TOKEN)

    async def find(
        self,
        collection_ref: str,
        record_id: str,
        name: str,
        *,
        token: str,
        caller: Caller,
        ip: str = "",
    ) -> tuple[Record, Field]:
        """The record holding the file ``name`` and its field, if the caller may read it.

        Anything missing or refused is the same 404, as in PocketBase.
        """
        collection = self.records.collections.get(collection_ref)
        if collection is None or not record_id or not is_plain_name(name):
            raise NotFoundError()
        record = await self.records.find(collection, record_id)
        if record is None:
            raise NotFoundError()
        field = _field_of(record, name)
        if field is None:
            raise NotFoundError()
        if field.opt("protected"):
            holder = await self.auth.record_of_token(token, FILE_TOKEN) if token else None
            if holder is not None and Auth(holder).is_superuser:
                allowed = (await self.settings.load()).get("superuserIPs") or []
                if allowed and not ip_in_list(allowed, ip):
                    holder = None  # as PocketBase: read as a guest from elsewhere
            reader = Caller(
                GUEST if holder is None else Auth(holder),
                query=caller.query,
                headers=caller.headers,
                method=caller.method,
                context=PROTECTED_FILE,
            )
            try:
                await self.records.view(collection, record.id, reader)
            except ForbiddenError as exc:  # a locked viewRule: superusers only
                raise NotFoundError() from exc
        return record, field

    async def serve(
        self,
        collection_ref: str,
        record_id: str,
        name: str,
        *,
        thumb: str,
        token: str,
        caller: Caller,
        ip: str = "",
    ) -> ServedFile:
        """The file to send for a download request (a thumbnail when one applies); ``ip`` is
        the client's address (checked against ``superuserIPs``)."""
        record, field = await self.find(
            collection_ref, record_id, name, token=token, caller=caller, ip=ip
        )
        cid, rid = await self._folder(record, field, name)
        storage = await self.serving_storage()
        key = file_key(cid, rid, name)
        info = await storage.stat(key)
        if info is None:
            raise NotFoundError()
        if (
            thumb
            and self.thumbnailer is not None
            and thumb_allowed(thumb, list(field.opt("thumbs") or []))
            and sniff.essence(info.content_type) in THUMB_SOURCES
        ):
            served = thumb_key(cid, rid, name, thumb)
            thumb_info = await storage.stat(served)
            if thumb_info is None:
                try:
                    await self._make_thumb(storage, key, served, thumb, info.content_type)
                    thumb_info = await storage.stat(served)
                except Exception as exc:  # fall back to the original, as PocketBase does
                    log.warning("thumb %s of %s failed: %r", thumb, key, exc)
            if thumb_info is not None:
                return ServedFile(storage, served, f"{thumb}_{name}", thumb_info)
        return ServedFile(storage, key, name, info)

    async def _folder(self, record: Record, field: Field, name: str) -> tuple[str, str]:
        """``(collection id, record id)`` of the folder holding the file: the record's own,
        or for a view the first base record whose file field holds ``name``."""
        if record.collection.type != VIEW:
            return record.collection.id, record.id
        found = file_source(record.collection, field.name, self.records.collections)
        if found is None:
            raise NotFoundError()
        source, source_field = found
        dialect = self.records.store.dialect
        q = dialect.quote
        column = q(source_field.name)
        if not source_field.multiple:
            condition = f"{column} = ?"
        elif dialect.is_postgres:  # multi-valued fields are JSON arrays of names
            condition = f"{column} @> jsonb_build_array(CAST(? AS TEXT))"
        else:
            condition = f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?)"
        found_id = await self.records.store.fetch_value(
            f"SELECT {q('id')} FROM {q(source.table)} WHERE {condition} LIMIT 1", (name,)
        )
        if found_id is None:
            raise NotFoundError()
        return source.id, str(found_id)

    async def _make_thumb(
        self, storage: FileStorage, original: str, target: str, size: str, content_type: str
    ) -> None:
        """Make a thumbnail once: concurrent requests for the same one wait for the first."""
        pending = self._thumbs.get(target)
        if pending is not None:
            await asyncio.shield(pending)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._thumbs[target] = future
        try:
            assert self.thumbnailer is not None
            data, mime = await self.thumbnailer.make(
                await storage.read(original), size, content_type
            )
            await storage.put(target, data, mime)
            future.set_result(None)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters get it, nobody is warned twice
            raise
        finally:
            del self._thumbs[target]

    async def close(self) -> None:
        storages = self._retired + ([self._current[1]] if self._current else [])
        self._current, self._retired = None, []
        for storage in storages:
            await storage.close()


def _field_of(record: Record, name: str) -> Field | None:
    """The file field whose value holds ``name``."""
    for field in record.collection.fields:
        if field.type != "file":
            continue
        value = record.get(field.name)
        names = value if isinstance(value, list) else [value]
        if name in names:
            return field
    return None
