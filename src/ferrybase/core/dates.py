"""Datetimes as PocketBase writes them: UTC, a space, milliseconds and ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def format_datetime(moment: datetime) -> str:
    """``2026-11-25 12:41:19.765Z``; naive datetimes are taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_text() -> str:
    return format_datetime(datetime.now(UTC))
