"""Datetimes as PocketBase writes them: UTC, a space, milliseconds and ``Z``."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def format_datetime(moment: datetime) -> str:
    """``2026-11-25 12:41:19.765Z``; naive datetimes are taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    m = moment  # one f-string: about twice as fast as strftime, on every write
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d} "
        f"{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond // 1000:03d}Z"
    )


def now_text() -> str:
    """The current moment as :func:`format_datetime` writes it (every write stamps one: the
    date and time up to the second are formatted once per second)."""
    global _second
    seconds, nanos = divmod(time.time_ns(), 1_000_000_000)
    cached = _second
    if cached[0] != seconds:
        cached = (seconds, format_datetime(datetime.fromtimestamp(seconds, UTC))[:19])
        _second = cached
    return f"{cached[1]}.{nanos // 1_000_000:03d}Z"


_second: tuple[int, str] = (-1, "")
