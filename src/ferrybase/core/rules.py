"""Access rules and client filters: the filter language applied to records.

A rule is ``None`` (superusers only: 403 for anyone else), ``""`` (everyone) or a filter
expression compiled into SQL and ANDed into the query, as PocketBase does. Client filters
and sorts go through the same compiler, with the client's restrictions (no ``@request.*``,
``@collection.*`` or hidden fields unless superuser).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ferrybase.core.collections import Collection
from ferrybase.core.fields import Field
from ferrybase.core.records import Auth
from ferrybase.core.schema import index_parts
from ferrybase.errors import ForbiddenError
from ferrybase.filter import (
    AuthInfo,
    CollectionSpec,
    Condition,
    Dialect,
    FieldSpec,
    OrderBy,
    RequestInfo,
    Schema,
    compile_filter,
    compile_sort,
)

SUPERUSERS_ONLY = "Only superusers can perform this action."
LIST_RULE = "listRule"
VIEW_RULE = "viewRule"
CREATE_RULE = "createRule"
UPDATE_RULE = "updateRule"
DELETE_RULE = "deleteRule"


@dataclass(frozen=True)
class Caller:
    """Who asks and what ``@request.*`` sees: the auth plus the request's data."""

    auth: Auth
    body: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    method: str = "GET"
    context: str = "default"

    @property
    def is_superuser(self) -> bool:
        return self.auth.is_superuser

    def with_body(self, body: dict[str, Any], method: str) -> Caller:
        return Caller(self.auth, body, self.query, self.headers, method, self.context)


def spec_of(collection: Collection) -> CollectionSpec:
    """The filter compiler's view of a collection."""
    unique = set()
    for index in collection.indexes:
        if index.lstrip()[:13].upper() == "CREATE UNIQUE":
            try:
                columns = index_parts(index)[2]
            except ValueError:
                continue
            if len(columns) == 1:
                unique.add(columns[0])
    return CollectionSpec(
        id=collection.id,
        name=collection.name,
        type=collection.type,
        fields=tuple(_field_spec(f, f.name in unique) for f in collection.fields),
        list_rule=collection.rules.get(LIST_RULE),
    )


def _field_spec(f: Field, unique: bool) -> FieldSpec:
    target = str(f.opt("collectionId")) if f.type == "relation" else None
    return FieldSpec(f.name, f.type, f.multiple, f.hidden, target, unique)


def schema_of(collections: list[Collection]) -> Schema:
    return Schema.of(spec_of(c) for c in collections)


def request_info(caller: Caller, schema: Schema) -> RequestInfo:
    record = caller.auth.record
    auth = None
    if record is not None:
        spec = schema.collection(record.collection.id)
        assert spec is not None
        auth = AuthInfo(record.data, spec)
    return RequestInfo(
        auth=auth,
        body=caller.body,
        query=caller.query,
        headers=caller.headers,
        method=caller.method,
        context=caller.context,
    )


class Access:
    """Compiles one collection's rules and a caller's filter and sort into SQL."""

    def __init__(self, schema: Schema, dialect: Dialect) -> None:
        self.schema = schema
        self.dialect = dialect

    def rule(self, collection: Collection, name: str, caller: Caller) -> Condition | None:
        """The condition a rule adds for this caller; ``None`` when it adds nothing."""
        if caller.is_superuser:
            return None
        text = collection.rules.get(name)
        if text is None:
            raise ForbiddenError(SUPERUSERS_ONLY)
        if not text.strip():
            return None
        return compile_filter(text, *self._context(collection, caller), rule=True)

    def filter(self, collection: Collection, text: str, caller: Caller) -> Condition | None:
        if not text.strip():
            return None
        context = self._context(collection, caller)
        return compile_filter(text, *context, superuser=caller.is_superuser)

    def list_condition(
        self, collection: Collection, text: str, caller: Caller, sort: str = ""
    ) -> Condition | None:
        """The list rule, the client filter and the joins of the sort's paths as one
        condition over shared joins, as PocketBase's single resolver compiles them (``None``:
        no restriction). A sort through a relation brings the related list rule along."""
        if caller.is_superuser:
            return self.filter(collection, text, caller)
        rule = collection.rules.get(LIST_RULE)
        if rule is None:
            raise ForbiddenError(SUPERUSERS_ONLY)
        if not text.strip() and not rule.strip() and not sort.strip():
            return None
        context = self._context(collection, caller)
        return compile_filter(text, *context, superuser=False, list_rule=rule, sort=sort)

    def sort(self, collection: Collection, text: str, caller: Caller) -> OrderBy:
        context = self._context(collection, caller)
        return compile_sort(text, *context, superuser=caller.is_superuser)

    def _context(
        self, collection: Collection, caller: Caller
    ) -> tuple[CollectionSpec, Schema, RequestInfo, Dialect]:
        spec = self.schema.collection(collection.id)
        assert spec is not None
        return spec, self.schema, request_info(caller, self.schema), self.dialect


def where(*conditions: Condition | None) -> tuple[str, tuple[Any, ...]]:
    """``" AND "``-joined conditions (``"1=1"`` when none) and their parameters in order."""
    present = [c for c in conditions if c is not None]
    if not present:
        return "1=1", ()
    sql = " AND ".join(f"({c.sql})" for c in present)
    params: tuple[Any, ...] = ()
    for c in present:
        params += c.params
    return sql, params
