"""SQLite's value conversions, datetime macros and the SQL fragment helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ferrybase.filter.macros import MACROS, format_datetime, macro_value
from ferrybase.filter.resolver import go_float
from ferrybase.filter.sql import Sql, fmt, join
from ferrybase.filter.values import sqlite_number, sqlite_text

NOW = datetime(2024, 2, 10, 7, 8, 9, 456789, tzinfo=UTC)  # a Saturday in a leap year


@pytest.mark.parametrize(
    ("text", "number"),
    [("500", 500), (" 5 ", 5), ("1e3", 1000.0), ("-2.5", -2.5), (".5", 0.5), ("5.", 5.0)]
    + [(t, None) for t in ["", "abc", "5abc", "0x10", "1 2", "inf", "--1"]],
)
def test_sqlite_number(text: str, number: float | None) -> None:
    assert sqlite_number(text) == number


@pytest.mark.parametrize(
    ("value", "text"),
    [(5, "5"), (5.0, "5.0"), (2.5, "2.5"), (1e20, "1.0e+20"), (0.1, "0.1"), (-3.0, "-3.0")],
)
def test_sqlite_text(value: float, text: str) -> None:
    assert sqlite_text(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(5.0, "5"), (2.5, "2.5"), (1e21, "1000000000000000000000"), (1e-7, "0.0000001")],
)
def test_go_float(value: float, text: str) -> None:
    assert go_float(value) == text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("@now", "2024-02-10 07:08:09.456Z"),
        ("@yesterday", "2024-02-09 07:08:09.456Z"),
        ("@tomorrow", "2024-02-11 07:08:09.456Z"),
        ("@second", 9),
        ("@minute", 8),
        ("@hour", 7),
        ("@day", 10),
        ("@month", 2),
        ("@weekday", 6),
        ("@year", 2024),
        ("@todayStart", "2024-02-10 00:00:00.000Z"),
        ("@todayEnd", "2024-02-10 23:59:59.999Z"),
        ("@monthStart", "2024-02-01 00:00:00.000Z"),
        ("@monthEnd", "2024-02-29 23:59:59.999Z"),
        ("@yearStart", "2024-01-01 00:00:00.000Z"),
        ("@yearEnd", "2024-12-31 23:59:59.999Z"),
    ],
)
def test_macros(name: str, value: object) -> None:
    assert macro_value(name, NOW) == value


def test_every_macro_is_tested() -> None:
    assert len(MACROS) == 16


def test_format_datetime_converts_to_utc() -> None:
    from datetime import timedelta, timezone

    local = datetime(2024, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=3)))
    assert format_datetime(local) == "2023-12-31 23:00:00.000Z"


def test_sql_fragments_keep_params_in_order() -> None:
    a, b = Sql("?", (1,)), Sql("?", (2,))
    assert fmt("{} < {}", b, a) == Sql("? < ?", (2, 1))
    assert join(" AND ", [a, b, a]) == Sql("? AND ? AND ?", (1, 2, 1))
    assert ("(" + a + ")") == Sql("(?)", (1,))
    with pytest.raises(ValueError):
        fmt("{}", a, b)
