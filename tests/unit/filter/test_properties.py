"""Random and hostile text into the parser and compiler: a result or a FilterError, always."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferrybase.errors import FilterError
from ferrybase.filter import POSTGRES, SQLITE, compile_filter, compile_sort, parse_filter
from tests.unit.filter.schema import POSTS, REQUEST, SCHEMA

ATOMS = [
    "title",
    "views",
    "author.name",
    "author.team.name",
    "tags:each",
    "tags:length",
    "meta.a.b",
    "editors.name",
    "comments_via_post.message",
    "@request.auth.id",
    "@request.body.tags:each",
    "@request.body.title:changed",
    "@collection.comments.message",
    "@now",
    "'x'",
    '"y"',
    "1",
    "-2.5",
    "true",
    "null",
    "strftime('%Y', created)",
    "geoDistance(loc.lon, loc.lat, 1, 2)",
    "{:p}",
    "(",
    ")",
    "&&",
    "||",
    "=",
    "?=",
    "!~",
    ">=",
    "//c\n",
    "'",
    "\\",
    "#",
    "@",
    ":each",
    ".",
    ",",
    "secret",
    "title:lower",
    "x_via_y.z",
    "@request.auth.team.name",
    "%",
    "_",
]
TOKENS = st.lists(st.sampled_from(ATOMS), max_size=14).map(" ".join)
TEXT = st.one_of(st.text(max_size=80), TOKENS)


def _check(text: str) -> None:
    with contextlib.suppress(FilterError):
        parse_filter(text)
    for dialect in (SQLITE, POSTGRES):
        for rule, superuser in ((True, False), (False, True), (False, False)):
            try:
                cond = compile_filter(
                    text,
                    POSTS,
                    SCHEMA,
                    REQUEST,
                    dialect,
                    rule=rule,
                    superuser=superuser,
                    params={"p": "v"},
                )
            except FilterError:
                continue
            assert cond.sql.count("?") == len(cond.params)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_filters_end_in_result_or_filter_error(text: str) -> None:
    _check(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*ATOMS, "-title", "+views", "@rowid", "@random"]), max_size=5))
def test_sorts_end_in_result_or_filter_error(items: list[str]) -> None:
    for dialect in (SQLITE, POSTGRES):
        with contextlib.suppress(FilterError):
            compile_sort(",".join(items), POSTS, SCHEMA, REQUEST, dialect, superuser=True)


def test_hostile_inputs() -> None:
    for text in [
        "(" * 5000,
        "a" * 10000,
        "a = '" + "x" * 3490 + "'",
        " || ".join(["@collection.comments.message ?= 'x'"] * 60),
        ".".join(["author"] * 50) + " = 1",
        "f(" * 50,
        "\x00 = 1",
        "title = '\x00'",
        "tags:each:each = 1",
        "meta.a'b = 1",
    ]:
        _check(text)
