"""Field values: PocketBase's lenient input coercion, zero values, output and modifiers.

``coerce`` turns whatever a client sent into the field's stored value the way PocketBase
0.40.6 does (``"12"`` -> 12, ``"yes"`` -> false, an unparsable date -> ``""``, an array into
a single select keeps its last item); ``validate`` (from ``core/value_checks.py``) then checks
the options; ``to_json`` renders a stored value for a client. ``apply_modifier`` and
``split_modifier`` implement body keys such as ``views+``, ``+tags`` and ``tags-``.

Stored values: text-like fields and dates are ``str``; numbers ``int`` when integral, else
``float``; bools ``bool``; multi-valued select/relation/file fields ``list[str]`` and
single-valued ones ``str``; json any JSON value (``None`` is null); geoPoint
``{"lon": float, "lat": float}``; password the plain text until the records layer hashes it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ferrybase.core import casts
from ferrybase.core.fields import Field
from ferrybase.core.patterns import generate
from ferrybase.core.value_checks import validate

__all__ = [
    "MODIFIERS",
    "apply_modifier",
    "coerce",
    "generate",
    "normalize_number",
    "relation_ids",
    "split_modifier",
    "to_json",
    "validate",
    "zero_value",
]

# Types whose value is a list of strings when ``maxSelect`` > 1 (else the last string).
_LISTS = frozenset({"select", "relation", "file"})
# Body-key modifiers each type accepts, as PocketBase's ``FindSetter`` matches them.
MODIFIERS: dict[str, frozenset[str]] = {
    "number": frozenset({"+", "-"}),
    "select": frozenset({"+", "-", "^"}),
    "relation": frozenset({"+", "-", "^"}),
    "file": frozenset({"+", "-", "^"}),
    "text": frozenset({":autogenerate"}),
}
PREPEND = "^"
_MAX_SAFE = 2**53  # the modifier of ``+name``; ``name+`` is "+"


def zero_value(field: Field) -> Any:
    """The value of an omitted field, as a new record gets it."""
    if field.multiple:
        return []
    match field.type:
        case "number":
            return 0
        case "bool":
            return False
        case "json":
            return None
        case "geoPoint":
            return {"lon": 0, "lat": 0}
        case _:
            return ""


def coerce(field: Field, value: Any) -> Any:
    """Convert client input to the field's stored value, leniently, as PocketBase does.

    >>> coerce(Field("n", "number"), "1e3")
    1000
    >>> coerce(Field("s", "select", options={"values": ["a", "b"]}), ["a", "b"])
    'b'
    """
    match field.type:
        case "text" | "editor" | "email" | "url" | "password":
            return casts.to_string(value)
        case "number":
            return normalize_number(casts.to_float(value))
        case "bool":
            return casts.to_bool(value)
        case "date" | "autodate":
            return casts.to_date(value)
        case "select" | "relation" | "file":
            return _to_list_value(field, casts.to_unique_strings(value))
        case "json":
            return _to_json_value(value)
        case "geoPoint":
            return _to_point(value)
        case _:
            return value


def normalize_number(number: float) -> int | float:
    """A float64 as stored: ``int`` when integral and exact (|n| <= 2**53), else ``float``.

    Larger integral values stay floats, as in Go, so they fit SQLite and compare equal to
    what PocketBase prints.
    """
    if math.isfinite(number) and number.is_integer() and abs(number) <= _MAX_SAFE:
        return int(number)
    return number


_AS_STORED = frozenset({"text", "editor", "email", "url", "date", "autodate", "json"})
"""Field types whose stored value (when not NULL) is what clients see."""


def to_json(field: Field, value: Any) -> Any:
    """What a client sees for a stored value (SQLite's 0/1 bools, 5.0 numbers, NULLs).

    The password field always reads ``""``.
    """
    kind = field.type
    if kind in _AS_STORED and value is not None:  # text, dates, emails, ...: most fields
        return value
    if kind == "password":
        return ""
    if value is None:
        return zero_value(field)
    match kind:
        case "number":
            return normalize_number(casts.to_float(value))
        case "bool":
            return casts.to_bool(value)
        case "geoPoint":
            return _to_point(value)
        case "select" | "relation" | "file":
            if isinstance(value, str) and field.multiple:
                return casts.to_unique_strings(value)
            return value
        case _:
            return value


def split_modifier(key: str) -> tuple[str, str | None]:
    """Split a body key into the field name and its modifier.

    ``"views+"`` -> ``("views", "+")``, ``"tags-"`` -> ``("tags", "-")``, ``"+tags"`` ->
    ``("tags", "^")`` (prepend), ``"id:autogenerate"`` -> ``("id", ":autogenerate")``,
    ``"title"`` -> ``("title", None)``. Whether the field accepts the modifier is
    :data:`MODIFIERS`' business: PocketBase ignores a key no field claims.
    """
    if key.endswith(":autogenerate") and len(key) > len(":autogenerate"):
        return key[: -len(":autogenerate")], ":autogenerate"
    if len(key) > 1 and key.startswith("+"):
        return key[1:], PREPEND
    if len(key) > 1 and key[-1] in "+-":
        return key[:-1], key[-1]
    return key, None


def apply_modifier(field: Field, current: Any, modifier: str, operand: Any) -> Any:
    """The new stored value after ``name+``/``name-``/``+name`` (``modifier`` "+", "-", "^").

    Numbers add or subtract (``cast.ToFloat64`` of both sides). Select, relation and file
    values append, prepend or remove (every occurrence) the operand's strings: a string, a
    JSON-array string or an array. The result is de-duplicated and normalized like a plain
    set, so a single-valued field keeps the last item. ``:autogenerate`` on text appends a
    value generated from ``autogeneratePattern``.

    >>> apply_modifier(Field("views", "number"), 5, "+", "2")
    7
    """
    if modifier not in MODIFIERS.get(field.type, frozenset()):
        raise ValueError(f"{field.type} field has no {modifier!r} modifier")
    if field.type == "number":
        base, delta = casts.to_float(current), casts.to_float(operand)
        return normalize_number(base + delta if modifier == "+" else base - delta)
    if field.type == "text":
        pattern = str(field.opt("autogeneratePattern"))
        return casts.to_string(operand) + (generate(pattern) if pattern else "")
    existing = casts.to_unique_strings(current)
    given = casts.to_unique_strings(operand)
    if modifier == "+":
        merged = existing + given
    elif modifier == PREPEND:
        merged = given + existing
    else:
        merged = [v for v in existing if v not in given]
    return _to_list_value(field, list(dict.fromkeys(merged)))


def relation_ids(field: Field, value: Any) -> list[str]:
    """The ids a relation value refers to, for the records layer's existence query.

    PocketBase answers ``validation_missing_rel_records`` unless ``COUNT(*)`` of
    ``id IN (ids)`` in the target collection equals ``len(ids)``; run that check only when
    :func:`validate` returned no error (required, minSelect and maxSelect come first).
    """
    if field.type != "relation":
        raise ValueError("not a relation field")
    return casts.to_unique_strings(value)


def _to_list_value(field: Field, items: list[str]) -> list[str] | str:
    if field.multiple:
        return items
    return items[-1] if items else ""


def _to_json_value(value: Any) -> Any:
    if not isinstance(value, str):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return normalize_number(casts.go_float(value))
        return value
    # A string holding JSON is parsed, but only when it starts like a number, string,
    # array or object (or is null/true/false): " [1]" stays the string " [1]".
    if value in ("null", "true", "false") or (value and value[0] in '0123456789-"[{'):
        try:
            return json.loads(value, parse_constant=_reject_constant)
        except ValueError:
            return value
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON


def _to_point(value: Any) -> dict[str, float | int]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value else None
        except ValueError:
            value = None
    if not isinstance(value, dict):
        return {"lon": 0, "lat": 0}
    point: dict[str, float | int] = {"lon": 0, "lat": 0}
    for key in ("lon", "lat"):
        raw = value.get(key, 0)
        if raw is None:
            continue
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            # Go's JSON decoding fails as a whole: the zero point.
            return {"lon": 0, "lat": 0}
        point[key] = normalize_number(casts.go_float(raw))
    return point
