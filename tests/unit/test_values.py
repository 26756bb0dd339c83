"""PocketBase's lenient input coercion and field validation."""

from __future__ import annotations

from typing import Any

import pytest

from ferrybase.core.fields import Field
from ferrybase.core.values import coerce, generate, validate, zero_value

TEXT = Field("t", "text")
NUMBER = Field("n", "number")
BOOL = Field("b", "bool")
DATE = Field("d", "date")


@pytest.mark.parametrize(
    ("field", "given", "expected"),
    [
        (TEXT, 123, "123"),
        (TEXT, 1.0, "1"),
        (TEXT, [1], ""),
        (TEXT, {"a": 1}, ""),
        (TEXT, None, ""),
        (TEXT, True, "true"),
        (NUMBER, "12", 12),
        (NUMBER, "1e3", 1000),
        (NUMBER, True, 1),
        (NUMBER, "abc", 0),
        (NUMBER, None, 0),
        (NUMBER, " ", 0),
        (NUMBER, "nan", 0),
        (NUMBER, 2.5, 2.5),
        (BOOL, "true", True),
        (BOOL, "1", True),
        (BOOL, 1, True),
        (BOOL, "yes", False),
        (BOOL, None, False),
        (DATE, "2024-05-06", "2024-05-06 00:00:00.000Z"),
        (DATE, "2024-05-06T07:08:09+02:00", "2024-05-06 05:08:09.000Z"),
        (DATE, "2024-05-06 07:08:09.123456Z", "2024-05-06 07:08:09.123Z"),
        (DATE, "not a date", ""),
        (DATE, 12, ""),
    ],
)
def test_coerce(field: Field, given: Any, expected: Any) -> None:
    assert coerce(field, given) == expected


def test_zero_values() -> None:
    assert zero_value(TEXT) == ""
    assert zero_value(NUMBER) == 0
    assert zero_value(BOOL) is False
    assert zero_value(Field("j", "json")) is None
    assert zero_value(Field("s", "select", options={"maxSelect": 2})) == []
    assert zero_value(Field("g", "geoPoint")) == {"lon": 0, "lat": 0}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        (Field("t", "text", required=True), "", "validation_required"),
        (Field("t", "text", options={"min": 3}), "ab", "validation_min_text_constraint"),
        (Field("t", "text", options={"max": 3}), "abcd", "validation_max_text_constraint"),
        (Field("t", "text", options={"pattern": "^[a-z]+$"}), "AB", "validation_invalid_format"),
        (Field("e", "email"), "nope", "validation_is_email"),
        (
            Field("e", "email", options={"onlyDomains": ["a.com"]}),
            "x@b.com",
            "validation_email_domain_not_allowed",
        ),
        (Field("u", "url"), "not a url", "validation_invalid_url"),
        (Field("n", "number", options={"onlyInt": True}), 1.5, "validation_not_an_integer"),
        (Field("n", "number", options={"min": 0}), -3, "validation_min_number_constraint"),
        (Field("n", "number", options={"max": 10}), 11, "validation_max_number_constraint"),
    ],
)
def test_validate_failures(field: Field, value: Any, code: str) -> None:
    error = validate(field, value)
    assert error is not None and error.code == code


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (Field("t", "text", options={"min": 3}), ""),  # empty is only checked by required
        (Field("t", "text", options={"min": 3, "max": 5}), "abcd"),
        (Field("e", "email"), "someone@example.com"),
        (Field("u", "url"), "https://example.com/a?b=c"),
        (Field("n", "number", options={"min": 0, "max": 10, "onlyInt": True}), 10),
    ],
)
def test_validate_passes(field: Field, value: Any) -> None:
    assert validate(field, value) is None


def test_min_number_message_and_params() -> None:
    error = validate(Field("views", "number", options={"min": 0}), -3)
    assert error is not None
    assert error.as_dict() == {
        "code": "validation_min_number_constraint",
        "message": "Must be greater or equal than 0.",
        "params": {"min": 0},
    }


def test_generate() -> None:
    value = generate("[a-z0-9]{15}")
    assert len(value) == 15 and value.isalnum() and value == value.lower()
    assert len(generate("[a-zA-Z0-9]{50}")) == 50
    with pytest.raises(ValueError):
        generate("(a|b)+")
