"""``sort`` text -> ORDER BY per dialect, and its limits."""

from __future__ import annotations

from typing import Any

import pytest

from ferrybase.errors import FilterForbiddenError, FilterLimitError, FilterResolveError
from ferrybase.filter import POSTGRES, SQLITE, Dialect, compile_sort
from tests.unit.filter.schema import POSTS, REQUEST, SCHEMA

AUTHOR = '(SELECT "_j_author"."name"{} FROM (SELECT 1) AS "_fb" LEFT JOIN "users" AS "_j_author" ON "_j_author"."id" = "posts"."author" LIMIT 1)'  # noqa: E501


@pytest.mark.parametrize(
    ("dialect", "text", "sql", "params"),
    [
        (SQLITE, "", "", ()),
        (SQLITE, "-views,+title", '"posts"."views" DESC, "posts"."title" ASC', ()),
        (SQLITE, " title , -id", '"posts"."title" ASC, "posts"."id" DESC', ()),
        (SQLITE, "@random", "RANDOM()", ()),
        (SQLITE, "-@rowid", '"posts"."_rowid_" DESC', ()),
        (POSTGRES, "@rowid", '"posts"."_rowid" ASC', ()),
        (POSTGRES, "-views", '"posts"."views" DESC', ()),  # NOT NULL: no NULLS clause
        (POSTGRES, "title", '"posts"."title" COLLATE "C" ASC', ()),
        (SQLITE, "title:lower", 'LOWER("posts"."title") ASC', ()),
        (SQLITE, "author.name", AUTHOR.format("") + " ASC", ()),
        (POSTGRES, "author.name", AUTHOR.format(' COLLATE "C"') + " ASC NULLS FIRST", ()),
        (SQLITE, "author.id", '"posts"."author" ASC', ()),
    ],
)
def test_sort(dialect: Dialect, text: str, sql: str, params: tuple[Any, ...]) -> None:
    order = compile_sort(text, POSTS, SCHEMA, REQUEST, dialect, superuser=True)
    assert (order.sql, order.params) == (sql, params)


def test_sort_through_auth_join_binds_the_id() -> None:
    order = compile_sort("@request.auth.name", POSTS, SCHEMA, REQUEST, SQLITE, superuser=True)
    assert order.params == ("u1",)


@pytest.mark.parametrize(
    "text", ["views desc", "nope", "@request.auth.id", "title,", "true", "@request.query.page"]
)
def test_invalid_sort_fields(text: str) -> None:
    with pytest.raises(FilterResolveError):
        compile_sort(text, POSTS, SCHEMA, REQUEST, superuser=True)


def test_sort_limits_and_access() -> None:
    compile_sort(",".join(["id"] * 8), POSTS, SCHEMA)
    with pytest.raises(FilterLimitError):
        compile_sort(",".join(["id"] * 9), POSTS, SCHEMA)
    with pytest.raises(FilterLimitError):
        compile_sort("a" * 256, POSTS, SCHEMA)
    with pytest.raises(FilterForbiddenError):
        compile_sort("@request.auth.name", POSTS, SCHEMA, REQUEST)
    with pytest.raises(FilterResolveError):
        compile_sort("secret", POSTS, SCHEMA)
