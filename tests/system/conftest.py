"""System tests run real ``ferrybase`` processes, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.databases import database

pytestmark = pytest.mark.system


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    async with database(request.param) as url:
        yield url


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "fb_data"
