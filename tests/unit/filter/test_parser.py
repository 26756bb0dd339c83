"""Text -> AST, syntax errors with positions, and the size caps."""

from __future__ import annotations

import pytest

from ferrybase.errors import FilterLimitError, FilterSyntaxError
from ferrybase.filter import MAX_EXPRESSIONS, MAX_FILTER_LENGTH, parse_filter
from ferrybase.filter.ast import And, Compare, Field, Function, Literal, Macro, Op, Or, Placeholder
from ferrybase.filter.parser import parse_cache_clear, parse_operand

F = Field
L = Literal


def C(path: str, value: float) -> Compare:
    return Compare(F(path), Op.EQ, L(float(value)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = 1", Compare(F("a"), Op.EQ, L(1.0))),
        *[(f"a {op.value} 'x'", Compare(F("a"), op, L("x"))) for op in Op],
        ("a=-1.5", Compare(F("a"), Op.EQ, L(-1.5))),
        ('a != "x\\"y"', Compare(F("a"), Op.NEQ, L('x"y'))),
        ("a = 'it\\'s'", Compare(F("a"), Op.EQ, L("it's"))),
        ("a = 'back\\slash'", Compare(F("a"), Op.EQ, L("back\\slash"))),
        ("a = true", Compare(F("a"), Op.EQ, L(True))),
        ("a = FALSE", Compare(F("a"), Op.EQ, L(False))),
        ("a = Null", Compare(F("a"), Op.EQ, L(None))),
        ("created > @now", Compare(F("created"), Op.GT, Macro("@now"))),
        ("@unknown = 1", Compare(F("@unknown"), Op.EQ, L(1.0))),
        ("a = {:v}", Compare(F("a"), Op.EQ, Placeholder("v"))),
        (
            "author.posts_via_author.tags:each ?= 'x'",
            Compare(F("author.posts_via_author.tags:each"), Op.ANY_EQ, L("x")),
        ),
        ("@request.auth.id != ''", Compare(F("@request.auth.id"), Op.NEQ, L(""))),
        (
            "@collection.users:u.name = 'a'",
            Compare(F("@collection.users:u.name"), Op.EQ, L("a")),
        ),
        (
            "strftime('%Y', created) = '2026'",
            Compare(Function("strftime", (L("%Y"), F("created"))), Op.EQ, L("2026")),
        ),
        (
            "geoDistance(loc.lon, loc.lat, 1, -2.5) < 10",
            Compare(
                Function("geoDistance", (F("loc.lon"), F("loc.lat"), L(1.0), L(-2.5))),
                Op.LT,
                L(10.0),
            ),
        ),
        (
            "a = 1 || b = 2 && c = 3",
            Or(
                (
                    Compare(F("a"), Op.EQ, L(1.0)),
                    And((Compare(F("b"), Op.EQ, L(2.0)), Compare(F("c"), Op.EQ, L(3.0)))),
                )
            ),
        ),
        (
            "(a = 1 || b = 2) && c = 3",
            And(
                (
                    Or((Compare(F("a"), Op.EQ, L(1.0)), Compare(F("b"), Op.EQ, L(2.0)))),
                    Compare(F("c"), Op.EQ, L(3.0)),
                )
            ),
        ),
        ("// lead\na = 1 // trail", Compare(F("a"), Op.EQ, L(1.0))),
        ("((a = 1))", Compare(F("a"), Op.EQ, L(1.0))),
        # PocketBase 0.40.6 (fexpr): a group right after an expression takes the last join
        # written before it (&& when none), and replaces an expression still incomplete
        ("a = 1 (b = 2)", And((C("a", 1), C("b", 2)))),
        ("(a = 1) (b = 2)", And((C("a", 1), C("b", 2)))),
        ("a = 1 || b = 2 (c = 3)", Or((C("a", 1), C("b", 2), C("c", 3)))),
        (
            "a = 1 || b = 2 (c = 3) && d = 4",
            Or((C("a", 1), C("b", 2), And((C("c", 3), C("d", 4))))),
        ),
        ("a = 1 || (b = 2) (c = 3)", Or((C("a", 1), C("b", 2), C("c", 3)))),
        (
            "a = 1 && (b = 2 || c = 3) (d = 4)",
            And((C("a", 1), Or((C("b", 2), C("c", 3))), C("d", 4))),
        ),
        ("a = 1 || (b = 2 (c = 3))", Or((C("a", 1), And((C("b", 2), C("c", 3)))))),
        ("title (a = 1)", C("a", 1)),
        ("title = (a = 1)", C("a", 1)),
    ],
)
def test_parse(text: str, expected: object) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("", 0),
        ("// only a comment", 0),
        ("views > 1 &&", 12),
        ("views === 1", 6),
        ("views in (1,2)", 6),
        ("a = 'open", 4),
        ("a = 1.", 4),
        ("a = -", 4),
        ("a = 1 &| b = 2", 6),
        ("a = 1 b = 2", 6),
        ("(a = 1) b = 2", 8),
        ("a = 1 ()", 6),
        ("a (b = 1) = 2", 10),
        ("a = 1 / 2", 6),
        ("a. = 1", 0),
        ("@ = 1", 0),
        ("a = $", 4),
        ("a = 1)", 5),
        ("(a = 1", 6),
        ("()", 0),
        ("f(a b) = 1", 4),
        ("a = {:}", 4),
        ("a = ''' ", 6),
        ("a\r= 1", 1),
    ],
)
def test_syntax_errors_carry_position(text: str, position: int) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    assert info.value.position == position
    assert f"position {position}" in info.value.message


def test_length_cap() -> None:
    text = "a = '" + "x" * (MAX_FILTER_LENGTH - 6) + "'"
    assert len(text) == MAX_FILTER_LENGTH
    parse_filter(text)
    with pytest.raises(FilterLimitError):
        parse_filter(text + " ")


def test_expression_cap() -> None:
    parse_filter(" && ".join(["a=1"] * MAX_EXPRESSIONS))
    with pytest.raises(FilterLimitError):
        parse_filter(" && ".join(["a=1"] * (MAX_EXPRESSIONS + 1)))


def test_depth_cap() -> None:
    parse_filter("(" * 32 + "a=1" + ")" * 32)
    with pytest.raises(FilterLimitError):
        parse_filter("(" * 33 + "a=1" + ")" * 33)


def test_function_nesting_cap() -> None:
    parse_filter("f(g(h(1))) = 1")
    with pytest.raises(FilterLimitError):
        parse_filter("f(g(h(i(1)))) = 1")


def test_parse_is_cached() -> None:
    parse_cache_clear()
    first = parse_filter("views > 1")
    assert parse_filter("views > 1") is first


def test_parse_operand() -> None:
    assert parse_operand("author.name") == F("author.name")
    with pytest.raises(FilterSyntaxError):
        parse_operand("a b")
