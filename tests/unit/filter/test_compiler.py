"""AST -> SQL + parameters per dialect, and the access and size rules of the compiler."""

from __future__ import annotations

from typing import Any

import pytest

from ferrybase.errors import (
    FilterError,
    FilterForbiddenError,
    FilterLimitError,
    FilterResolveError,
)
from ferrybase.filter import (
    MAX_JOINS,
    POSTGRES,
    SQLITE,
    Dialect,
    RequestInfo,
    compile_filter,
    parse_filter,
)
from ferrybase.filter.compiler import _escape_unescaped, _wrap_like
from tests.unit.filter.compiled_sql import POSTGRES_CASES, SQLITE_CASES
from tests.unit.filter.schema import NOW, POSTS, REQUEST, SCHEMA, USERS

PARAMS = {"t": "x", "n": 3}


def _compile(text: str, dialect: Dialect = SQLITE, **kwargs: Any) -> tuple[str, tuple[Any, ...]]:
    cond = compile_filter(text, POSTS, SCHEMA, REQUEST, dialect, now=NOW, **kwargs)
    return cond.sql, cond.params


@pytest.mark.parametrize(("text", "sql", "params"), SQLITE_CASES)
def test_sqlite_sql(text: str, sql: str, params: tuple[Any, ...]) -> None:
    assert _compile(text, SQLITE, rule=True, params=PARAMS) == (sql, params)


@pytest.mark.parametrize(("text", "sql", "params"), POSTGRES_CASES)
def test_postgres_sql(text: str, sql: str, params: tuple[Any, ...]) -> None:
    assert _compile(text, POSTGRES, rule=True, params=PARAMS) == (sql, params)


@pytest.mark.parametrize(
    ("sqlite", "postgres"), list(zip(SQLITE_CASES, POSTGRES_CASES, strict=True))
)
def test_dialects_bind_the_same_values(sqlite: Any, postgres: Any) -> None:
    # every '?' has a parameter, and PostgreSQL never sees a '?' jsonb operator
    for _, sql, params in (sqlite, postgres):
        assert sql.count("?") == len(params)
    assert "?|" not in postgres[1] and "?&" not in postgres[1]


def test_sql_text_is_stable_when_only_values_change() -> None:
    a = _compile("title = 'a' && views > 1 && @request.auth.id = author", POSTGRES, rule=True)
    b = _compile("title = 'zz' && views > 1000 && @request.auth.id = author", POSTGRES, rule=True)
    assert a[0] == b[0] and a[1] != b[1]


def test_alias() -> None:
    sql, _ = _compile("views > 1", superuser=True, alias="p")
    assert sql == '"p"."views" > ?'


def test_ast_input_and_placeholders() -> None:
    expr = parse_filter("title = {:t}")
    cond = compile_filter(expr, POSTS, SCHEMA, superuser=True, params={"t": "hi"})
    assert (cond.sql, cond.params) == ('"posts"."title" = ?', ("hi",))
    with pytest.raises(FilterResolveError):
        compile_filter(expr, POSTS, SCHEMA, superuser=True)


@pytest.mark.parametrize(
    ("value", "sql", "params"),
    [
        (None, '("posts"."title" = \'\' OR "posts"."title" IS NULL)', ()),
        (True, '"posts"."title" = 1', ()),
        (2, '"posts"."title" = ?', (2.0,)),
        (["a"], '"posts"."title" = ?', ('["a"]',)),
    ],
)
def test_placeholder_values(value: object, sql: str, params: tuple[Any, ...]) -> None:
    cond = compile_filter("title = {:v}", POSTS, SCHEMA, superuser=True, params={"v": value})
    assert (cond.sql, cond.params) == (sql, params)


@pytest.mark.parametrize("text", ["@request.auth.id = ''", "@collection.users.id = ''"])
def test_client_filter_forbids_request_and_collection(text: str) -> None:
    with pytest.raises(FilterForbiddenError):
        compile_filter(text, POSTS, SCHEMA)
    compile_filter(text, POSTS, SCHEMA, superuser=True)
    compile_filter(text, POSTS, SCHEMA, rule=True)


def test_client_filter_forbids_hidden_fields() -> None:
    with pytest.raises(FilterResolveError, match="Non-filterable"):
        compile_filter("secret = 'x'", POSTS, SCHEMA)
    with pytest.raises(FilterResolveError, match="Non-filterable"):
        compile_filter("author.password = 'x'", POSTS, SCHEMA)
    compile_filter("secret = 'x'", POSTS, SCHEMA, superuser=True)


def test_client_filter_through_superuser_only_collection() -> None:
    with pytest.raises(FilterResolveError, match="only by superusers"):
        compile_filter("author.team.name = 'x'", POSTS, SCHEMA)
    compile_filter("author.team.name = 'x'", POSTS, SCHEMA, superuser=True)


def test_auth_email_needs_visibility_for_non_superusers() -> None:
    cond = compile_filter("email = 'a@b.c'", USERS, SCHEMA)
    assert cond.sql == '("users"."email" = ? AND "users"."emailVisibility" = TRUE)'
    cond = compile_filter("email = 'a@b.c'", USERS, SCHEMA, superuser=True)
    assert cond.sql == '"users"."email" = ?'


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("nope = 1", "Unknown field 'nope'"),
        ("title:nope = 1", "Unknown modifier"),
        ("title.name = 1", "not a valid relation"),
        ("foo_via_bar.x = 1", "back-relation collection"),
        ("comments_via_message.x = 1", "Invalid back-relation field"),
        ("@collection.nope.x = 1", "Unknown collection"),
        ("@request.query.x:each = 1", "Invalid modifier sequence"),
        ("@request.body.title:each = 1", "doesn't support multivalue"),
        ("nofn(1) = 1", "Unknown function"),
        ("geoDistance(1, 2, 3) = 1", "expects 4 arguments"),
        ("geoDistance('a', 2, 3, 4) = 1", "identifier or number"),
        ("strftime(created) = 1", "format string"),
        ("strftime('%Y', created, 5) = 1", "modifiers must be text"),
        ("@unknown = 1", "Failed to resolve"),
        ("#x = 1", "Failed to resolve"),
    ],
)
def test_resolve_errors(text: str, error: str) -> None:
    with pytest.raises(FilterResolveError, match=error) as info:
        compile_filter(text, POSTS, SCHEMA, superuser=True)
    assert info.value.position is not None


def test_missing_request_fields_are_null() -> None:
    sql, _ = _compile("@request.body.nope = '' && @request.query.nope = null", rule=True)
    assert sql == "(TRUE AND TRUE)"
    sql, _ = _compile("@request.auth.nope.x = ''", rule=True)
    assert sql.endswith("WHERE TRUE)")
    guest = compile_filter("@request.auth.id = ''", POSTS, SCHEMA, RequestInfo(), rule=True)
    assert guest.sql == "TRUE"


def test_max_nested_relations() -> None:
    path = ".".join(["author"] + ["team"] * 6)
    with pytest.raises(FilterError):
        compile_filter(f"{path} = 1", POSTS, SCHEMA, superuser=True)


def test_join_cap() -> None:
    many = " || ".join(f"@collection.comments:c{i}.message = 'x'" for i in range(MAX_JOINS))
    with pytest.raises(FilterLimitError):
        compile_filter(many, POSTS, SCHEMA, superuser=True)


def test_same_path_shares_one_join() -> None:
    sql, _ = _compile("author.name = 'a' && author.email = 'b'", superuser=True)
    assert sql.count('LEFT JOIN "users"') == 1


@pytest.mark.parametrize(
    ("value", "wrapped"),
    [
        ("abc", "%abc%"),
        ("a_b", "%a\\_b%"),
        ("a\\_b", "%a\\_b%"),
        ("50%", "50%"),
        ("50\\%", "%50\\%%"),
        (5.0, "%5%"),
        (2.5, "%2.5%"),
        (True, "%true%"),
    ],
)
def test_like_wrapping(value: object, wrapped: str) -> None:
    assert _wrap_like(value) == wrapped


def test_escape_leading_char() -> None:
    assert _escape_unescaped("_x", "_") == "\\_x"
