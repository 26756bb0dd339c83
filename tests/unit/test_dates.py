"""The timestamps every write stamps: PocketBase's format, and the current moment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from ferrybase.core.dates import format_datetime, now_text


def test_format_datetime_writes_utc_with_milliseconds() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678_999, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(moment) == "2026-01-02 01:04:05.678Z"
    assert format_datetime(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02 03:04:05.000Z"


def test_now_text_is_the_current_moment_across_seconds() -> None:
    seen = set()
    for _ in range(3000):  # a few milliseconds: the cached second is reused, maybe renewed
        before = format_datetime(datetime.now(UTC))
        now = now_text()
        after = format_datetime(datetime.now(UTC))
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z", now)
        assert before <= now <= after
        seen.add(now)
    assert len(seen) > 1
