"""Field definition checks: what PocketBase 0.40.6 refuses in a collection's ``fields``.

``check_fields`` returns PocketBase's nested error data for the ``fields`` key of a
collection create/update, e.g.::

    {"fields": {"1": {"name": {"code": "validation_required", "message": "Cannot be blank."}}}}

keyed by the position in the final field list (PocketBase puts the system ``id`` field first,
so the first field a client sends on a new base collection is ``"1"``). Every option of a
field is checked and each failing option reports its first error, as ozzo-validation's
``ValidateStruct`` does. An unknown field ``type`` is not reported here: PocketBase refuses
the whole body with ``400 Failed to load the submitted data due to invalid formatting.``.

Two PocketBase quirks belong to the caller that merges the submitted list: fields without
an ``id`` that share a name collapse silently into the last one, and fields with the same
explicit ``id`` too. Only distinct fields with equal names (case-insensitive) are an error.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from ferrybase.core.fields import Field
from ferrybase.core.patterns import PatternError, check_syntax, generate
from ferrybase.core.value_checks import PASSWORD_MAX, validate
from ferrybase.errors import FieldError

MAX_SAFE_INT = 2**53 - 1
_NAME = re.compile(r"\w+", re.ASCII)
_RESERVED_NAMES = ("null", "true", "false", "_rowid_", "collectionId", "collectionName", "expand")
_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{1,63}|xn--[a-z0-9]{1,59})",
    re.IGNORECASE,
)
_THUMB = re.compile(r"\d+x\d+[tbf]?")

Errors = dict[str, Any]


def check_fields(
    fields: list[Field],
    *,
    collection_type: str,
    existing_collection_ids: Collection[str],
    view_collection_ids: Collection[str] = (),
) -> dict[str, Any]:
    """PocketBase's errors for a collection's field definitions; ``{}`` when all is fine.

    ``existing_collection_ids``: ids of the collections a relation may point to (by id only:
    PocketBase refuses a collection name). ``view_collection_ids``: those that are views,
    which only a view collection may reference.

    >>> check_fields([Field("t", "select")], collection_type="base", existing_collection_ids=())
    {'fields': {'0': {'values': {'code': 'validation_required', 'message': 'Cannot be blank.'}}}}
    """
    result: dict[str, Errors] = {}
    primary_keys = sum(1 for f in fields if f.type == "text" and f.opt("primaryKey"))
    seen: set[str] = set()
    for index, field in enumerate(fields):
        errors = _check_field(
            field,
            collection_type=collection_type,
            existing=existing_collection_ids,
            views=view_collection_ids,
            composite=primary_keys > 1,
        )
        key = field.name.lower()
        if "name" not in errors and key in seen:
            errors["name"] = _err(
                "validation_duplicated_field_name",
                f"Duplicated or invalid field name {field.name}.",
                {"fieldName": field.name},
            )
        seen.add(key)
        if errors:
            result[str(index)] = errors
    return {"fields": result} if result else {}


def _err(code: str, message: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return FieldError(code, message, params).as_dict()


def _required() -> dict[str, Any]:
    return _err("validation_required", "Cannot be blank.")


def _at_least(value: int | float, threshold: int) -> dict[str, Any] | None:
    # ozzo's Min skips zero values ("empty"), so only non-zero values are compared.
    if value != 0 and value < threshold:
        return _err(
            "validation_min_greater_equal_than_required",
            f"Must be no less than {threshold}.",
            {"threshold": threshold},
        )
    return None


def _at_most(value: int | float, threshold: int) -> dict[str, Any] | None:
    if value != 0 and value > threshold:
        return _err(
            "validation_max_less_equal_than_required",
            f"Must be no greater than {threshold}.",
            {"threshold": threshold},
        )
    return None


def _first(*checks: dict[str, Any] | None) -> dict[str, Any] | None:
    return next((c for c in checks if c is not None), None)


def _length(value: str, high: int) -> dict[str, Any] | None:
    if not 1 <= len(value) <= high:
        return _err(
            "validation_length_out_of_range",
            f"The length must be between 1 and {high}.",
            {"max": high, "min": 1},
        )
    return None


def _name_error(name: str) -> dict[str, Any] | None:
    if name == "":
        return _required()
    if len(name) > 100:
        return _length(name, 100)
    if not _NAME.fullmatch(name):
        return _err("validation_match_invalid", "Must be in a valid format.")
    if name in _RESERVED_NAMES:
        return _err("validation_not_in_invalid", "Must not be in list.")
    if "_via_" in name.lower():
        return _err("validation_found_via", 'The value cannot contain "_via_".')
    return None


def _regex_error(pattern: str) -> dict[str, Any] | None:
    if not pattern:
        return None
    try:
        check_syntax(pattern)
    except PatternError as exc:
        return _err("validation_invalid_regex", f"{exc}.")
    return None


def _domains_error(values: list[str], other: list[str]) -> dict[str, Any] | None:
    if other and values:
        return _err("validation_empty", "Must be blank.")
    bad = {
        str(i): _err("validation_is_domain", "Must be a valid domain.")
        for i, d in enumerate(values)
        if len(d) > 255 or not _DOMAIN.fullmatch(d)
    }
    return bad or None


def _int(field: Field, key: str) -> int:
    value = field.options.get(key)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _check_field(
    field: Field,
    *,
    collection_type: str,
    existing: Collection[str],
    views: Collection[str],
    composite: bool,
) -> Errors:
    checks: dict[str, dict[str, Any] | None] = {
        "id": _required() if not field.id else _length(field.id, 100),
        "name": _name_error(field.name),
    }
    if field.type != "autodate" and field.help:
        checks["help"] = _length(field.help, 300)
    checks.update(_TYPE_CHECKS.get(field.type, _no_checks)(field, collection_type, existing, views))
    if field.type == "text" and field.opt("primaryKey"):
        checks.update(_primary_key_checks(field, composite))
    return {key: error for key, error in checks.items() if error is not None}


def _no_checks(*_: Any) -> dict[str, dict[str, Any] | None]:
    return {}


_Checks = dict[str, dict[str, Any] | None]


def _text(field: Field, *_: Any) -> _Checks:
    low, high = _int(field, "min"), _int(field, "max")
    return {
        "min": _first(_at_least(low, 0), _at_most(low, MAX_SAFE_INT)),
        "max": _first(_at_least(high, low), _at_most(high, MAX_SAFE_INT)),
        "pattern": _regex_error(str(field.opt("pattern") or "")),
        "autogeneratePattern": _autogenerate_error(field),
    }


def _primary_key_checks(field: Field, composite: bool) -> _Checks:
    out: _Checks = {}
    if field.name != "id":
        out["name"] = _err("validation_in_invalid", 'The primary key must be named "id".')
    if composite:
        out["primaryKey"] = _err(
            "validation_unsupported_composite_pk",
            "Composite PKs are not supported and the collection must have only 1 PK.",
        )
    if not field.opt("pattern"):
        out["pattern"] = _required()
    if field.hidden:
        out["hidden"] = _err("validation_empty", "Must be blank.")
    if not field.required:
        out["required"] = _required()
    return out


def _autogenerate_error(field: Field) -> dict[str, Any] | None:
    pattern = str(field.opt("autogeneratePattern") or "")
    if not pattern:
        return None
    syntax = _regex_error(pattern)
    if syntax is not None:
        return syntax
    for _ in range(10):
        try:
            sample = generate(pattern)
        except PatternError as exc:
            return _err("validation_invalid_autogenerate_pattern", str(exc))
        if validate(field, sample) is not None:
            return _err(
                "validation_invalid_autogenerate_pattern_value",
                "The provided autogenerate pattern could produce invalid field values, "
                f'ex.: "{sample}".',
            )
    return None


def _number(field: Field, *_: Any) -> _Checks:
    low, high = field.opt("min"), field.opt("max")
    only_int = bool(field.opt("onlyInt"))

    def decimal(value: Any) -> dict[str, Any] | None:
        if only_int and value is not None and not float(value).is_integer():
            return _err("validation_only_int_constraint", "Decimal numbers are not allowed.")
        return None

    below = None
    if low is not None and high is not None and high < low:
        shown = int(low) if float(low).is_integer() else low
        below = _err(
            "validation_min_number_constraint",
            f"Must be greater or equal than {shown}.",
            {"min": shown},
        )
    return {"min": decimal(low), "max": _first(decimal(high), below)}


def _max_size(field: Field, *_: Any) -> _Checks:
    size = _int(field, "maxSize")
    return {"maxSize": _first(_at_least(size, 0), _at_most(size, MAX_SAFE_INT))}


def _domains(field: Field, *_: Any) -> _Checks:
    only = list(field.opt("onlyDomains") or [])
    excluded = list(field.opt("exceptDomains") or [])
    return {
        "exceptDomains": _domains_error(excluded, only),
        "onlyDomains": _domains_error(only, excluded),
    }


def _autodate(field: Field, *_: Any) -> _Checks:
    if field.opt("onCreate") or field.opt("onUpdate"):
        return {}
    error = _err("validation_required", "Either onCreate or onUpdate must be enabled.")
    return {"onCreate": error, "onUpdate": error}


def _select(field: Field, *_: Any) -> _Checks:
    values = list(field.opt("values") or [])
    count = _int(field, "maxSelect")
    return {
        "values": None if values else _required(),
        "maxSelect": _first(_at_least(count, 0), _at_most(count, max(len(values), 1))),
    }


def _file(field: Field, *_: Any) -> _Checks:
    thumbs: dict[str, Any] = {}
    for i, thumb in enumerate(field.opt("thumbs") or []):
        if thumb in ("0x0", "0x0t", "0x0b", "0x0f"):
            thumbs[str(i)] = _err("validation_not_in_invalid", "Must not be in list.")
        elif not _THUMB.fullmatch(str(thumb)):
            thumbs[str(i)] = _err("validation_match_invalid", "Must be in a valid format.")
    count, size = _int(field, "maxSelect"), _int(field, "maxSize")
    return {
        "maxSelect": _first(_at_least(count, 0), _at_most(count, MAX_SAFE_INT)),
        "maxSize": _first(_at_least(size, 0), _at_most(size, MAX_SAFE_INT)),
        "thumbs": thumbs or None,
    }


def _relation(
    field: Field, collection_type: str, existing: Collection[str], views: Collection[str]
) -> _Checks:
    target = str(field.opt("collectionId") or "")
    target_error: dict[str, Any] | None = None
    if not target:
        target_error = _required()
    elif target not in existing:
        target_error = _err(
            "validation_field_relation_missing_collection",
            "The relation collection doesn't exist.",
        )
    elif target in views and collection_type != "view":
        target_error = _err(
            "validation_relation_field_non_view_base_collection",
            "Only view collections are allowed to have relations to other views.",
        )
    low, high = _int(field, "minSelect"), _int(field, "maxSelect")
    return {
        "collectionId": target_error,
        "minSelect": _at_least(low, 0),
        "maxSelect": _required() if low > 0 and high == 0 else _at_least(high, low),
    }


def _password(field: Field, *_: Any) -> _Checks:
    low, high, cost = _int(field, "min"), _int(field, "max"), _int(field, "cost")
    return {
        "min": _first(_at_least(low, 1), _at_most(low, PASSWORD_MAX)),
        "max": _first(_at_least(high, low), _at_most(high, PASSWORD_MAX)),
        "cost": _first(_at_least(cost, 4), _at_most(cost, 31)),
        "pattern": _regex_error(str(field.opt("pattern") or "")),
    }


_TYPE_CHECKS: dict[str, Any] = {
    "text": _text,
    "number": _number,
    "editor": _max_size,
    "json": _max_size,
    "email": _domains,
    "url": _domains,
    "autodate": _autodate,
    "select": _select,
    "file": _file,
    "relation": _relation,
    "password": _password,
}
