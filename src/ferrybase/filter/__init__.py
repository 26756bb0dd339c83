"""The filter language: PocketBase's filter, sort and rule grammar compiled to safe SQL.

Pure: text -> parser -> AST -> compiler -> parameterised SQL for a :class:`Dialect`.
It imports only the standard library and ``ferrybase.errors``; no HTTP, no database driver.

* :func:`parse_filter` turns text into an AST (:mod:`ferrybase.filter.ast`), cached;
* :func:`compile_filter` turns text or AST into a :class:`Condition` (SQL + parameters)
  over a collection's table, given a :class:`SchemaSource` and a :class:`RequestInfo`;
  results are cached (bounded LRU) per text, collection and schema object, dialect and
  flags, reused only for a request showing the same values the compilation read;
* :func:`compile_sort` turns a ``sort`` parameter into an :class:`OrderBy`.
"""

from ferrybase.filter.compiler import Condition, compile_cache_clear, compile_filter
from ferrybase.filter.dialect import POSTGRES, SQLITE, Dialect
from ferrybase.filter.parser import (
    MAX_DEPTH,
    MAX_EXPRESSIONS,
    MAX_FILTER_LENGTH,
    parse_cache_clear,
    parse_filter,
)
from ferrybase.filter.request import (
    AuthInfo,
    RequestInfo,
    normalize_headers,
    normalize_raw_headers,
)
from ferrybase.filter.resolver import MAX_JOINS
from ferrybase.filter.schema import CollectionSpec, FieldSpec, Schema, SchemaSource
from ferrybase.filter.sort import MAX_SORT_EXPRESSIONS, OrderBy, compile_sort

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPRESSIONS",
    "MAX_FILTER_LENGTH",
    "MAX_JOINS",
    "MAX_SORT_EXPRESSIONS",
    "POSTGRES",
    "SQLITE",
    "AuthInfo",
    "CollectionSpec",
    "Condition",
    "Dialect",
    "FieldSpec",
    "OrderBy",
    "RequestInfo",
    "Schema",
    "SchemaSource",
    "compile_cache_clear",
    "compile_filter",
    "compile_sort",
    "normalize_headers",
    "normalize_raw_headers",
    "parse_cache_clear",
    "parse_filter",
]
