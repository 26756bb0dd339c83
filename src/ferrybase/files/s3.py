"""Files in an S3-compatible bucket (AWS, MinIO, R2, ...), through boto3 in threads.

boto3's clients are thread-safe, so one client serves every request; each blocking call
runs in a worker thread (``asyncio.to_thread``). Keys are PocketBase's, so a bucket can move
between the two; the original name travels as ``original-filename`` metadata (URL-encoded:
S3 metadata is ASCII).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import quote, unquote

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ferrybase.core.files import FileInfo

CHUNK = 256 << 10
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage:
    """A :class:`~ferrybase.core.files.FileStorage` over one bucket."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, s3: dict[str, Any]) -> S3Storage:
        """From PocketBase's ``s3`` settings object."""
        config = Config(
            s3={"addressing_style": "path" if s3.get("forcePathStyle") else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
            max_pool_connections=32,
            connect_timeout=10,
            read_timeout=60,
        )
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=str(s3.get("endpoint") or "") or None,
            region_name=str(s3.get("region") or "") or None,
            aws_access_key_id=str(s3.get("accessKey") or ""),
            aws_secret_access_key=str(s3.get("secret") or ""),
            config=config,
        )
        return cls(client, str(s3.get("bucket") or ""))

    async def put(
        self, key: str, source: IO[bytes] | bytes, content_type: str, original_name: str = ""
    ) -> None:
        metadata = {"original-filename": quote(original_name)} if original_name else {}
        if isinstance(source, bytes):
            await asyncio.to_thread(
                self.client.put_object,
                Bucket=self.bucket,
                Key=key,
                Body=source,
                ContentType=content_type,
                Metadata=metadata,
            )
            return
        source.seek(0)
        await asyncio.to_thread(
            self.client.upload_fileobj,
            source,
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type, "Metadata": metadata},
        )

    async def stat(self, key: str) -> FileInfo | None:
        try:
            head = await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        modified = head.get("LastModified") or datetime.now(UTC)
        metadata = head.get("Metadata") or {}
        return FileInfo(
            size=int(head.get("ContentLength") or 0),
            content_type=str(head.get("ContentType") or "application/octet-stream"),
            modified=modified.astimezone(UTC),
            original_name=unquote(str(metadata.get("original-filename") or "")),
        )

    def read_at_once(self, key: str, start: int, end: int) -> bytes | None:
        return None

    def local_path(self, key: str) -> str | None:
        return None

    async def read(self, key: str) -> bytes:
        try:
            response = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from exc
            raise
        body = response["Body"]
        try:
            data: bytes = await asyncio.to_thread(body.read)
        finally:
            body.close()
        return data

    async def stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        extra: dict[str, Any] = {}
        if start or end is not None:
            extra["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        response = await asyncio.to_thread(
            self.client.get_object, Bucket=self.bucket, Key=key, **extra
        )
        body = response["Body"]
        try:
            while True:
                chunk = await asyncio.to_thread(body.read, CHUNK)
                if not chunk:
                    break
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=key)

    async def delete_prefix(self, prefix: str) -> None:
        if not prefix:
            raise ValueError("an empty prefix would delete everything")
        await asyncio.to_thread(self._delete_prefix, prefix)

    def _delete_prefix(self, prefix: str) -> None:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents") or []]
            if keys:
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True}
                )

    async def close(self) -> None:
        await asyncio.to_thread(self.client.close)


def _missing(exc: ClientError) -> bool:
    error = exc.response.get("Error") or {}
    return str(error.get("Code")) in _MISSING
