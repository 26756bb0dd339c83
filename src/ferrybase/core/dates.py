"""Datetimes as PocketBase writes them: UTC, a space, milliseconds and ``Z``."""

from __future__ import annotations

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
    return format_datetime(datetime.now(UTC))
