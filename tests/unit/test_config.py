"""Configuration, its environment twins, and the PostgreSQL placeholder rewrite."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferrybase.config import Config, split_address
from ferrybase.store.postgres import to_numbered


def test_env_round_trip() -> None:
    config = Config(http="0.0.0.0:9000", dir=Path("/tmp/x"), db="postgresql://h/db", workers=3)
    assert Config.from_env(config.to_env()) == config


def test_defaults() -> None:
    config = Config.from_env({})
    assert config.http == "127.0.0.1:8090"
    assert config.dir == Path("fb_data")
    assert config.database_url.startswith("sqlite:///") and config.database_url.endswith(
        "fb_data/data.db"
    )
    assert config.workers >= 1


@pytest.mark.parametrize(
    ("address", "expected"),
    [("127.0.0.1:8090", ("127.0.0.1", 8090)), (":80", ("0.0.0.0", 80)), ("[::1]:9", ("::1", 9))],
)
def test_split_address(address: str, expected: tuple[str, int]) -> None:
    assert split_address(address) == expected


@pytest.mark.parametrize("address", ["8090", "host:", "host:http"])
def test_split_address_refuses(address: str) -> None:
    with pytest.raises(ValueError):
        split_address(address)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT ?", "SELECT $1"),
        ("a = ? AND b = ?", "a = $1 AND b = $2"),
        ("x = '?' AND y = ?", "x = '?' AND y = $1"),
        ("\"we?ird\" = ? AND z = 'it''s ?'", "\"we?ird\" = $1 AND z = 'it''s ?'"),
    ],
)
def test_placeholders_for_postgres(sql: str, expected: str) -> None:
    assert to_numbered(sql) == expected
