"""A real S3-compatible server for the S3 storage tests: moto's server mode on 127.0.0.1.

One server per test session (a thread of this process); each test gets a bucket of its own.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.support.servers import free_port

REGION = "us-east-1"
ACCESS_KEY = "testing-access-key"
SECRET = "testing-secret-key"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self) -> Any:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET,
        )

    def new_bucket(self) -> str:
        name = f"fb-test-{secrets.token_hex(6)}"
        client = self.client()
        client.create_bucket(Bucket=name)
        client.close()
        return name

    def settings(self, bucket: str) -> dict[str, Any]:
        """PocketBase's ``s3`` settings object for a bucket of this server."""
        return {
            "enabled": True,
            "bucket": bucket,
            "region": REGION,
            "endpoint": self.endpoint,
            "accessKey": ACCESS_KEY,
            "secret": SECRET,
            "forcePathStyle": True,
        }

    def keys(self, bucket: str) -> list[str]:
        client = self.client()
        try:
            found = client.list_objects_v2(Bucket=bucket).get("Contents") or []
            return sorted(str(item["Key"]) for item in found)
        finally:
            client.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
