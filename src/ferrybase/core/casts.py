"""Go's lenient conversions, as PocketBase applies them to client input.

PocketBase decodes a JSON body into Go values (every number a float64) and converts them
with ``spf13/cast``; the quirks a client can see come from there: ``"1_000"`` is a number,
``" 12"`` is not, ``"t"`` is true, ``1e21`` as text is ``"1000000000000000000000"``, a date
may be written a dozen ways. The functions here reproduce those conversions on Python values
as :func:`json.loads` produces them. Pure, no I/O.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

_GO_SPACE = " \t\n\r\f\v"


def go_float(value: float | int) -> float:
    """A JSON number as Go decodes it: a float64 (big integers lose precision)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def format_float(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'f', -1, 64)``: shortest digits, never an exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return format(Decimal(repr(value)).normalize(), "f")


def to_string(value: Any) -> str:
    """``cast.ToString``: scalars as text, anything else (lists, objects, null) as ``""``."""
    if value is None or isinstance(value, (list, dict)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_float(go_float(value))
    return str(value)


def parse_float(text: str) -> float:
    """``strconv.ParseFloat`` as ``cast.ToFloat64`` uses it: 0 for anything unparsable.

    ``"nan"``/``"inf"`` parse (the number field then rejects them); an overflow such as
    ``"1e400"`` is an error in Go, hence 0; no surrounding blanks; hex needs a ``p`` exponent.
    """
    if not text or text[0] in _GO_SPACE or text[-1] in _GO_SPACE:
        return 0.0
    body = text.lstrip("+-")
    if body[:2].lower() == "0x":
        if "p" not in body.lower():
            return 0.0
        try:
            number = float.fromhex(text.replace("_", ""))
        except (ValueError, OverflowError):
            return 0.0
        return number
    if body[:2].lower() in ("0b", "0o"):
        return 0.0
    try:
        number = float(text)
    except ValueError:
        return 0.0
    if math.isinf(number) and body.lower() not in ("inf", "infinity"):
        return 0.0  # out of range
    return number


def to_float(value: Any) -> float:
    """``cast.ToFloat64``: numbers and booleans convert, strings parse, the rest is 0."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return go_float(value)
    if isinstance(value, str):
        return parse_float(value)
    return 0.0


def to_bool(value: Any) -> bool:
    """``cast.ToBool``: ``strconv.ParseBool`` for strings, non-zero for numbers."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value in ("1", "t", "T", "TRUE", "true", "True")
    return False


def to_unique_strings(value: Any) -> list[str]:
    """PocketBase's ``list.ToUniqueStringSlice``: non-empty, de-duplicated, order kept.

    A string containing ``[`` is tried as a JSON array of strings first; a list has each
    item converted with :func:`to_string` (so nested lists and objects vanish); a scalar
    becomes a one-item list.
    """
    items: list[str]
    if type(value) is str and "[" not in value:  # the usual cases first: one id, ...
        return [value] if value else []
    if type(value) is list and all(type(v) is str for v in value):  # ... a list of them
        return list(dict.fromkeys(v for v in value if v))
    if value is None:
        items = []
    elif isinstance(value, str):
        items = [value]
        if "[" in value:
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if isinstance(parsed, list) and all(p is None or isinstance(p, str) for p in parsed):
                items = ["" if p is None else p for p in parsed]
    elif isinstance(value, list):
        items = [to_string(v) for v in value]
    elif isinstance(value, dict):
        items = []
    else:
        items = [to_string(value)]
    return list(dict.fromkeys(i for i in items if i != ""))


# --- dates ------------------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_DAYS = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAYS = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MON = "(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_YMD = r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
_HMS = r"(?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?:[.,](?P<frac>\d+))?"
_HM = r"(?P<H>\d{2}):(?P<M>\d{2})"
_NUM_TZ = r"(?P<tz>Z|[+-]\d{2}:?\d{2})"
_NAME_TZ = r"(?P<name>[A-Z]{3,5})"

# The layouts ``cast.ToTime`` tries (plus PocketBase's own ``2006-01-02 15:04:05.000Z``),
# written as patterns over the same fields. A named zone other than UTC/GMT is taken at
# offset 0, as Go does for abbreviations it does not know.
_LAYOUTS = [
    re.compile(p)
    for p in (
        rf"{_YMD}",
        rf"{_YMD}[T ]{_HMS}(?:{_NUM_TZ})?",
        rf"{_YMD} {_HMS} (?P<tz>[+-]\d{{2}}:?\d{{2}})(?: {_NAME_TZ})?",
        rf"{_DAYS}, (?P<d>\d{{2}}) {_MON} (?P<y>\d{{4}}) {_HMS} (?:(?P<tz>[+-]\d{{4}})|{_NAME_TZ})",
        rf"(?P<d>\d{{2}}) {_MON} (?P<yy>\d{{2}}) {_HM} (?:(?P<tz>[+-]\d{{4}})|{_NAME_TZ})",
        rf"{_LONG_DAYS}, (?P<d>\d{{2}})-{_MON}-(?P<yy>\d{{2}}) {_HMS} {_NAME_TZ}",
        rf"{_DAYS} {_MON} (?P<d>[ \d]\d) {_HMS} (?:{_NAME_TZ} )?(?P<y>\d{{4}})",
        rf"{_DAYS} {_MON} (?P<d>\d{{2}}) {_HMS} (?P<tz>[+-]\d{{4}}) (?P<y>\d{{4}})",
        rf"(?P<d>\d{{2}}) {_MON} (?P<y>\d{{4}})",
        rf"{_MON} (?P<d>[ \d]\d) {_HMS}",
        r"(?P<h12>\d{1,2}):(?P<M>\d{2})(?P<ampm>AM|PM)",
    )
]
_ZERO = "0001-01-01 00:00:00.000Z"  # Go's zero time: stored as ""
# Python's datetime has no year 0; Go's does. The Gregorian calendar repeats every 400
# years, so dates are computed 400 years later and the year printed back.
_SHIFT = 400


def to_date(value: Any) -> str:
    """``types.ParseDateTime`` then PocketBase's format; ``""`` when unparsable or zero.

    Numbers are not timestamps here: Go sees a float64, which ``cast`` cannot read as a
    time.
    """
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return ""
    text = to_string(value)
    for layout in _LAYOUTS:
        m = layout.fullmatch(text)
        if m is not None:
            return _format_match(m.groupdict())
    return ""


def _format_match(g: dict[str, str | None]) -> str:
    try:
        if g.get("yy") is not None:
            yy = int(str(g["yy"]))
            year = 1900 + yy if yy >= 69 else 2000 + yy
        elif g.get("y") is not None:
            year = int(str(g["y"]))
        else:
            year = 0
        month = int(str(g["m"])) if g.get("m") else _MONTHS.get(str(g.get("mon")), 1)
        day = int(str(g["d"]).strip()) if g.get("d") else 1
        if g.get("h12") is not None:
            hour = int(str(g["h12"]))
            if not 1 <= hour <= 12:
                return ""
            hour = hour % 12 + (12 if g["ampm"] == "PM" else 0)
        else:
            hour = int(g.get("H") or 0)
        frac = (g.get("frac") or "")[:6].ljust(6, "0")
        moment = datetime(
            year + _SHIFT,
            month,
            day,
            hour,
            int(g.get("M") or 0),
            int(g.get("S") or 0),
            int(frac),
            tzinfo=_zone(g.get("tz")),
        )
    except ValueError:
        return ""
    moment = moment.astimezone(UTC)
    year = moment.year - _SHIFT
    if year < 0:
        return ""
    text = f"{year:04d}-{moment:%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    return "" if text == _ZERO else text


def _zone(tz: str | None) -> timezone:
    if not tz or tz == "Z":
        return UTC
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 24 or minutes > 59:
        raise ValueError(tz)
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if tz[0] == "-" else offset)


def parse_date(text: str) -> datetime | None:
    """A stored date (``2024-05-06 07:08:09.123Z``) back to an aware datetime."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        normalized = to_date(text)
        if not normalized or normalized.startswith("0000"):
            return None
        return datetime.strptime(normalized, "%Y-%m-%d %H:%M:%S.%fZ").replace(tzinfo=UTC)
