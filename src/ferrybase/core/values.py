"""Field values: PocketBase's lenient input coercion, validation and zero values.

``coerce`` turns whatever a client sent into the field's value type the way PocketBase does
(``"12"`` -> 12, ``"yes"`` -> false, an unparsable date -> ``""``); ``validate`` then checks
the options and returns a :class:`FieldError` or ``None``.
"""

from __future__ import annotations

import math
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from ferrybase.core.dates import format_datetime
from ferrybase.core.fields import Field
from ferrybase.errors import FieldError

# The pragmatic HTML5 e-mail pattern (what browsers accept in <input type=email>).
_EMAIL = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/?#]+[^\s]*$")
_GENERATE = re.compile(r"^\[([^\]]+)\]\{(\d+)\}$")


def zero_value(field: Field) -> Any:
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
    """Convert client input to the field's value type, leniently, as PocketBase does."""
    match field.type:
        case "text" | "editor" | "email" | "url" | "password":
            return _to_text(value)
        case "number":
            return _to_number(value)
        case "bool":
            return _to_bool(value)
        case "date":
            return _to_date(value)
        case _:
            return value


def validate(field: Field, value: Any) -> FieldError | None:
    """Check a coerced value against the field's options."""
    if field.required and value in ("", None, [], 0, False):
        return FieldError("validation_required", "Cannot be blank.")
    match field.type:
        case "text":
            return _check_text(field, value)
        case "password":
            # PocketBase's password errors carry no params, unlike text's.
            error = _check_text(field, value)
            if error is not None:
                error.params = None
            return error
        case "email":
            if value and not _EMAIL.match(value):
                return FieldError("validation_is_email", "Must be a valid email address.")
            return _check_domains(field, value.rpartition("@")[2]) if value else None
        case "url":
            if value and not _URL.match(value):
                return FieldError("validation_invalid_url", "Must be a valid url.")
            return None
        case "number":
            return _check_number(field, value)
        case _:
            return None


def generate(pattern: str) -> str:
    """A value for ``autogeneratePattern`` of the form ``[charset]{length}``."""
    m = _GENERATE.match(pattern)
    if not m:
        raise ValueError(f"unsupported autogenerate pattern {pattern!r}")
    alphabet = _expand_charset(m[1])
    return "".join(secrets.choice(alphabet) for _ in range(int(m[2])))


def _expand_charset(spec: str) -> str:
    out, i = [], 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            out += [chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1)]
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(out)


def _to_text(value: Any) -> str:
    if value is None or isinstance(value, (list, dict)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_number(value: Any) -> float | int:
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, (int, float)):
        number: float | int = value
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            return 0
    if isinstance(number, float):
        if not math.isfinite(number):
            return 0
        if number.is_integer():
            return int(number)
    return number


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    if isinstance(value, (int, float)):
        return value == 1
    return bool(value) if isinstance(value, bool) else False


def _to_date(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        return ""
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment)


def _check_text(field: Field, value: str) -> FieldError | None:
    if value == "":
        return None
    length = len(value)
    low, high = int(field.opt("min")), int(field.opt("max"))
    if low and length < low:
        return FieldError(
            "validation_min_text_constraint",
            f"Must be at least {low} character(s).",
            {"min": low},
        )
    if high and length > high:
        return FieldError(
            "validation_max_text_constraint",
            f"Must be less than {high} character(s).",
            {"max": high},
        )
    pattern = field.opt("pattern")
    if pattern and not re.search(pattern, value):
        return FieldError("validation_invalid_format", "Invalid value format.")
    return None


def _check_domains(field: Field, domain: str) -> FieldError | None:
    only, excluded = field.opt("onlyDomains") or [], field.opt("exceptDomains") or []
    if only and domain not in only:
        return FieldError("validation_email_domain_not_allowed", "Email domain is not allowed.")
    if excluded and domain in excluded:
        return FieldError("validation_email_domain_not_allowed", "Email domain is not allowed.")
    return None


def _check_number(field: Field, value: float) -> FieldError | None:
    if field.opt("onlyInt") and not float(value).is_integer():
        return FieldError("validation_not_an_integer", "Must be an integer.")
    low, high = field.opt("min"), field.opt("max")
    if low is not None and value < low:
        return FieldError(
            "validation_min_number_constraint",
            f"Must be greater or equal than {_num(low)}.",
            {"min": low},
        )
    if high is not None and value > high:
        return FieldError(
            "validation_max_number_constraint",
            f"Must be less or equal than {_num(high)}.",
            {"max": high},
        )
    return None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
