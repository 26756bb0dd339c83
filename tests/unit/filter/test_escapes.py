"""Backslashes in quoted text, read as PocketBase reads them."""

from __future__ import annotations

import pytest

from ferrybase.filter.lexer import Kind, tokenize


@pytest.mark.parametrize(
    ("source", "text"),
    [
        (r"t = 'it\'s'", "it's"),
        (r't = "q\"q"', 'q"q'),
        (r"t = 'a\\ b'", "a\\ b"),  # two backslashes are one
        (r"t = 'x\y'", "x\\y"),  # a lone backslash stays
        (r"t ~ '\\'", "\\"),  # an escaped backslash does not escape the closing quote
    ],
)
def test_quoted_text(source: str, text: str) -> None:
    assert [t.text for t in tokenize(source) if t.kind is Kind.TEXT] == [text]
