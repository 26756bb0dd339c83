"""PocketBase's datetime macros (``@now``, ``@monthEnd``, ...), evaluated in UTC.

Date macros give PocketBase's datetime text (``2026-11-25 12:41:19.765Z``), which compares
lexicographically with stored dates; the part macros (``@hour``, ``@weekday``) give integers.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def format_datetime(moment: datetime) -> str:
    """PocketBase's datetime text: ``YYYY-MM-DD HH:MM:SS.mmmZ`` in UTC."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _day_end(moment: datetime) -> datetime:
    return moment.replace(hour=23, minute=59, second=59, microsecond=999999)


def _month_end(now: datetime) -> datetime:
    last = calendar.monthrange(now.year, now.month)[1]
    return _day_end(now.replace(day=last))


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


MACROS: dict[str, Callable[[datetime], str | int]] = {
    "@now": lambda now: format_datetime(now),
    "@yesterday": lambda now: format_datetime(now - timedelta(days=1)),
    "@tomorrow": lambda now: format_datetime(now + timedelta(days=1)),
    "@second": lambda now: now.second,
    "@minute": lambda now: now.minute,
    "@hour": lambda now: now.hour,
    "@day": lambda now: now.day,
    "@month": lambda now: now.month,
    # Go's Weekday: Sunday is 0
    "@weekday": lambda now: (now.weekday() + 1) % 7,
    "@year": lambda now: now.year,
    "@todayStart": lambda now: format_datetime(_day_start(now)),
    "@todayEnd": lambda now: format_datetime(_day_end(now)),
    "@monthStart": lambda now: format_datetime(_day_start(now.replace(day=1))),
    "@monthEnd": lambda now: format_datetime(_month_end(now)),
    "@yearStart": lambda now: format_datetime(_day_start(now.replace(month=1, day=1))),
    "@yearEnd": lambda now: format_datetime(_day_end(now.replace(month=12, day=31))),
}
"""Macro name -> function of the current UTC time giving the bound value."""


def macro_value(name: str, now: datetime | None = None) -> str | int:
    """The value of macro ``name`` at ``now`` (default: the current time)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return MACROS[name](moment)
