"""The few differences between SQLite and PostgreSQL SQL that the rest of the code needs.

All SQL in Ferrybase is written with ``?`` placeholders and bound parameters; the PostgreSQL
store rewrites them to ``$n`` once per distinct statement. SQL text therefore never uses
PostgreSQL's ``?`` jsonb operators (``jsonb_exists`` and friends do the same job).

Storage conventions the filter compiler relies on (fixed by the stores): single-valued
text-like fields are ``TEXT``, ``number`` is ``NUMERIC`` (SQLite) / ``DOUBLE PRECISION``
(PostgreSQL), ``bool`` is ``BOOLEAN``, ``json``, multi-valued fields (``maxSelect > 1``) and
``geoPoint`` are JSON text (SQLite) / ``JSONB`` (PostgreSQL). Row order is SQLite's rowid and
PostgreSQL's hidden ``_rowid`` column (:attr:`Dialect.rowid_column`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from ferrybase.filter.schema import FieldSpec
from ferrybase.filter.sql import Sql, fmt, join
from ferrybase.filter.values import Affinity, Val, json_val, num_val, text_val

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_JSON_KEY = re.compile(r"^[A-Za-z0-9_]+$")


@lru_cache(maxsize=4096)
def _quoted(identifier: str) -> str:
    if not _IDENT.match(identifier):
        raise ValueError(f"not a valid SQL identifier: {identifier!r}")
    return f'"{identifier}"'


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL of the two stores."""

    name: str

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgres"

    @property
    def rowid_column(self) -> str:
        """The column giving insertion order (``@rowid`` sort)."""
        return "_rowid" if self.is_postgres else "_rowid_"

    def quote(self, identifier: str) -> str:
        """Quote a table or column name; only plain identifiers are accepted."""
        return _quoted(identifier)

    def column(self, alias: str, name: str) -> Sql:
        return Sql(f"{self.quote(alias)}.{self.quote(name)}")

    def stores_json(self, field: FieldSpec) -> bool:
        """Whether the field's column holds JSON (JSONB on PostgreSQL)."""
        return field.type in ("json", "geoPoint") or (field.is_multi_valuer and field.multiple)

    # -- reading a column -------------------------------------------------------------------

    def field_value(self, alias: str, field: FieldSpec) -> Val:
        """The plain value of ``alias.field``, typed as SQLite sees it."""
        ref = self.column(alias, field.name)
        if field.type == "json":
            return self.json_extract(alias, field, ())
        if field.type == "number":
            return num_val(ref, ref)
        if field.type == "bool":
            val = num_val(ref, fmt("CAST({} AS INTEGER)", ref))
            return replace(val, boolean=ref) if self.is_postgres else val
        if self.stores_json(field):
            # JSON text in a column declared JSON, which has NUMERIC affinity in SQLite
            if self.is_postgres:
                return text_val(fmt("CAST({} AS TEXT)", ref), Affinity.NUMERIC)
            return Val(ref, Affinity.NUMERIC)
        return text_val(ref)

    def json_extract(self, alias: str, field: FieldSpec, path: Sequence[str]) -> Val:
        """A value inside a JSON column (``meta.a.b``, ``meta.items.0``)."""
        for key in path:
            if not _JSON_KEY.match(key):
                raise ValueError(f"not a valid JSON path key: {key!r}")
        ref = self.column(alias, field.name)
        sqlite_path = "".join(f"[{k}]" if k.isdigit() else f".{k}" for k in path)
        sqlite = fmt(
            "(CASE WHEN json_valid({}) THEN JSON_EXTRACT({}, '${}')"
            " ELSE JSON_EXTRACT(json_object('pb', {}), '$.pb{}') END)",
            ref,
            ref,
            sqlite_path,
            ref,
            sqlite_path,
        )
        jsonb = ref if not path else fmt("({} #> '{" + ",".join(path) + "}')", ref)
        return json_val(sqlite, jsonb)

    def array_length(self, alias: str, field: FieldSpec) -> Val:
        """Number of items of a multi-valued column (0 for empty, 1 for a single value)."""
        c = self.column(alias, field.name)
        if self.is_postgres:
            if self.stores_json(field):
                pg = fmt(
                    "(CASE WHEN {} IS NULL THEN 0 WHEN jsonb_typeof({}) = 'array'"
                    " THEN jsonb_array_length({}) ELSE 1 END)",
                    c,
                    c,
                    c,
                )
            else:
                pg = fmt("(CASE WHEN {} = '' OR {} IS NULL THEN 0 ELSE 1 END)", c, c)
            return num_val(pg, pg, Affinity.NONE)
        sqlite = fmt(
            "json_array_length(CASE WHEN iif(json_valid({}), json_type({})='array', FALSE)"
            " THEN {} ELSE (CASE WHEN {} = '' OR {} IS NULL THEN json_array()"
            " ELSE json_array({}) END) END)",
            c,
            c,
            c,
            c,
            c,
            c,
        )
        return num_val(sqlite, sqlite, Affinity.NONE)

    def each_value(self, alias: str) -> Val:
        """The current item of an :meth:`each_join`."""
        ref = self.column(alias, "value")
        return text_val(ref, Affinity.NONE) if self.is_postgres else Val(ref)

    # -- joins ------------------------------------------------------------------------------

    def each_join(self, alias: str, owner: str, field: FieldSpec) -> Sql:
        """One row per item of ``owner.field`` (a single value counts as one item)."""
        c = self.column(owner, field.name)
        if self.is_postgres:
            if self.stores_json(field):
                items = fmt(
                    "CASE WHEN jsonb_typeof({}) = 'array' THEN {} ELSE jsonb_build_array({}) END",
                    c,
                    c,
                    c,
                )
            else:
                items = fmt("jsonb_build_array({})", c)
            return fmt(
                "LEFT JOIN LATERAL jsonb_array_elements_text({}) AS "
                + self.quote(alias)
                + '("value") ON TRUE',
                items,
            )
        return fmt(
            "LEFT JOIN json_each(CASE WHEN iif(json_valid({}), json_type({})='array', FALSE)"
            " THEN {} ELSE json_array({}) END) AS " + self.quote(alias),
            c,
            c,
            c,
            c,
        )

    def each_param_join(self, alias: str, json_text: str) -> Sql:
        """One row per item of a JSON array bound as a parameter (``@request.body.x:each``)."""
        if self.is_postgres:
            return Sql(
                "LEFT JOIN LATERAL jsonb_array_elements_text(CAST(? AS JSONB)) AS "
                + self.quote(alias)
                + '("value") ON TRUE',
                (json_text,),
            )
        return Sql(f"LEFT JOIN json_each(?) AS {self.quote(alias)}", (json_text,))

    def table_join(self, table: str, alias: str, on: Sql) -> Sql:
        return fmt(f"LEFT JOIN {self.quote(table)} AS {self.quote(alias)} ON {{}}", on)

    def back_multi_on(self, alias: str, field: FieldSpec, parent: str) -> Sql:
        """``alias.field`` (a JSON array of ids) contains ``parent.id``."""
        ids = self.column(alias, field.name)
        parent_id = self.column(parent, "id")
        if self.is_postgres:
            return fmt("{} @> jsonb_build_array({})", ids, parent_id)
        items = self.quote(alias + "_je")
        return fmt(
            "{} IN (SELECT " + items + '."value" FROM json_each(CASE WHEN iif(json_valid({}),'
            " json_type({})='array', FALSE) THEN {} ELSE json_array({}) END) AS " + items + ")",
            parent_id,
            ids,
            ids,
            ids,
            ids,
        )

    def in_json_list(self, ref: Sql, json_text: str) -> Sql:
        """``ref`` is one of the strings of a bound JSON array."""
        if self.is_postgres:
            return fmt("{} IN (SELECT jsonb_array_elements_text(CAST(? AS JSONB)))", ref) + Sql(
                "", (json_text,)
            )
        return fmt('{} IN (SELECT "value" FROM json_each(?))', ref) + Sql("", (json_text,))

    def exists(self, joins: Sequence[Sql], where: Sql, negate: bool = False) -> Sql:
        """A correlated ``[NOT] EXISTS`` over the LEFT JOINed ``joins`` (one row if none)."""
        keyword = "NOT EXISTS" if negate else "EXISTS"
        body = join(" ", joins)
        return fmt(keyword + ' (SELECT 1 FROM (SELECT 1) AS "_fb" {} WHERE {})', body, where)


SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgres")
