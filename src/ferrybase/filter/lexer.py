"""Split filter text into tokens, following the rules of PocketBase's ``fexpr`` scanner.

* whitespace is only space, tab and newline; ``// comments`` run to the end of the line;
* identifiers start with a letter, ``@``, ``_`` or ``#`` and continue with letters, digits,
  ``_``, ``.`` and ``:``; they may not end in ``.`` or ``:``. An identifier directly
  followed by ``(`` is a function name;
* numbers are an optional leading ``-``, digits and at most one ``.`` (``1e3`` is not one);
* text is quoted with ``'`` or ``"``; ``\\<quote>`` is the quote and ``\\\\`` one backslash
  (as PocketBase reads them); any other backslash is kept as it is;
* operators are runs of ``= ? ! > < ~`` that must form one of the sixteen comparison signs,
  joins are runs of ``& |`` that must be ``&&`` or ``||``.

``{:name}`` placeholders are an addition: PocketBase substitutes them textually before
parsing; here they are tokens, so a parsed filter can be cached and reused with new values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ferrybase.errors import FilterSyntaxError

_SIGNS = frozenset(
    ["=", "!=", "~", "!~", "<", "<=", ">", ">=", "?=", "?!=", "?~", "?!~", "?<", "?<=", "?>", "?>="]
)
_SIGN_CHARS = frozenset("=?!><~")
_JOIN_CHARS = frozenset("&|")
_WS = frozenset(" \t\n")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_IDENT_START = _LETTERS | frozenset("@_#")
_IDENT_CHARS = _LETTERS | _DIGITS | frozenset("_.:")
_PLACEHOLDER_CHARS = _LETTERS | _DIGITS | frozenset("_")


class Kind(Enum):
    IDENT = "identifier"
    FUNC = "function"
    NUMBER = "number"
    TEXT = "text"
    SIGN = "operator"
    JOIN = "join"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    PLACEHOLDER = "placeholder"
    EOF = "end of filter"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    pos: int


def tokenize(source: str) -> list[Token]:
    """Return the tokens of ``source`` (without whitespace and comments), ending in EOF."""
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch in _WS:
            i += 1
        elif ch == "/":
            if source.startswith("//", i):
                end = source.find("\n", i)
                i = n if end < 0 else end + 1
            else:
                raise FilterSyntaxError("Invalid comment, expected '//'", i)
        elif ch == "(":
            tokens.append(Token(Kind.LPAREN, ch, i))
            i += 1
        elif ch == ")":
            tokens.append(Token(Kind.RPAREN, ch, i))
            i += 1
        elif ch == ",":
            tokens.append(Token(Kind.COMMA, ch, i))
            i += 1
        elif ch in _IDENT_START:
            i = _identifier(source, i, tokens)
        elif ch in _DIGITS or ch == "-":
            i = _number(source, i, tokens)
        elif ch in "'\"":
            i = _text(source, i, tokens)
        elif ch in _SIGN_CHARS:
            i = _run(source, i, _SIGN_CHARS, _SIGNS, Kind.SIGN, tokens, "operator")
        elif ch in _JOIN_CHARS:
            i = _run(source, i, _JOIN_CHARS, frozenset(["&&", "||"]), Kind.JOIN, tokens, "join")
        elif ch == "{" and source.startswith("{:", i):
            i = _placeholder(source, i, tokens)
        else:
            raise FilterSyntaxError(f"Unexpected character {ch!r}", i)
    tokens.append(Token(Kind.EOF, "", n))
    return tokens


def _identifier(source: str, start: int, tokens: list[Token]) -> int:
    i = start + 1
    n = len(source)
    while i < n and source[i] in _IDENT_CHARS:
        i += 1
    text = source[start:i]
    if text[-1] in ".:" or (len(text) == 1 and text in "@_#"):
        raise FilterSyntaxError(f"Invalid identifier {text!r}", start)
    kind = Kind.FUNC if i < n and source[i] == "(" else Kind.IDENT
    tokens.append(Token(kind, text, start))
    return i


def _number(source: str, start: int, tokens: list[Token]) -> int:
    i = start + 1
    n = len(source)
    had_dot = False
    while i < n and (source[i] in _DIGITS or (source[i] == "." and not had_dot)):
        had_dot = had_dot or source[i] == "."
        i += 1
    text = source[start:i]
    if text == "-" or text.endswith("."):
        raise FilterSyntaxError(f"Invalid number {text!r}", start)
    tokens.append(Token(Kind.NUMBER, text, start))
    return i


def _text(source: str, start: int, tokens: list[Token]) -> int:
    quote = source[start]
    i = start + 1
    n = len(source)
    out: list[str] = []
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in (quote, "\\"):
            # ``\'`` is a quote and ``\\`` one backslash; any other backslash stays.
            out.append(source[i + 1])
            i += 2
            continue
        if ch == quote:
            tokens.append(Token(Kind.TEXT, "".join(out), start))
            return i + 1
        out.append(ch)
        i += 1
    raise FilterSyntaxError("Unterminated quoted text", start)


def _run(
    source: str,
    start: int,
    chars: frozenset[str],
    valid: frozenset[str],
    kind: Kind,
    tokens: list[Token],
    what: str,
) -> int:
    i = start
    while i < len(source) and source[i] in chars:
        i += 1
    text = source[start:i]
    if text not in valid:
        raise FilterSyntaxError(f"Invalid {what} {text!r}", start)
    tokens.append(Token(kind, text, start))
    return i


def _placeholder(source: str, start: int, tokens: list[Token]) -> int:
    i = start + 2
    while i < len(source) and source[i] in _PLACEHOLDER_CHARS:
        i += 1
    if i == start + 2 or i >= len(source) or source[i] != "}":
        raise FilterSyntaxError("Invalid placeholder, expected {:name}", start)
    tokens.append(Token(Kind.PLACEHOLDER, source[start + 2 : i], start))
    return i + 1
