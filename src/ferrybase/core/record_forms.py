"""Record forms: a client's create or update body turned into validated column values.

PocketBase's order is kept: for auth records the password pair (and ``oldPassword``) is
checked first and alone, then every field; errors come back together, per field.

File fields take names (the ones the record already has) and uploads
(:class:`~ferrybase.core.files.UploadedFile`) under ``name``, ``name+`` and ``+name``;
``name-`` removes names. A :class:`Form` lists the uploads the values keep and the names they
drop, for the records layer to store before, and delete after, the write.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ferrybase.core import casts
from ferrybase.core.collections import SUPERUSERS, Collection
from ferrybase.core.dates import now_text
from ferrybase.core.fields import Field
from ferrybase.core.files import UploadedFile
from ferrybase.core.ports import Passwords
from ferrybase.core.records import CREATE_FAILED, UPDATE_FAILED, Auth, Record
from ferrybase.core.value_checks import check_upload
from ferrybase.core.values import (
    MODIFIERS,
    PREPEND,
    apply_modifier,
    coerce,
    generate,
    split_modifier,
    validate,
    zero_value,
)
from ferrybase.errors import FieldError, ValidationError

_BLANK = FieldError("validation_required", "Cannot be blank.")
_MISMATCH = FieldError("validation_values_mismatch", "Values don't match.")


@dataclass
class Form:
    """A body turned into column values, with the file work it implies."""

    values: dict[str, Any]
    uploads: list[UploadedFile] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)  # stored names the values drop


async def prepare_new(
    collection: Collection, body: dict[str, Any], auth: Auth, passwords: Passwords
) -> Form:
    """The full row to insert for a create body (passwords hashed)."""
    is_auth = collection.is_auth
    if is_auth:
        _check_password_pair(collection, body, CREATE_FAILED)
    errors: dict[str, FieldError] = {}
    data: dict[str, Any] = {}
    form = Form(data)
    now = now_text()
    given = _by_field(collection, body)
    for field in collection.fields:
        kind = field.type
        if kind == "autodate":
            data[field.name] = now if field.options["onCreate"] else ""
            continue
        if kind == "file":
            _file_field(form, field, given.get(field.name, []), [], errors)
            continue
        parts = given.get(field.name)
        value = None if parts is None else _incoming(field, parts, None)
        if is_auth:
            if field.name == "tokenKey" and not auth.is_superuser:
                value = None  # the server's to choose, unless a superuser sets it
            elif field.name == "verified":
                # Superusers are always verified; others only when a superuser says so.
                value = collection.name == SUPERUSERS or (auth.is_superuser and bool(value))
        if value is None or (value == "" and kind == "text"):
            value = _generated(field)
        if value is None:
            value = zero_value(field)
        error = validate(field, value)
        if error is not None:
            errors[field.name] = error
        data[field.name] = value
    if errors:
        raise ValidationError(errors, CREATE_FAILED)
    if is_auth:
        data["password"] = await passwords.hash(data["password"])
    return form


async def prepare_update(
    current: Record,
    body: dict[str, Any],
    auth: Auth,
    passwords: Passwords,
    *,
    manager: bool = False,
) -> Form:
    """The columns an update body changes (validated; a new password hashed, tokenKey new).

    ``manager``: the caller satisfies the collection's ``manageRule``, so may set ``email``,
    ``verified`` and ``password`` (without ``oldPassword``) as a superuser does.
    """
    collection = current.collection
    privileged = auth.is_superuser or manager
    changing_password = collection.is_auth and bool(body.get("password"))
    if changing_password:
        _check_password_pair(collection, body, UPDATE_FAILED)
        if not privileged:
            await _check_old_password(current, body, passwords)
    errors: dict[str, FieldError] = {}
    changes: dict[str, Any] = {}
    form = Form(changes)
    given = _by_field(collection, body)
    for field in collection.fields:
        if field.type == "autodate" or field.name not in given:
            continue
        if field.type == "file":
            current_names = casts.to_unique_strings(current.get(field.name))
            _file_field(form, field, given[field.name], current_names, errors)
            continue
        if field.type == "password" and not body.get(field.name):
            continue  # an empty password in an update means "unchanged"
        value = _incoming(field, given[field.name], current.get(field.name))
        if collection.is_auth and not privileged:
            if field.name == "tokenKey":
                continue  # never the client's
            if field.name in ("email", "verified") and value != current.get(field.name):
                # Only through their own flows (request-email-change, verification).
                errors[field.name] = _MISMATCH
                continue
        if field.name == "id":
            if value != current.id:
                errors["id"] = FieldError(
                    "validation_pk_change", "The record primary key cannot be changed."
                )
            continue
        error = validate(field, value)
        if error is not None:
            errors[field.name] = error
        changes[field.name] = value
    if errors:
        raise ValidationError(errors, UPDATE_FAILED)
    if changing_password:
        changes["password"] = await passwords.hash(changes["password"])
        token_key = collection.field("tokenKey")
        if token_key is not None and "tokenKey" not in changes:
            # A new password revokes every token issued before it.
            changes["tokenKey"] = generate(token_key.opt("autogeneratePattern"))
    return form


_Incoming = list[tuple[str | None, Any]]


def _by_field(collection: Collection, body: dict[str, Any]) -> dict[str, _Incoming]:
    """Body keys grouped by field: plain values and modifiers (``views+``, ``+tags``, ...)."""
    out: dict[str, _Incoming] = {}
    for key, value in body.items():
        field = collection.field(key)  # a plain field name: most keys
        if field is not None:
            name, modifier = key, None
        else:
            name, modifier = split_modifier(key)
            field = collection.field(name)
        if field is None or (
            modifier is not None and modifier not in MODIFIERS.get(field.type, ())
        ):
            continue  # a key no field claims is ignored, as PocketBase does
        if field.type != "file" or modifier == "-":
            # Uploads count only under a file field's own key, ``name+`` and ``+name``.
            value = _without_files(value)
            if value is _NOTHING:
                continue
        out.setdefault(name, []).append((modifier, value))
    return out


_NOTHING: Any = object()


def _without_files(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        return _NOTHING
    if isinstance(value, list) and any(isinstance(v, UploadedFile) for v in value):
        kept = [v for v in value if not isinstance(v, UploadedFile)]
        return kept if kept else _NOTHING
    return value


def _file_items(value: Any) -> list[str | UploadedFile]:
    """Names and uploads of a file field's operand (names as ``to_unique_strings`` reads them)."""
    if isinstance(value, UploadedFile):
        return [value]
    if isinstance(value, list):
        items: list[str | UploadedFile] = []
        for item in value:
            if isinstance(item, UploadedFile):
                items.append(item)
            else:
                items += casts.to_unique_strings(item)
        return items
    return list(casts.to_unique_strings(value))


def _name(item: str | UploadedFile) -> str:
    return item.name if isinstance(item, UploadedFile) else item


def _file_field(
    form: Form,
    field: Field,
    parts: _Incoming,
    current: list[str],
    errors: dict[str, FieldError],
) -> None:
    """A file field's new value: PocketBase's setters, then its ValidateValue."""
    value: list[str | UploadedFile] = list(current)
    for modifier, operand in sorted(parts, key=lambda p: p[0] is not None):
        items = _file_items(operand)
        if modifier is None:
            value = items
        elif modifier == "+":
            value = value + items
        elif modifier == PREPEND:
            value = items + value
        else:
            gone = {_name(i) for i in items}
            value = [v for v in value if _name(v) not in gone]
    unique: dict[str, str | UploadedFile] = {}
    for item in value:
        unique.setdefault(_name(item), item)
    value = list(unique.values())
    if not field.multiple and value:
        value = value[-1:]  # a single file field keeps the last one
    names = [_name(v) for v in value]
    uploads = [v for v in value if isinstance(v, UploadedFile)]
    error = validate(field, names, known_files=set(current) | {u.name for u in uploads})
    for upload in uploads:
        if error is not None:
            break
        error = check_upload(field, upload)
    if error is not None:
        errors[field.name] = error
    form.values[field.name] = names if field.multiple else (names[0] if names else "")
    form.uploads += uploads
    form.removed += [n for n in current if n not in names]


def _incoming(field: Field, parts: _Incoming, current: Any) -> Any:
    """The value a field ends with: the plain value (if sent), then each modifier in turn."""
    if len(parts) == 1 and parts[0][0] is None:  # the usual case: a plain value
        return coerce(field, parts[0][1])
    value = current if current is not None else zero_value(field)
    for modifier, operand in sorted(parts, key=lambda p: p[0] is not None):
        value = (
            coerce(field, operand)
            if modifier is None
            else apply_modifier(field, value, modifier, operand)
        )
    return value


def _check_password_pair(collection: Collection, body: dict[str, Any], message: str) -> None:
    field = collection.field("password")
    assert field is not None
    password = coerce(field, body.get("password"))
    confirm = coerce(field, body.get("passwordConfirm"))
    errors: dict[str, FieldError] = {}
    if not password:
        errors["password"] = _BLANK
    if not confirm:
        errors["passwordConfirm"] = _BLANK
    elif confirm != password:
        errors["passwordConfirm"] = _MISMATCH
    if errors:
        raise ValidationError(errors, message)


async def _check_old_password(current: Record, body: dict[str, Any], passwords: Passwords) -> None:
    old = body.get("oldPassword")
    if not isinstance(old, str) or not old:
        raise ValidationError({"oldPassword": _BLANK}, UPDATE_FAILED)
    if not await passwords.verify(str(current.get("password")), old):
        raise ValidationError(
            {
                "oldPassword": FieldError(
                    "validation_invalid_old_password", "Missing or invalid old password."
                )
            },
            UPDATE_FAILED,
        )


def _generated(field: Field) -> Any:
    pattern = field.options.get("autogeneratePattern") if field.type == "text" else ""
    return generate(pattern) if pattern else None
