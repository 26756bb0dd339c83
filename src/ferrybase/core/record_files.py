"""The files of record writes: new ones stored before the database write, old ones deleted
only after the transaction commits.

A :class:`FileJournal` follows one transaction (a request, or a whole batch). New uploads
are stored first, so a failed upload leaves no record change behind; if the transaction then
fails, :meth:`FileJournal.rollback` deletes them, so no orphan stays. Files a write replaces
or removes, and the folders of deleted records and collections, are only noted and deleted
by :meth:`FileJournal.commit` once the data no longer refers to them: a crash in between
leaves an orphan file, never a record pointing at a missing one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from ferrybase.core.files import (
    FileStorage,
    UploadedFile,
    collection_prefix,
    file_key,
    record_prefix,
    thumbs_prefix,
)
from ferrybase.errors import BadRequestError

log = logging.getLogger("ferrybase.files")


class FileJournal:
    """What one transaction did and will do to files."""

    def __init__(self, storage: Callable[[], Awaitable[FileStorage]]) -> None:
        self._storage = storage
        self._uploaded: list[str] = []
        self._obsolete: list[tuple[str, str, str]] = []  # (collection id, record id, name)
        self._deleted_folders: list[str] = []

    async def upload(
        self, collection_id: str, record_id: str, files: list[UploadedFile], message: str
    ) -> None:
        """Store new files; a storage failure is a 400 with ``message`` (nothing written)."""
        if not files:
            return
        storage = await self._storage()
        for upload in files:
            key = file_key(collection_id, record_id, upload.name)
            try:
                await storage.put(key, upload.file, upload.mime, upload.original_name[:255])
            except Exception as exc:
                log.warning("upload of %s failed: %r", key, exc)
                raise BadRequestError(message) from exc
            self._uploaded.append(key)

    def replaced(self, collection_id: str, record_id: str, names: list[str]) -> None:
        """Files the data stops referring to: deleted (with their thumbs) after commit."""
        self._obsolete += [(collection_id, record_id, n) for n in names]

    def record_deleted(self, collection_id: str, record_id: str) -> None:
        """A deleted record: its whole folder goes after commit."""
        self._deleted_folders.append(record_prefix(collection_id, record_id))

    def collection_deleted(self, collection_id: str) -> None:
        """A deleted collection: the folder of all its records goes after commit."""
        self._deleted_folders.append(collection_prefix(collection_id))

    async def commit(self) -> None:
        """The transaction committed: delete what it made obsolete (failures are logged)."""
        self._uploaded.clear()
        if not self._obsolete and not self._deleted_folders:
            return
        try:
            storage = await self._storage()
        except Exception as exc:  # the data changed all the same: orphans, no more
            log.warning("could not delete the files of a committed change: %r", exc)
            self._obsolete.clear()
            self._deleted_folders.clear()
            return
        for collection_id, record_id, name in self._obsolete:
            try:
                await storage.delete(file_key(collection_id, record_id, name))
                await storage.delete_prefix(thumbs_prefix(collection_id, record_id, name))
            except Exception as exc:  # the record no longer refers to it: an orphan, no more
                log.warning("could not delete %s: %r", name, exc)
        for prefix in self._deleted_folders:
            try:
                await storage.delete_prefix(prefix)
            except Exception as exc:
                log.warning("could not delete %s: %r", prefix, exc)
        self._obsolete.clear()
        self._deleted_folders.clear()

    async def rollback(self) -> None:
        """The transaction failed: delete the files it uploaded, forget the rest."""
        self._obsolete.clear()
        self._deleted_folders.clear()
        if not self._uploaded:
            return
        storage = await self._storage()
        for key in self._uploaded:
            try:
                await storage.delete(key)
            except Exception as exc:
                log.warning("could not delete the new file %s: %r", key, exc)
        self._uploaded.clear()
