"""File storage behind ``core.files.FileStorage``: a local folder, an S3 bucket, memory.

May import the core and the leaves. :func:`storage_factory` is what ``server.py`` hands the
core: it builds the backend the settings describe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ferrybase.core.files import FileStorage, StorageFactory


def storage_factory(local_root: Path) -> StorageFactory:
    """Local storage under ``local_root`` when S3 is off, else a client of the bucket."""

    def build(s3: dict[str, Any] | None) -> FileStorage:
        if s3 is None:
            from ferrybase.files.local import LocalStorage

            return LocalStorage(local_root)
        from ferrybase.files.s3 import S3Storage

        return S3Storage.from_settings(s3)

    return build
