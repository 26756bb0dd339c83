"""The catalog: creating, changing and deleting collections, with their tables, at runtime.

Each change runs in one transaction: the DDL, the ``_collections`` row, a line in the
migrations history (with the definition before and after) and a new catalog version that
tells every other process to reload. A failed change leaves schema and data as they were.
The files of deleted collections and truncated records go once the transaction commits
(``core/record_files.py``), as PocketBase deletes them after a delete succeeds.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from typing import Any

from ferrybase.core.auth_options import AUTH_OPTION_DEFAULTS
from ferrybase.core.collections import (
    AUTH,
    BASE,
    RULES,
    VIEW,
    Collection,
    auth_indexes,
    auth_system_fields,
    id_field,
    keep_client_secrets,
    random_secret,
)
from ferrybase.core.dates import now_text
from ferrybase.core.field_checks import check_fields
from ferrybase.core.fields import FIELD_OPTIONS, Field
from ferrybase.core.ports import Executor, Json, Store
from ferrybase.core.record_files import FileJournal
from ferrybase.core.records import Record
from ferrybase.core.registry import CollectionRegistry
from ferrybase.core.relations import delete_with_references
from ferrybase.core.rules import schema_of
from ferrybase.core.schema import (
    column_type,
    convert_expression,
    create_table,
    delete_collection_row,
    index_names,
    index_parts,
    index_statements,
    insert_collection,
    update_collection_row,
    with_index_table,
)
from ferrybase.core.views import check_query, create_view, view_sources
from ferrybase.errors import (
    BadRequestError,
    ConflictError,
    FieldError,
    FieldErrors,
    FilterError,
    InvalidBodyError,
    NotFoundError,
    ValidationError,
)
from ferrybase.filter import (
    CollectionSpec,
    FieldSpec,
    RequestInfo,
    Schema,
    compile_filter,
    compile_sort,
)
from ferrybase.filter.dialect import Dialect

_NAME = re.compile(r"^[A-Za-z0-9_]+$")
# What a filter or sort on the collections list can name (the columns of ``_collections``).
_CATALOG_SPEC = CollectionSpec(
    "_collections",
    "_collections",
    BASE,
    (
        FieldSpec("name", "text"),
        FieldSpec("type", "text"),
        FieldSpec("system", "bool"),
        FieldSpec("created", "autodate"),
        FieldSpec("updated", "autodate"),
    ),
    list_rule="",
)
_CATALOG_SCHEMA = Schema((_CATALOG_SPEC,))
LOAD_FAILED = "Failed to load the submitted data due to invalid formatting."
TYPE_LOAD_FAILED = "Failed to load the collection type data due to invalid formatting."
CREATE_FAILED = "Failed to create collection."
UPDATE_FAILED = "Failed to update collection."
IMPORT_FAILED = "Failed to import collections."


class Catalog:
    def __init__(
        self,
        store: Store,
        registry: CollectionRegistry,
        files: Callable[[], FileJournal] | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        # A journal for the file work of one change (``Records.journal``); None: no files.
        self.files = files
        # The OAuth2 providers the server knows (set by the composition root); None skips
        # checking provider names.
        self.provider_names: frozenset[str] | None = None

    # -- reading ----------------------------------------------------------------------------

    async def get(self, id_or_name: str) -> Collection:
        await self.registry.refresh(self.store)
        collection = self.registry.get(id_or_name)
        if collection is None:
            raise NotFoundError()
        return collection

    async def page(
        self, *, filter: str, sort: str, limit: int, offset: int, count: bool
    ) -> tuple[list[Collection], int | None]:
        """A page of collections (superusers only), filtered and sorted like records are."""
        await self.registry.refresh(self.store)
        dialect = self.store.dialect
        schema = _CATALOG_SCHEMA
        condition = (
            compile_filter(filter, _CATALOG_SPEC, schema, None, dialect, superuser=True)
            if filter.strip()
            else None
        )
        order = compile_sort(sort, _CATALOG_SPEC, schema, None, dialect, superuser=True)
        where_sql = condition.sql if condition else "1=1"
        params = condition.params if condition else ()
        natural = '"_rowid"' if dialect.is_postgres else "rowid"
        rows = await self.store.fetch_all(
            f'SELECT "id" FROM "_collections" WHERE {where_sql} '
            f"ORDER BY {order.sql or natural} LIMIT ? OFFSET ?",
            (*params, *order.params, limit, offset),
        )
        total = None
        if count:
            total = int(
                await self.store.fetch_value(
                    f'SELECT COUNT(*) FROM "_collections" WHERE {where_sql}', params
                )
            )
        found = [self.registry.get(row["id"]) for row in rows]
        return [c for c in found if c is not None], total

    def scaffolds(self) -> dict[str, Any]:
        """The default JSON of a new collection of each type, as PocketBase serves it."""
        out = {}
        for type_ in (BASE, AUTH, VIEW):
            draft = Collection(name="", type=type_, fields=_system_fields(type_))
            if type_ == AUTH:
                draft.indexes = auth_indexes(random_secret(10).lower(), "")
            data = draft.to_api()
            data["id"] = ""
            data["created"] = data["updated"] = ""
            out[type_] = data
        return out

    # -- writing ----------------------------------------------------------------------------

    async def create(self, data: dict[str, Any]) -> Collection:
        await self.registry.refresh(self.store)
        collection = self._new(data, CREATE_FAILED)
        async with self.store.transaction() as tx:
            await self._create(tx, collection)
        await self.registry.load(self.store)
        return self.registry.get(collection.id) or collection

    async def update(self, id_or_name: str, data: dict[str, Any]) -> Collection:
        previous = await self.get(id_or_name)
        collection = self._changed(previous, data, UPDATE_FAILED)
        async with self.store.transaction() as tx:
            await self._update(tx, previous, collection)
        await self.registry.load(self.store)
        return self.registry.get(collection.id) or collection

    async def delete(self, id_or_name: str) -> None:
        collection = await self.get(id_or_name)
        self._check_deletable(collection, deleting={collection.id})
        journal = self._journal()
        async with self.store.transaction() as tx:
            await self._delete(tx, collection, journal)
        await self.registry.load(self.store)
        await self._settle(journal)

    async def import_collections(self, items: Any, delete_missing: bool) -> None:
        """Create or update every collection given, and delete the others if asked; all in
        one transaction (PocketBase's ``PUT /api/collections/import``)."""
        await self.registry.refresh(self.store)
        if not items:
            raise ValidationError(
                {"collections": FieldError("validation_required", "Cannot be blank.")}
            )
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InvalidBodyError()
        planned: list[tuple[Collection | None, Collection]] = []
        for data in items:
            try:
                previous = self.registry.get(str(data.get("id") or "")) or self.registry.get(
                    str(data.get("name") or "")
                )
                if previous is None:
                    planned.append((None, self._new(data, IMPORT_FAILED, incoming=items)))
                else:
                    changed = self._changed(previous, data, IMPORT_FAILED, incoming=items)
                    planned.append((previous, changed))
            except ValidationError as exc:
                raise _import_failure(data, exc) from exc
        kept = {after.id for _, after in planned}
        doomed = [
            c for c in self.registry.all() if delete_missing and not c.system and c.id not in kept
        ]
        for collection in doomed:
            self._check_deletable(collection, deleting={c.id for c in doomed})
        journal = self._journal()
        async with self.store.transaction() as tx:
            for collection in doomed:
                await self._delete(tx, collection, journal)
            for previous, collection in planned:
                if previous is None:
                    await self._create(tx, collection)
                else:
                    await self._update(tx, previous, collection)
        await self.registry.load(self.store)
        await self._settle(journal)

    async def truncate(self, id_or_name: str) -> None:
        """Delete every record, each with its change-feed event; their files (and those of
        records deleted in cascade) go after the commit."""
        collection = await self.get(id_or_name)
        if collection.type == VIEW:
            raise BadRequestError("Failed to truncate collection.")
        q = self.store.dialect.quote
        journal = self._journal()
        async with self.store.transaction() as tx:
            rows = await tx.fetch_all(f"SELECT * FROM {q(collection.table)}")
            for row in rows:
                try:
                    deleted = await delete_with_references(
                        tx, self.registry, Record(collection, row), self.store.dialect
                    )
                except BadRequestError as exc:
                    raise BadRequestError(
                        "Failed to truncate collection (most likely due to required cascade "
                        "delete record references)."
                    ) from exc
                if journal is not None:
                    for gone in deleted:
                        if _has_files(gone.collection):
                            journal.record_deleted(gone.collection.id, gone.id)
        await self._settle(journal)

    # -- internals --------------------------------------------------------------------------

    def _new(
        self, data: dict[str, Any], message: str, incoming: list[dict[str, Any]] | None = None
    ) -> Collection:
        collection = _parse(data, message)
        collection.fields = _with_system_fields(collection)
        if collection.is_auth and not collection.indexes:
            collection.indexes = auth_indexes(collection.id, collection.name)
        self._validate(collection, previous=None, message=message, incoming=incoming)
        collection.created = collection.updated = now_text()
        return collection

    def _changed(
        self,
        previous: Collection,
        data: dict[str, Any],
        message: str,
        incoming: list[dict[str, Any]] | None = None,
    ) -> Collection:
        if data.get("type") not in (None, previous.type):
            changed_type = FieldError(
                "validation_collection_type_change", "Collection type cannot be changed."
            )
            raise ValidationError({"type": changed_type}, message)
        merged = previous.to_api()
        for key, value in copy.deepcopy(data).items():
            # An auth option object given in part keeps the parts not given, as PocketBase
            # does (``{"otp": {"duration": 900}}`` leaves ``otp.enabled`` as it was).
            if key in AUTH_OPTION_DEFAULTS and isinstance(value, dict):
                merged[key] = _merged(merged.get(key), value)
            else:
                merged[key] = value
        merged["id"], merged["type"], merged["system"] = previous.id, previous.type, previous.system
        collection = _parse(merged, message, keep_secrets=previous)
        for key, value in data.items():
            # a new token secret given outright replaces the old one (PocketBase's
            # "invalidate all previously issued tokens"); a missing one keeps it
            secret = value.get("secret") if isinstance(value, dict) else None
            if (
                collection.is_auth
                and key in collection.options
                and isinstance(collection.options[key], dict)
                and "secret" in collection.options[key]
                and isinstance(secret, str)
                and MIN_SECRET <= len(secret) <= MAX_SECRET
            ):
                collection.options[key]["secret"] = secret
        if collection.is_auth and (collection.rules.get("authRule") or "") != (
            previous.rules.get("authRule") or ""
        ):
            # As PocketBase: tokens issued under the old auth rule stop working.
            collection.options["authToken"]["secret"] = random_secret()
        collection.fields = _with_system_fields(collection)
        self._validate(collection, previous=previous, message=message, incoming=incoming)
        collection.created, collection.updated = previous.created, now_text()
        return collection

    def _check_deletable(self, collection: Collection, deleting: set[str]) -> None:
        if collection.system:
            raise BadRequestError("Failed to delete collection.")
        for other in self.registry.all():
            if other.id in deleting:
                continue
            if other.type == VIEW and collection.id in view_sources(other, self.registry):
                raise BadRequestError("Failed to delete collection.")
            for f in other.fields:
                if f.type == "relation" and f.opt("collectionId") == collection.id:
                    raise BadRequestError(
                        "Failed to delete collection probably due to existing reference "
                        f"in {other.name}."
                    )

    async def _create(self, tx: Executor, collection: Collection) -> None:
        if collection.type == VIEW:
            await create_view(tx, self.store.dialect, collection, self.registry)
        await insert_collection(tx, self.store.dialect, collection)
        await self._record(tx, "created", None, collection)

    async def _update(self, tx: Executor, previous: Collection, collection: Collection) -> None:
        if collection.type == VIEW:
            await tx.execute(f"DROP VIEW {self.store.dialect.quote(previous.table)}")
            await create_view(tx, self.store.dialect, collection, self.registry)
        else:
            await self._alter(tx, previous, collection)
        await update_collection_row(tx, collection)
        await self._record(tx, "updated", previous, collection)

    async def _delete(
        self, tx: Executor, collection: Collection, journal: FileJournal | None
    ) -> None:
        kind = "VIEW" if collection.type == VIEW else "TABLE"
        await tx.execute(f"DROP {kind} {self.store.dialect.quote(collection.table)}")
        await delete_collection_row(tx, collection)
        await self._record(tx, "deleted", collection, None)
        if journal is not None and collection.type != VIEW and _has_files(collection):
            journal.collection_deleted(collection.id)

    def _journal(self) -> FileJournal | None:
        return None if self.files is None else self.files()

    @staticmethod
    async def _settle(journal: FileJournal | None) -> None:
        """The change committed: delete the files it made obsolete."""
        if journal is not None:
            await journal.commit()

    def _validate(
        self,
        collection: Collection,
        *,
        previous: Collection | None,
        message: str,
        incoming: list[dict[str, Any]] | None = None,
    ) -> None:
        errors: dict[str, FieldError | FieldErrors] = {}
        name_error = self._name_error(collection, previous)
        if name_error is not None:
            errors["name"] = name_error
        if previous is None and collection.id and self.registry.get(collection.id) is not None:
            errors["id"] = FieldError(
                "validation_collection_id_exists", "Collection id must be unique."
            )
        if collection.type == VIEW:
            error = check_query(str(collection.options.get("viewQuery", "")))
            if error is not None:
                blank = FieldError("validation_required", "Cannot be blank.")
                raise ValidationError({"fields": blank, "viewQuery": error}, message)
        checked = check_fields(
            collection.fields,
            collection_type=collection.type,
            existing_collection_ids={c.id for c in self.registry.all()}
            | {collection.id}
            | {str(d.get("id")) for d in incoming or [] if d.get("id")},
            view_collection_ids={c.id for c in self.registry.all() if c.type == VIEW},
        )
        field_errors: dict[str, FieldError | FieldErrors] = {
            index: _field_errors(found) for index, found in checked.get("fields", {}).items()
        }
        if previous is not None:
            old_types = {f.id: f.type for f in previous.fields}
            for i, f in enumerate(collection.fields):
                if old_types.get(f.id, f.type) != f.type:
                    field_errors[str(i)] = FieldError(
                        "validation_field_type_change", "Field type cannot be changed."
                    )
        if field_errors:
            errors["fields"] = field_errors
        index_errors = self._index_errors(collection)
        if index_errors:
            errors["indexes"] = index_errors
        errors.update(self._rule_errors(collection, previous))
        if collection.is_auth:
            identity = self._identity_errors(collection)
            if identity:
                errors["passwordAuth"] = identity
            providers = self._provider_errors(collection)
            if providers:
                errors["oauth2"] = {"providers": providers}
            if collection.options["mfa"].get("enabled") and _sign_in_methods(collection) < 2:
                errors["mfa"] = {
                    "enabled": FieldError(
                        "validation_mfa_not_enough_auths",
                        "MFA requires at least 2 auth methods to be enabled.",
                    )
                }
        if errors:
            raise ValidationError(errors, message)

    def _name_error(self, collection: Collection, previous: Collection | None) -> FieldError | None:
        name = collection.name
        if previous is not None and previous.system and name != previous.name:
            return FieldError(
                "validation_collection_system_name_change",
                "System collection name cannot be changed.",
            )
        if not name:
            return FieldError("validation_required", "Cannot be blank.")
        if len(name) > 255:
            return FieldError(
                "validation_length_out_of_range",
                "The length must be between 1 and 255.",
                {"max": 255, "min": 1},
            )
        if not _NAME.match(name):
            return FieldError("validation_match_invalid", "Must be in a valid format.")
        clash = self.registry.get(name)
        if clash is not None and (previous is None or clash.id != previous.id):
            return FieldError(
                "validation_collection_name_exists",
                "Collection name must be unique (case insensitive).",
            )
        return None

    def _index_errors(self, collection: Collection) -> dict[str, FieldError | FieldErrors]:
        errors: dict[str, FieldError | FieldErrors] = {}
        field_names = {f.name for f in collection.fields}
        used = {
            index_name.lower(): other.name
            for other in self.registry.all()
            if other.id != collection.id
            for index_name in index_names(other.indexes)
        }
        seen: set[str] = set()
        for i, index in enumerate(collection.indexes):
            try:
                index_statements([index], self.store.dialect)
                name, _, columns = index_parts(index)
            except ValueError:
                errors[str(i)] = FieldError(
                    "validation_invalid_index_expression", "Invalid CREATE INDEX expression."
                )
                continue
            if name.lower() in seen:
                errors[str(i)] = FieldError(
                    "validation_duplicated_index_name", "The index name already exists."
                )
            elif name.lower() in used:
                errors[str(i)] = FieldError(
                    "validation_existing_index_name",
                    f"The index name is already used in {used[name.lower()]} collection.",
                    {"usedTableName": used[name.lower()]},
                )
            elif collection.type != VIEW and (
                missing := [c for c in columns if c not in field_names]
            ):
                errors[str(i)] = FieldError(
                    "validation_invalid_index_expression",
                    f"Failed to create index {name} - SQL logic error: no such column: "
                    f"{missing[0]} (1).",
                )
            seen.add(name.lower())
        return errors

    def _rule_errors(
        self, collection: Collection, previous: Collection | None
    ) -> dict[str, FieldError]:
        """Every rule must compile against the collection as it will be; system collections
        keep their rules."""
        errors: dict[str, FieldError] = {}
        schema = schema_of([c for c in self.registry.all() if c.id != collection.id] + [collection])
        spec = schema.collection(collection.id)
        assert spec is not None
        for name, text in collection.rules.items():
            if previous is not None and previous.system and text != previous.rules.get(name):
                errors[name] = FieldError(
                    "validation_collection_system_rule_change",
                    "System collection API rule cannot be changed.",
                )
                continue
            if text is None or not text.strip():
                continue
            try:
                compile_filter(text, spec, schema, RequestInfo(), self.store.dialect, rule=True)
            except FilterError as exc:
                errors[name] = FieldError(
                    "validation_invalid_rule", f"Invalid rule. Raw error: {exc.detail}."
                )
        return errors

    def _provider_errors(self, collection: Collection) -> FieldErrors:
        """An enabled OAuth2 setup names known providers, each with its client id and secret
        (the names come from the server's provider registry, ``provider_names``)."""
        oauth2 = collection.options.get("oauth2") or {}
        if not oauth2.get("enabled") or self.provider_names is None:
            return {}
        errors: dict[str, FieldError | FieldErrors] = {}
        for i, provider in enumerate(oauth2.get("providers") or []):
            found: dict[str, FieldError | FieldErrors] = {}
            name = str(provider.get("name") or "")
            if name not in self.provider_names:
                found["name"] = FieldError(
                    "validation_missing_provider",
                    f"Invalid or missing provider with name {name}.",
                    {"name": name},
                )
            else:
                for key in ("clientId", "clientSecret"):
                    if not provider.get(key):
                        found[key] = FieldError("validation_required", "Cannot be blank.")
            if found:
                errors[str(i)] = found
        return errors

    def _identity_errors(self, collection: Collection) -> FieldErrors:
        names = {f.name for f in collection.fields}
        for identity in collection.options["passwordAuth"].get("identityFields") or []:
            if identity not in names:
                return {
                    "identityFields": FieldError(
                        "validation_missing_field",
                        f"Invalid or missing field {identity}.",
                        {"fieldName": identity},
                    )
                }
        return {}

    async def _alter(self, tx: Executor, old: Collection, new: Collection) -> None:
        """Change ``old``'s table into ``new``'s: rename, add, drop, rename or retype columns."""
        dialect = self.store.dialect
        q = dialect.quote
        for sql in _drop_indexes(old, dialect):
            await tx.execute(sql)
        if old.table != new.table:
            await tx.execute(f"ALTER TABLE {q(old.table)} RENAME TO {q(new.table)}")
        old_fields = {f.id: f for f in old.fields}
        new_ids = {f.id for f in new.fields}
        rebuild = any(
            f.id in old_fields and column_type(old_fields[f.id], dialect) != column_type(f, dialect)
            for f in new.fields
        )
        if rebuild:
            await _rebuild(tx, dialect, old, new)
        else:
            for f in old.fields:
                if f.id not in new_ids:
                    await tx.execute(f"ALTER TABLE {q(new.table)} DROP COLUMN {q(f.name)}")
            for f in new.fields:
                before = old_fields.get(f.id)
                if before is None:
                    definition = f"{q(f.name)} {column_type(f, dialect)}"
                    await tx.execute(f"ALTER TABLE {q(new.table)} ADD COLUMN {definition}")
                elif before.name != f.name:
                    await tx.execute(
                        f"ALTER TABLE {q(new.table)} RENAME COLUMN {q(before.name)} TO {q(f.name)}"
                    )
        await _create_indexes(tx, dialect, new)

    async def _record(
        self, tx: Executor, action: str, before: Collection | None, after: Collection | None
    ) -> None:
        name = (after or before).name  # type: ignore[union-attr]
        await tx.execute(
            'INSERT INTO "_migrations" ("file", "applied", "change") VALUES (?, ?, ?)',
            (
                f"{time.time_ns() // 1000}_{action}_{name}",
                time.time_ns() // 1000,
                Json(
                    {
                        "action": action,
                        "before": before.to_row() if before else None,
                        "after": after.to_row() if after else None,
                    }
                ),
            ),
        )
        await self.registry.bump(tx)


def _has_files(collection: Collection) -> bool:
    return any(f.type == "file" for f in collection.fields)


def _import_failure(data: dict[str, Any], exc: ValidationError) -> ValidationError:
    name = data.get("name", "")
    details = json.dumps(exc.data, indent=2, sort_keys=True)
    return ValidationError(
        {
            "collections": FieldError(
                "validation_collections_import_failure",
                f'Data validations failed for collection "{name}":\n{details}.',
            )
        },
        IMPORT_FAILED,
    )


def _merged(base: Any, patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        out[key] = _merged(out.get(key), value) if isinstance(value, dict) else value
    return out


def _field_errors(found: dict[str, Any]) -> FieldErrors:
    """``check_fields``' plain ``{code, message, params}`` leaves as :class:`FieldError`."""
    out: dict[str, FieldError | FieldErrors] = {}
    for key, value in found.items():
        if isinstance(value, dict) and isinstance(value.get("code"), str):
            out[key] = FieldError(value["code"], value["message"], value.get("params"))
        else:
            out[key] = _field_errors(value)
    return out


MIN_SECRET, MAX_SECRET = 30, 255
"""The lengths PocketBase accepts for a token secret."""


def _parse(
    data: dict[str, Any], message: str, keep_secrets: Collection | None = None
) -> Collection:
    """Collection JSON from a client; malformed shapes cannot load, as in PocketBase."""
    if not isinstance(data, dict):
        raise BadRequestError(LOAD_FAILED)
    if not isinstance(data.get("name", ""), str):
        raise BadRequestError(TYPE_LOAD_FAILED)
    type_ = data.get("type") or BASE
    if type_ not in (BASE, AUTH, VIEW):
        invalid = FieldError("validation_in_invalid", "Must be a valid value.")
        raise ValidationError({"type": invalid}, message)
    fields = data.get("fields") or []
    if not isinstance(fields, list) or not all(
        isinstance(f, dict)
        and f.get("type") in FIELD_OPTIONS
        and isinstance(f.get("name", ""), str)
        for f in fields
    ):
        raise BadRequestError(LOAD_FAILED)
    for rule in RULES:
        if data.get(rule) is not None and not isinstance(data[rule], str):
            raise BadRequestError(LOAD_FAILED)
    data = {**data, "fields": _dedupe(fields)}
    try:
        collection = Collection.from_api(data)
    except (TypeError, ValueError, KeyError) as exc:
        raise BadRequestError(LOAD_FAILED) from exc
    if keep_secrets is not None and collection.is_auth:
        for key, value in keep_secrets.options.items():
            if isinstance(value, dict) and "secret" in value:
                collection.options[key]["secret"] = value["secret"]
        keep_client_secrets(collection.options, keep_secrets.options)
    # An index always belongs to its collection's table, whatever table it names.
    collection.indexes = [with_index_table(ix, collection.name) for ix in collection.indexes]
    return collection


def _sign_in_methods(collection: Collection) -> int:
    options = collection.options
    return sum(bool(options[name].get("enabled")) for name in ("passwordAuth", "oauth2", "otp"))


def _dedupe(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A later field with the same id or name replaces the earlier one, in its place."""
    out: list[dict[str, Any]] = []
    for f in fields:
        for i, existing in enumerate(out):
            same_id = f.get("id") and f.get("id") == existing.get("id")
            if same_id or (f.get("name") and f.get("name") == existing.get("name")):
                out[i] = f
                break
        else:
            out.append(f)
    return out


def _system_fields(type_: str) -> list[Field]:
    if type_ == AUTH:
        return auth_system_fields()
    if type_ == BASE:
        return [id_field()]
    return []


def _with_system_fields(collection: Collection) -> list[Field]:
    """The collection's fields with its type's system fields, in PocketBase's order: ``id``
    first, then the given fields (a given system field keeps its place and takes the system
    flags), then the system fields that were not given."""
    given = {f.name: f for f in collection.fields}
    system = {f.name: f for f in _system_fields(collection.type)}
    out = []
    for f in ([system["id"]] if "id" in system else []) + [
        f for f in collection.fields if f.name != "id"
    ]:
        base = system.get(f.name)
        kept = given.get(f.name)
        if base is not None and kept is not None and kept.type == base.type:
            base.id = kept.id or base.id
            base.hidden, base.presentable = kept.hidden, kept.presentable
            if base.name == "id":
                # PocketBase takes the given definition of the id field, keeping what makes
                # it the primary key.
                base.options = dict(kept.options)
                base.options["primaryKey"] = True
                base.options["pattern"] = base.options.get("pattern") or "^[a-z0-9]+$"
            elif base.type != "password" and base.name != "tokenKey":
                base.options.update(kept.options)
            out.append(base)
        else:
            out.append(base or f)
    names = {f.name for f in out}
    return out + [f for name, f in system.items() if name not in names]


def _drop_indexes(collection: Collection, dialect: Dialect) -> list[str]:
    return [f"DROP INDEX IF EXISTS {dialect.quote(n)}" for n in index_names(collection.indexes)]


async def _create_indexes(tx: Executor, dialect: Dialect, collection: Collection) -> None:
    """Create the collection's indexes; data that breaks a unique one is the index's error."""
    for i, sql in enumerate(index_statements(collection.indexes, dialect)):
        try:
            await tx.execute(sql)
        except ConflictError as exc:
            name = index_names([collection.indexes[i]])[0]
            raise ValidationError(
                {
                    "indexes": {
                        str(i): FieldError(
                            "validation_invalid_index_expression",
                            f"Failed to create index {name} - UNIQUE constraint failed.",
                        )
                    }
                },
                "Failed to update collection.",
            ) from exc


async def _rebuild(tx: Executor, dialect: Dialect, old: Collection, new: Collection) -> None:
    """Copy the table into one of the new shape, converting columns whose shape changed."""
    q = dialect.quote
    temp = Collection(name=f"_rebuild_{new.table}", type=new.type, fields=new.fields)
    for sql in create_table(temp, dialect):
        await tx.execute(sql)
    old_by_id = {f.id: f for f in old.fields}
    targets, sources = [], []
    for f in new.fields:
        before = old_by_id.get(f.id)
        if before is None:
            continue
        targets.append(q(f.name))
        sources.append(convert_expression(before, f, dialect))
    if dialect.is_postgres:
        targets.append(q("_rowid"))
        sources.append(q("_rowid"))
    await tx.execute(
        f"INSERT INTO {q(temp.table)} ({', '.join(targets)}) "
        f"SELECT {', '.join(sources)} FROM {q(new.table)}"
    )
    await tx.execute(f"DROP TABLE {q(new.table)}")
    await tx.execute(f"ALTER TABLE {q(temp.table)} RENAME TO {q(new.table)}")
    if dialect.is_postgres:  # new rows continue after the copied ones
        await tx.execute(
            f"SELECT setval(pg_get_serial_sequence(?, '_rowid'), "
            f"COALESCE((SELECT MAX({q('_rowid')}) FROM {q(new.table)}), 0) + 1, false)",
            (q(new.table),),
        )
