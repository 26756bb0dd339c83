"""Field values as PocketBase 0.40.6 shows them: coercion, validation, output, modifiers.

Every expected value here was observed on the real PocketBase (POST/PATCH a record, read
what comes back); ``tests/differential/test_field_values.py`` re-checks a corpus live.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from ferrybase.core.fields import Field
from ferrybase.core.values import (
    apply_modifier,
    coerce,
    generate,
    relation_ids,
    split_modifier,
    to_json,
    validate,
    zero_value,
)

TEXT = Field("t", "text")
EDITOR = Field("ed", "editor")
NUMBER = Field("n", "number")
BOOL = Field("b", "bool")
DATE = Field("d", "date")
SELECT = Field("s", "select", options={"values": ["a", "b", "c"]})
MULTI = Field("sm", "select", options={"values": ["a", "b", "c", "1", "true"], "maxSelect": 3})
JSON = Field("j", "json")
FILE = Field("f", "file")
FILES = Field("fm", "file", options={"maxSelect": 3})
REL = Field("r", "relation", options={"collectionId": "_pb_users_auth_"})
RELS = Field("rm", "relation", options={"collectionId": "_pb_users_auth_", "maxSelect": 3})
POINT = Field("g", "geoPoint")
PASSWORD = Field("pw", "password")


@pytest.mark.parametrize(
    ("field", "given", "expected"),
    [
        (TEXT, 123, "123"),
        (TEXT, 1.0, "1"),
        (TEXT, 1.5, "1.5"),
        (TEXT, 1e21, "1000000000000000000000"),
        (TEXT, -0.0, "-0"),
        (TEXT, 12345678901234567890, "12345678901234567000"),
        (TEXT, 1e-7, "0.0000001"),
        (TEXT, True, "true"),
        (TEXT, None, ""),
        (TEXT, [1], ""),
        (TEXT, {"a": 1}, ""),
        (TEXT, " sp ", " sp "),
        (EDITOR, 5, "5"),
        (NUMBER, "12", 12),
        (NUMBER, "1e3", 1000),
        (NUMBER, True, 1),
        (NUMBER, "abc", 0),
        (NUMBER, None, 0),
        (NUMBER, " ", 0),
        (NUMBER, " 12", 0),
        (NUMBER, "0x10", 0),
        (NUMBER, "0x1p-2", 0.25),
        (NUMBER, "1_000", 1000),
        (NUMBER, "+5", 5),
        (NUMBER, ".5", 0.5),
        (NUMBER, "5.", 5),
        (NUMBER, "1e400", 0),
        (NUMBER, "true", 0),
        (NUMBER, [1], 0),
        (NUMBER, 2.5, 2.5),
        (NUMBER, 9007199254740993, 9007199254740992),
        (BOOL, "true", True),
        (BOOL, "1", True),
        (BOOL, "t", True),
        (BOOL, "TRUE", True),
        (BOOL, "tRuE", False),
        (BOOL, " true", False),
        (BOOL, 1, True),
        (BOOL, 2, True),
        (BOOL, 0.5, True),
        (BOOL, 0, False),
        (BOOL, "yes", False),
        (BOOL, [True], False),
        (BOOL, None, False),
        (DATE, "2024-05-06", "2024-05-06 00:00:00.000Z"),
        (DATE, "2024-05-06T07:08:09+02:00", "2024-05-06 05:08:09.000Z"),
        (DATE, "2024-05-06 07:08:09.123456Z", "2024-05-06 07:08:09.123Z"),
        (DATE, "2024-05-06 07:08:09.1Z", "2024-05-06 07:08:09.100Z"),
        (DATE, "2024-05-06T07:08:09.123-03:30", "2024-05-06 10:38:09.123Z"),
        (DATE, "2024-05-06 07:08:09 +0200", "2024-05-06 05:08:09.000Z"),
        (DATE, "06 May 2024", "2024-05-06 00:00:00.000Z"),
        (DATE, "Mon, 06 May 2024 07:08:09 +0200", "2024-05-06 05:08:09.000Z"),
        (DATE, "Mon, 06 May 2024 07:08:09 PST", "2024-05-06 07:08:09.000Z"),
        (DATE, "Mon Jan 06 07:08:09 +0200 2024", "2024-01-06 05:08:09.000Z"),
        (DATE, "7:08AM", "0000-01-01 07:08:00.000Z"),
        (DATE, "0000-01-01", "0000-01-01 00:00:00.000Z"),
        (DATE, "0001-01-01 00:00:00.000Z", ""),
        (DATE, "2024-05-06t07:08:09z", ""),
        (DATE, "2024-05-06 07:08", ""),
        (DATE, "2024-02-30", ""),
        (DATE, " 2024-05-06", ""),
        (DATE, "not a date", ""),
        (DATE, 1715000000, ""),
        (DATE, "1715000000", ""),
        (SELECT, "a", "a"),
        (SELECT, ["a", "b"], "b"),
        (SELECT, ["z", "a"], "a"),
        (SELECT, '["a","b"]', "b"),
        (SELECT, [None, "b"], "b"),
        (SELECT, [["a"]], ""),
        (SELECT, {"x": 1}, ""),
        (SELECT, 1, "1"),
        (SELECT, None, ""),
        (MULTI, "a", ["a"]),
        (MULTI, ["b", "a", "b"], ["b", "a"]),
        (MULTI, '["a","b"]', ["a", "b"]),
        (MULTI, "[bad", ["[bad"]),
        (MULTI, '["a",1]', ['["a",1]']),
        (MULTI, [1, True], ["1", "true"]),
        (MULTI, [1.0], ["1"]),
        (MULTI, ["a", "", None], ["a"]),
        (MULTI, "", []),
        (MULTI, None, []),
        (JSON, "[1,2]", [1, 2]),
        (JSON, "null", None),
        (JSON, "true", True),
        (JSON, "", ""),
        (JSON, "abc", "abc"),
        (JSON, '"q"', "q"),
        (JSON, "{bad", "{bad"),
        (JSON, "01", "01"),
        (JSON, " [1]", " [1]"),
        (JSON, "[1] ", [1]),
        (JSON, "NaN", "NaN"),
        (JSON, "-3", -3),
        (JSON, {"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}),
        (JSON, None, None),
        (JSON, 0, 0),
        (FILE, ["a.png", "b.png"], "b.png"),
        (FILES, "x.png", ["x.png"]),
        (FILES, None, []),
        (REL, ["id1", "id2"], "id2"),
        (RELS, ["id1", "id2", "id1"], ["id1", "id2"]),
        (RELS, ["id1", ""], ["id1"]),
        (POINT, {"lon": 1, "lat": 2}, {"lon": 1, "lat": 2}),
        (POINT, {"lon": 1.5}, {"lon": 1.5, "lat": 0}),
        # PocketBase answers (0, 0) or, at random, (0, 1): members decode in map order.
        (POINT, {"lon": "5", "lat": 1}, {"lon": 0, "lat": 0}),
        (POINT, {"lon": True}, {"lon": 0, "lat": 0}),
        (POINT, {"LON": 7, "Lat": 8}, {"lon": 0, "lat": 0}),
        (POINT, {"lon": 1, "lat": 2, "x": 9}, {"lon": 1, "lat": 2}),
        (POINT, '{"lon":3,"lat":4}', {"lon": 3, "lat": 4}),
        (POINT, "bad", {"lon": 0, "lat": 0}),
        (POINT, [1, 2], {"lon": 0, "lat": 0}),
        (POINT, None, {"lon": 0, "lat": 0}),
        (PASSWORD, 123, "123"),
    ],
)
def test_coerce(field: Field, given: Any, expected: Any) -> None:
    assert coerce(field, given) == expected


def test_zero_values() -> None:
    assert zero_value(TEXT) == ""
    assert zero_value(NUMBER) == 0
    assert zero_value(BOOL) is False
    assert zero_value(JSON) is None
    assert zero_value(MULTI) == []
    assert zero_value(SELECT) == ""
    assert zero_value(FILES) == []
    assert zero_value(POINT) == {"lon": 0, "lat": 0}


def err(code: str, message: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "message": message}
    if params is not None:
        out["params"] = params
    return out


REQUIRED = err("validation_required", "Cannot be blank.")
T_OPTS = Field("t", "text", options={"min": 3, "max": 5, "pattern": "^[a-z]+$"})
PW_OPTS = Field("pw", "password", options={"min": 3, "max": 5, "pattern": "^[a-z]+$"})
N_OPTS = Field("n", "number", options={"min": 1, "max": 10, "onlyInt": True})
N_FRAC = Field("n2", "number", options={"min": -5.5, "max": 2.25})
D_OPTS = Field(
    "d", "date", options={"min": "2024-01-01 00:00:00.000Z", "max": "2024-12-31 00:00:00.000Z"}
)
RELS_OPTS = Field("rm", "relation", options={"collectionId": "x", "minSelect": 2, "maxSelect": 3})


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            T_OPTS,
            "ab",
            err("validation_min_text_constraint", "Must be at least 3 character(s).", {"min": 3}),
        ),
        (
            T_OPTS,
            "abcdef",
            err(
                "validation_max_text_constraint", "Must be no more than 5 character(s).", {"max": 5}
            ),
        ),
        (T_OPTS, "ABC", err("validation_invalid_format", "Invalid value format.")),
        (T_OPTS, "ééé", err("validation_invalid_format", "Invalid value format.")),
        (T_OPTS, "abc\n", err("validation_invalid_format", "Invalid value format.")),
        (
            TEXT,
            "x" * 5001,
            err(
                "validation_max_text_constraint",
                "Must be no more than 5000 character(s).",
                {"max": 5000},
            ),
        ),
        (PW_OPTS, "ab", err("validation_min_text_constraint", "Must be at least 3 character(s).")),
        (
            PW_OPTS,
            "abcdef",
            err("validation_max_text_constraint", "Must be less than 5 character(s)."),
        ),
        (PW_OPTS, "ABC", err("validation_invalid_format", "Invalid value format.")),
        (
            PASSWORD,
            "x" * 72,
            err("validation_max_text_constraint", "Must be less than 71 character(s)."),
        ),
        (
            Field("ed", "editor", options={"maxSize": 10}),
            "é" * 6,
            err(
                "validation_content_size_limit",
                "The maximum allowed content size is 10 bytes.",
                {"maxSize": 10},
            ),
        ),
        (N_OPTS, 0.5, err("validation_only_int_constraint", "Decimal numbers are not allowed.")),
        (
            N_OPTS,
            11,
            err("validation_max_number_constraint", "Must be less or equal than 10.", {"max": 10}),
        ),
        (
            N_OPTS,
            -1,
            err("validation_min_number_constraint", "Must be greater or equal than 1.", {"min": 1}),
        ),
        (
            N_FRAC,
            -6,
            err(
                "validation_min_number_constraint",
                "Must be greater or equal than -5.5.",
                {"min": -5.5},
            ),
        ),
        (
            N_FRAC,
            2.3,
            err(
                "validation_max_number_constraint",
                "Must be less or equal than 2.25.",
                {"max": 2.25},
            ),
        ),
        (
            NUMBER,
            float("nan"),
            err("validation_not_a_number", "The submitted number is not properly formatted."),
        ),
        (
            NUMBER,
            coerce(NUMBER, "Infinity"),
            err("validation_not_a_number", "The submitted number is not properly formatted."),
        ),
        (Field("e", "email"), "nope", err("validation_is_email", "Must be a valid email address.")),
        (
            Field("e", "email"),
            " a@b.c",
            err("validation_is_email", "Must be a valid email address."),
        ),
        (
            Field("e", "email"),
            "a..b@c.com",
            err("validation_is_email", "Must be a valid email address."),
        ),
        (
            Field("e", "email"),
            "a@[1.2.3.4]",
            err("validation_is_email", "Must be a valid email address."),
        ),
        (
            Field("e", "email", options={"onlyDomains": ["a.com"]}),
            "x@A.COM",
            err("validation_email_domain_not_allowed", "Email domain is not allowed."),
        ),
        (
            Field("e", "email", options={"exceptDomains": ["b.com"]}),
            "x@b.com",
            err("validation_email_domain_not_allowed", "Email domain is not allowed."),
        ),
        (Field("u", "url"), "//x.com", err("validation_invalid_url", "Must be a valid url.")),
        (
            Field("u", "url"),
            "HTTPS://EX.COM",
            err("validation_invalid_url", "Must be a valid url."),
        ),
        (
            Field("u", "url"),
            "custom://x.com",
            err("validation_invalid_url", "Must be a valid url."),
        ),
        (
            Field("u", "url"),
            "https://a b.com",
            err("validation_invalid_url", "Must be a valid url."),
        ),
        (
            Field("u", "url", options={"onlyDomains": ["a.com"]}),
            "https://a.com:80/x",
            err("validation_url_domain_not_allowed", "Url domain is not allowed."),
        ),
        (
            Field("u", "url", options={"onlyDomains": ["a.com"]}),
            "a.com",
            err("validation_url_domain_not_allowed", "Url domain is not allowed."),
        ),
        (
            D_OPTS,
            "2023-12-31 00:00:00.000Z",
            err(
                "validation_min_greater_equal_than_required",
                "Must be no less than 2024-01-01 00:00:00 +0000 UTC.",
                {"threshold": "2024-01-01T00:00:00Z"},
            ),
        ),
        (
            D_OPTS,
            "2024-12-31 00:00:00.001Z",
            err(
                "validation_max_less_equal_than_required",
                "Must be no greater than 2024-12-31 00:00:00 +0000 UTC.",
                {"threshold": "2024-12-31T00:00:00Z"},
            ),
        ),
        (SELECT, "z", err("validation_invalid_value", "Invalid value z.", {"value": "z"})),
        (SELECT, " a", err("validation_invalid_value", "Invalid value  a.", {"value": " a"})),
        (
            MULTI,
            ["a", "b", "c", "1"],
            err("validation_too_many_values", "Select no more than 3.", {"maxSelect": 3}),
        ),
        (MULTI, ["a", "z"], err("validation_invalid_value", "Invalid value z.", {"value": "z"})),
        (
            Field("j", "json", options={"maxSize": 10}),
            [1, 2, 3, 444],
            err(
                "validation_json_size_limit",
                "The maximum allowed JSON size is 10 bytes.",
                {"maxSize": 10},
            ),
        ),
        (
            Field("j", "json", options={"maxSize": 10}),
            {"a": "bbbbb"},
            err(
                "validation_json_size_limit",
                "The maximum allowed JSON size is 10 bytes.",
                {"maxSize": 10},
            ),
        ),
        (
            Field("j", "json", options={"maxSize": 10}),
            "abcdefghi",
            err(
                "validation_json_size_limit",
                "The maximum allowed JSON size is 10 bytes.",
                {"maxSize": 10},
            ),
        ),
        (
            RELS_OPTS,
            ["x"],
            err("validation_not_enough_values", "Select at least 2.", {"minSelect": 2}),
        ),
        (
            RELS_OPTS,
            ["w", "x", "y", "z"],
            err("validation_too_many_values", "Select no more than 3.", {"maxSelect": 3}),
        ),
        (REL, "a", None),
        (
            POINT,
            {"lon": 0, "lat": 91},
            err("validation_invalid_latitude", "Latitude must be between -90 and 90 degrees."),
        ),
        (
            POINT,
            {"lon": 200, "lat": 100},
            err("validation_invalid_latitude", "Latitude must be between -90 and 90 degrees."),
        ),
        (
            POINT,
            {"lon": 181, "lat": 0},
            err("validation_invalid_longitude", "Longitude must be between -180 and 180 degrees."),
        ),
    ],
)
def test_validate_errors(field: Field, value: Any, expected: dict[str, Any] | None) -> None:
    error = validate(field, value)
    assert (error.as_dict() if error else None) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (T_OPTS, ""),  # blank skips every check but required
        (T_OPTS, "abc"),
        (TEXT, "x" * 5000),
        (PASSWORD, "x" * 71),
        (Field("ed", "editor", options={"maxSize": 10}), "x" * 10),
        (N_OPTS, 0),  # 0 is blank for numbers: min 1 does not apply
        (N_OPTS, 10),
        (N_FRAC, -5.5),
        (Field("e", "email"), "a@b.c"),
        (Field("e", "email"), '"q"@x.com'),
        (Field("e", "email"), "ü@x.com"),
        (Field("e", "email"), "a@b_c.com"),
        (Field("u", "url"), "example.com"),
        (Field("u", "url"), "mailto:a@b.c"),
        (Field("u", "url"), "http://localhost:8080/x"),
        (Field("u", "url"), "http://[::1]/"),
        (Field("u", "url"), "https://éx.com"),
        (Field("u", "url"), "http://a.b:99999"),
        (Field("u", "url", options={"onlyDomains": ["a.com"]}), "https://x@a.com/"),
        (Field("u", "url", options={"exceptDomains": ["b.com"]}), "https://b.com:1"),
        (D_OPTS, "2024-12-31 00:00:00.000Z"),
        (SELECT, ""),
        (Field("j", "json", options={"maxSize": 10}), "abcdefgh"),
        (Field("j", "json", options={"maxSize": 10}), [1, 2, 3, 4]),
        (POINT, {"lon": -180, "lat": -90}),
        (FILES, ["a.png", "b.png"]),
    ],
)
def test_validate_passes(field: Field, value: Any) -> None:
    assert validate(field, value) is None


def required(field: Field) -> Field:
    return Field(field.name, field.type, required=True, options=field.options)


@pytest.mark.parametrize(
    ("field", "value", "blank"),
    [
        (TEXT, "", True),
        (TEXT, " ", False),
        (EDITOR, "", True),
        (NUMBER, 0, True),
        (NUMBER, -1, False),
        (BOOL, False, True),
        (BOOL, True, False),
        (Field("e", "email"), "", True),
        (Field("u", "url"), "", True),
        (DATE, "", True),
        (SELECT, "", True),
        (MULTI, [], True),
        (JSON, None, True),
        (JSON, "", True),
        (JSON, [], True),
        (JSON, {}, True),
        (JSON, "  ", False),
        (JSON, 0, False),
        (JSON, False, False),
        (FILE, "", True),
        (REL, "", True),
        (PASSWORD, "", True),
        (PASSWORD, " ", False),
        (POINT, {"lon": 0, "lat": 0}, True),
        (POINT, {"lon": 0, "lat": 1}, False),
    ],
)
def test_required(field: Field, value: Any, blank: bool) -> None:
    error = validate(required(field), value)
    assert (error is not None and error.code == "validation_required") is blank


def test_invalid_file_names() -> None:
    error = validate(FILES, ["old.png", "x.png"], known_files={"old.png"})
    assert error is not None
    assert error.as_dict() == err(
        "validation_invalid_file", "Invalid new files: [x.png].", {"invalidFiles": ["x.png"]}
    )
    many = validate(Field("f", "file", options={"maxSelect": 2}), ["a", "b", "c"])
    assert many is not None and many.as_dict() == err(
        "validation_too_many_files", "The maximum allowed files is 2.", {"maxSelect": 2}
    )


@pytest.mark.parametrize(
    ("field", "stored", "expected"),
    [
        (NUMBER, 5.0, 5),
        (NUMBER, 2.5, 2.5),
        (NUMBER, None, 0),
        (BOOL, 1, True),
        (BOOL, 0, False),
        (PASSWORD, "$2a$10$hash", ""),
        (JSON, None, None),
        (MULTI, None, []),
        (MULTI, '["a","b"]', ["a", "b"]),
        (POINT, '{"lon":1,"lat":2}', {"lon": 1, "lat": 2}),
        (TEXT, None, ""),
        (DATE, "2024-05-06 00:00:00.000Z", "2024-05-06 00:00:00.000Z"),
    ],
)
def test_to_json(field: Field, stored: Any, expected: Any) -> None:
    assert to_json(field, stored) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("views+", ("views", "+")),
        ("views-", ("views", "-")),
        ("+tags", ("tags", "^")),
        ("tags", ("tags", None)),
        ("id:autogenerate", ("id", ":autogenerate")),
        ("+", ("+", None)),
        ("-", ("-", None)),
    ],
)
def test_split_modifier(key: str, expected: tuple[str, str | None]) -> None:
    assert split_modifier(key) == expected


TAGS = Field("tags", "select", options={"values": ["a", "b", "c", "d"], "maxSelect": 4})


@pytest.mark.parametrize(
    ("field", "current", "modifier", "operand", "expected"),
    [
        (NUMBER, 5, "+", 2, 7),
        (NUMBER, 5, "+", "2.5", 7.5),
        (NUMBER, 5, "-", "abc", 5),
        (NUMBER, 5, "-", 10, -5),
        (TAGS, ["a", "b"], "+", ["c", "a"], ["a", "b", "c"]),
        (TAGS, ["a", "b"], "+", "c", ["a", "b", "c"]),
        (TAGS, ["a", "b"], "^", "c", ["c", "a", "b"]),
        (TAGS, ["a", "b"], "^", ["c", "b"], ["c", "b", "a"]),
        (TAGS, ["a", "b", "c"], "-", ["a", "c"], ["b"]),
        (TAGS, ["a", "b"], "-", '["a"]', ["b"]),
        (TAGS, [], "-", "a", []),
        (SELECT, "a", "+", "b", "b"),  # single-valued: keeps the last
        (SELECT, "a", "^", "b", "a"),
        (SELECT, "a", "-", "a", ""),
        (RELS, ["x"], "+", ["y", "x"], ["x", "y"]),
        (FILES, ["f1.png", "f2.png"], "-", "f1.png", ["f2.png"]),
    ],
)
def test_apply_modifier(
    field: Field, current: Any, modifier: str, operand: Any, expected: Any
) -> None:
    assert apply_modifier(field, current, modifier, operand) == expected


def test_apply_modifier_refuses_unknown() -> None:
    with pytest.raises(ValueError):
        apply_modifier(BOOL, True, "+", 1)
    with pytest.raises(ValueError):
        apply_modifier(NUMBER, 1, "^", 1)


def test_autogenerate_modifier_appends() -> None:
    field = Field("code", "text", options={"autogeneratePattern": "[0-9]{4}"})
    value = apply_modifier(field, "", ":autogenerate", "id-")
    assert value.startswith("id-") and len(value) == 7 and value[3:].isdigit()


def test_relation_ids() -> None:
    assert relation_ids(RELS, ["b", "a", "b", ""]) == ["b", "a"]
    assert relation_ids(REL, "x") == ["x"]


def test_generate() -> None:
    value = generate("[a-z0-9]{15}")
    assert len(value) == 15 and value.isalnum() and value == value.lower()
    assert len(generate("[a-zA-Z0-9]{50}")) == 50
    assert generate("(ab|cd)") in ("ab", "cd")
    assert 1 <= len(generate("x+")) <= 6  # unbounded repetition stops at 6, as in PocketBase
    with pytest.raises(ValueError):
        generate("^abc$")  # anchors cannot be generated
    with pytest.raises(ValueError):
        generate("(")


def test_generated_characters_are_uniform_over_the_class() -> None:
    # 36 characters: bytes 252..255 must be dropped, or a-d would come up 8/7 as often
    counts = Counter("".join(generate("[a-z0-9]{15}") for _ in range(8000)))
    assert set(counts) == set("abcdefghijklmnopqrstuvwxyz0123456789")
    expected = 8000 * 15 / 36
    assert all(abs(n - expected) < expected * 0.06 for n in counts.values()), counts
    assert set(generate("[é€]{20}")) <= {"é", "€"}  # beyond ASCII: drawn one by one
