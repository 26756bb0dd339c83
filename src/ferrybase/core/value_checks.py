"""Value validation: PocketBase 0.40.6's per-type checks, codes, messages and params.

``validate(field, value)`` takes a value already passed through ``coerce`` and returns the
first :class:`FieldError`, or ``None``. Messages carry PocketBase's trailing period.

What counts as blank for ``required`` differs per type, as in PocketBase: ``""`` for text
types (``" "`` is not blank), ``0`` for numbers, ``false`` for bools, an empty list for
multi-valued fields, ``null``/``""``/``[]``/``{}`` for json and the ``(0, 0)`` point for
geoPoint. Non-required fields skip every other check while blank: a number field with
``min: 5`` accepts 0.

Relation ids are not looked up here (the records layer queries them, see
``values.relation_ids``); file names are only checked against ``known_files`` when given,
and new uploads by :func:`check_upload`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from ferrybase.core import casts, sniff
from ferrybase.core.fields import Field
from ferrybase.core.files import DEFAULT_MAX_SIZE, UploadedFile
from ferrybase.core.patterns import PatternError, compile_pattern
from ferrybase.errors import FieldError

TEXT_MAX = 5000  # a text field's max when its option is 0
PASSWORD_MAX = 71  # bcrypt's limit, the password field's max when its option is 0
EDITOR_MAX_SIZE = 5 << 20
JSON_MAX_SIZE = 1 << 20

REQUIRED = ("validation_required", "Cannot be blank.")

# The letters and marks PocketBase's e-mail and URL checks accept beyond ASCII.
_U = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
_ATOM = rf"[a-zA-Z0-9!#$%&'*+\-/=?^_`{{|}}~{_U}]+"
_QUOTED = (
    rf'"(?:[\x01-\x08\x0b\x0c\x0e-\x1f\x7f\x21\x23-\x5b\x5d-\x7e{_U}]|\\[\x01-\x7f{_U}]|[ \t])*"'
)
_LABEL = rf"[a-zA-Z0-9{_U}](?:[a-zA-Z0-9\-._~{_U}]*[a-zA-Z0-9{_U}])?"
_TLD = rf"[a-zA-Z{_U}](?:[a-zA-Z0-9\-_~{_U}]*[a-zA-Z{_U}])?"
_EMAIL = re.compile(rf"(?:{_ATOM}(?:\.{_ATOM})*|{_QUOTED})@(?:{_LABEL}\.)+{_TLD}\.?")

_H = "a-zA-Z\u00a1-\uffff0-9"
_URL_IP = (
    r"(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3]|24\d|25[0-5])(?:\.(?:\d{1,2}|1\d\d|2[0-4]\d|25[0-5])){2}"
    r"\.(?:[0-9]\d?|1\d\d|2[0-4]\d|25[0-5])"
)
_URL = re.compile(
    r"(?:(?:ftp|tcp|udp|wss?|https?)://)?"
    r"(?:[^\s]+(?::[^\s]*)?@)?"
    r"(?:" + _URL_IP + r"|\[[0-9a-fA-F:.%]+\]"
    r"|(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-_]+)?[a-zA-Z0-9](?:[-.][a-zA-Z0-9]+)*)"
    r"|(?:www\.|[a-zA-Z0-9]+(?:[-_.]?[a-zA-Z0-9])*[a-zA-Z0-9]\.[a-zA-Z0-9]+))?"
    rf"(?:[{_H}]+-?-?)*[{_H}]+(?:\.[a-zA-Z\u00a1-\uffff]+)?)"
    r"\.?(?::\d{1,5})?(?:[/?#][^\s]*)?",
    re.ASCII,
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validate(
    field: Field, value: Any, *, known_files: Collection[str] | None = None
) -> FieldError | None:
    """Check a coerced value against the field's options; the first failure or ``None``.

    ``known_files``: for file fields, the names the record already had; any other name is
    ``validation_invalid_file`` (new uploads are checked by the file layer, not here).

    >>> validate(Field("views", "number", options={"min": 0}), -3).code
    'validation_min_number_constraint'
    """
    match field.type:
        case "text":
            return _check_text(field, value)
        case "editor":
            return _check_editor(field, value)
        case "password":
            return _check_password(field, value)
        case "email":
            return _check_email(field, value)
        case "url":
            return _check_url(field, value)
        case "number":
            return _check_number(field, value)
        case "bool":
            return _required() if field.required and not value else None
        case "date":
            return _check_date(field, value)
        case "select":
            return _check_select(field, value)
        case "relation":
            return _check_relation(field, value)
        case "file":
            return _check_file(field, value, known_files)
        case "json":
            return _check_json(field, value)
        case "geoPoint":
            return _check_point(field, value)
        case _:
            return None


def _required() -> FieldError:
    return FieldError(*REQUIRED)


def _check_text(field: Field, value: str) -> FieldError | None:
    if value == "":
        return _required() if field.required or field.opt("primaryKey") else None
    length = len(value)
    low = int(field.opt("min") or 0)
    high = int(field.opt("max") or 0) or TEXT_MAX
    if low > 0 and length < low:
        return FieldError(
            "validation_min_text_constraint",
            f"Must be at least {low} character(s).",
            {"min": low},
        )
    if length > high:
        return FieldError(
            "validation_max_text_constraint",
            f"Must be no more than {high} character(s).",
            {"max": high},
        )
    if not _matches(str(field.opt("pattern") or ""), value):
        return FieldError("validation_invalid_format", "Invalid value format.")
    return None


def _check_password(field: Field, value: str) -> FieldError | None:
    # Unlike text: no params, "less than" wording, and a 71-character ceiling.
    if value == "":
        return _required() if field.required else None
    length = len(value)
    low = int(field.opt("min") or 0)
    high = int(field.opt("max") or 0) or PASSWORD_MAX
    if length < low:
        return FieldError("validation_min_text_constraint", f"Must be at least {low} character(s).")
    if length > high:
        return FieldError(
            "validation_max_text_constraint", f"Must be less than {high} character(s)."
        )
    if not _matches(str(field.opt("pattern") or ""), value):
        return FieldError("validation_invalid_format", "Invalid value format.")
    return None


def _matches(pattern: str, value: str) -> bool:
    if not pattern:
        return True
    try:
        return compile_pattern(pattern).search(value) is not None
    except PatternError:
        return False  # Go's MatchString of a bad pattern is no match


def _check_editor(field: Field, value: str) -> FieldError | None:
    if field.required and value == "":
        return _required()
    limit = int(field.opt("maxSize") or 0)
    limit = limit if limit > 0 else EDITOR_MAX_SIZE
    if len(value.encode()) > limit:
        return FieldError(
            "validation_content_size_limit",
            f"The maximum allowed content size is {limit} bytes.",
            {"maxSize": limit},
        )
    return None


def is_email(value: str) -> bool:
    """The e-mail format PocketBase accepts (``govalidator.IsEmail``)."""
    if "=?" in value and "?=" in value:
        return False
    return _EMAIL.fullmatch(value) is not None


def _check_email(field: Field, value: str) -> FieldError | None:
    if value == "":
        return _required() if field.required else None
    if not is_email(value):
        return FieldError("validation_is_email", "Must be a valid email address.")
    domain = value.rpartition("@")[2]
    if not _domain_allowed(field, domain):
        return FieldError("validation_email_domain_not_allowed", "Email domain is not allowed.")
    return None


def url_host(value: str) -> str | None:
    """The host (with port) Go's ``url.Parse`` finds, or ``None`` when it refuses the URL."""
    if _CONTROL.search(value) or value.startswith(":"):
        return None
    if re.search(r"%(?![0-9a-fA-F]{2})", value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    host = parts.netloc.rpartition("@")[2]
    port = host.rpartition("]")[2].partition(":")[2] if ":" in host.rpartition("]")[2] else ""
    if " " in host or (port != "" and not port.isdigit()):
        return None  # Go checks the port's digits, not its range
    return host


def is_url(value: str) -> bool:
    """The URL format PocketBase accepts (``govalidator.IsURL``)."""
    if not value or len(value) <= 3 or len(value) >= 2083 or value.startswith("."):
        return False
    probe = "http://" + value if ":" in value and "://" not in value else value
    host = url_host(probe)
    if host is None or host.startswith("."):
        return False
    path = urlsplit(probe).path
    if host == "" and path and "." not in path:
        return False
    return _URL.fullmatch(value) is not None


def _check_url(field: Field, value: str) -> FieldError | None:
    if value == "":
        return _required() if field.required else None
    if not is_url(value):
        return FieldError("validation_invalid_url", "Must be a valid url.")
    if not _domain_allowed(field, url_host(value) or ""):
        return FieldError("validation_url_domain_not_allowed", "Url domain is not allowed.")
    return None


def _domain_allowed(field: Field, domain: str) -> bool:
    # Exact, case-sensitive comparison (a URL's host includes its port).
    only, excluded = field.opt("onlyDomains") or [], field.opt("exceptDomains") or []
    if only and domain not in only:
        return False
    return not (excluded and domain in excluded)


def _check_number(field: Field, value: float) -> FieldError | None:
    if math.isnan(value) or math.isinf(value):
        return FieldError(
            "validation_not_a_number", "The submitted number is not properly formatted."
        )
    if value == 0:
        return _required() if field.required else None
    if field.opt("onlyInt") and not float(value).is_integer():
        return FieldError("validation_only_int_constraint", "Decimal numbers are not allowed.")
    low, high = field.opt("min"), field.opt("max")
    if low is not None and value < low:
        return FieldError(
            "validation_min_number_constraint",
            f"Must be greater or equal than {casts.format_float(float(low))}.",
            {"min": _plain(low)},
        )
    if high is not None and value > high:
        return FieldError(
            "validation_max_number_constraint",
            f"Must be less or equal than {casts.format_float(float(high))}.",
            {"max": _plain(high)},
        )
    return None


def _plain(number: float) -> int | float:
    return int(number) if float(number).is_integer() else float(number)


def _check_date(field: Field, value: str) -> FieldError | None:
    moment = casts.parse_date(value)
    if moment is None:
        return _required() if field.required else None
    low = casts.parse_date(str(field.opt("min") or ""))
    high = casts.parse_date(str(field.opt("max") or ""))
    if low is not None and moment < low:
        return FieldError(
            "validation_min_greater_equal_than_required",
            f"Must be no less than {_go_time(low)}.",
            {"threshold": _rfc3339(low)},
        )
    if high is not None and moment > high:
        return FieldError(
            "validation_max_less_equal_than_required",
            f"Must be no greater than {_go_time(high)}.",
            {"threshold": _rfc3339(high)},
        )
    return None


def _fraction(moment: datetime) -> str:
    return f".{moment.microsecond:06d}".rstrip("0").rstrip(".")


def _go_time(moment: datetime) -> str:
    """Go's ``time.Time.String()`` of a UTC time: ``2024-01-01 00:00:00 +0000 UTC``."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}{_fraction(moment)} +0000 UTC"


def _rfc3339(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}{_fraction(moment)}Z"


def _select_count(value: Any) -> list[str]:
    return casts.to_unique_strings(value)


def _too_many(field: Field, count: int) -> FieldError | None:
    limit = max(int(field.opt("maxSelect") or 0), 1)
    if count > limit:
        return FieldError(
            "validation_too_many_values",
            f"Select no more than {limit}.",
            {"maxSelect": limit},
        )
    return None


def _check_select(field: Field, value: Any) -> FieldError | None:
    items = _select_count(value)
    if not items:
        return _required() if field.required else None
    error = _too_many(field, len(items))
    if error is not None:
        return error
    allowed = field.opt("values") or []
    for item in items:
        if item not in allowed:
            return FieldError("validation_invalid_value", f"Invalid value {item}.", {"value": item})
    return None


def _check_relation(field: Field, value: Any) -> FieldError | None:
    ids = _select_count(value)
    if not ids:
        return _required() if field.required else None
    low = int(field.opt("minSelect") or 0)
    if low > 0 and len(ids) < low:
        return FieldError(
            "validation_not_enough_values", f"Select at least {low}.", {"minSelect": low}
        )
    return _too_many(field, len(ids))


def _check_file(field: Field, value: Any, known_files: Collection[str] | None) -> FieldError | None:
    names = _select_count(value)
    if not names:
        return _required() if field.required else None
    if known_files is not None:
        invalid = [n[:250] for n in names if n not in known_files]
        if invalid:
            return FieldError(
                "validation_invalid_file",
                f"Invalid new files: [{' '.join(invalid)}].",
                {"invalidFiles": invalid},
            )
    limit = max(int(field.opt("maxSelect") or 0), 1)
    if len(names) > limit:
        return FieldError(
            "validation_too_many_files",
            f"The maximum allowed files is {limit}.",
            {"maxSelect": limit},
        )
    return None


def json_size(value: Any) -> int:
    """The byte size PocketBase measures: compact JSON, keys sorted, UTF-8, no HTML escaping."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return len(text.encode())


def _check_json(field: Field, value: Any) -> FieldError | None:
    limit = int(field.opt("maxSize") or 0)
    limit = limit if limit > 0 else JSON_MAX_SIZE
    if json_size(value) > limit:
        return FieldError(
            "validation_json_size_limit",
            f"The maximum allowed JSON size is {limit} bytes.",
            {"maxSize": limit},
        )
    if field.required and value in (None, "", [], {}) and not isinstance(value, bool):
        return _required()
    return None


def _check_point(field: Field, value: Any) -> FieldError | None:
    point = value if isinstance(value, dict) else {}
    lon, lat = float(point.get("lon") or 0), float(point.get("lat") or 0)
    if lon == 0 and lat == 0:
        return _required() if field.required else None
    if not -90 <= lat <= 90:
        return FieldError(
            "validation_invalid_latitude", "Latitude must be between -90 and 90 degrees."
        )
    if not -180 <= lon <= 180:
        return FieldError(
            "validation_invalid_longitude", "Longitude must be between -180 and 180 degrees."
        )
    return None


def check_upload(field: Field, upload: UploadedFile) -> FieldError | None:
    """A new file against the field's ``maxSize`` and ``mimeTypes`` (sniffed from its bytes)."""
    limit = int(field.opt("maxSize") or 0)
    limit = limit if limit > 0 else DEFAULT_MAX_SIZE
    if upload.size > limit:
        return FieldError(
            "validation_file_size_limit",
            f"Failed to upload {upload.original_name[:300]} - the maximum allowed file size "
            f"is {limit} bytes.",
            {"file": upload.original_name[:300], "maxSize": limit},
        )
    allowed = [str(t) for t in field.opt("mimeTypes") or []]
    if allowed and not any(sniff.matches(upload.mime, t) for t in allowed):
        return FieldError(
            "validation_invalid_mime_type",
            f"{json.dumps(upload.name, ensure_ascii=False)} mime type must be one of: "
            f"{', '.join(allowed)}.",
        )
    return None
