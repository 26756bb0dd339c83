"""Field patterns: Go (RE2) regular expressions run by Python, and values generated from them.

A text field's ``pattern`` is written for Go's ``regexp``. Python's ``re`` reads the same
syntax with two differences that change results: ``$`` also matches before a final newline,
and ``\\d``/``\\w``/``\\s`` are Unicode-aware. :func:`compile_pattern` fixes both.

``autogeneratePattern`` is turned into a random value the way PocketBase's
``security.RandomStringByRegex`` does: literals, classes, ``.``, groups, alternation and
repetition (unbounded repetition stops at 6); anchors and other operators are unsupported.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

_MAX_REPEAT = 6
_ANY = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_CLASSES = {
    "d": "0123456789",
    "w": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
    "s": "\t\n\f\r ",
}


class PatternError(ValueError):
    """A pattern Go would refuse; ``code`` is Go's ``regexp/syntax`` error text."""

    def __init__(self, code: str, expr: str) -> None:
        self.code, self.expr = code, expr
        super().__init__(f"Error parsing regexp: {code}: `{expr}`")


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append("\\Z" if nxt == "z" and not in_class else ch + nxt)
            i += 2
            continue
        if in_class:
            in_class = ch != "]" or out[-1] == "["
        elif ch == "[":
            in_class = True
        elif ch == "$":
            ch = "\\Z" if "(?m" not in pattern else "$"
        out.append(ch)
        i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a Go pattern for :func:`re.search`; :class:`PatternError` if invalid."""
    check_syntax(pattern)
    try:
        return re.compile(_translate(pattern), re.ASCII)
    except re.error as exc:
        raise PatternError("invalid or unsupported Perl syntax", pattern) from exc


def check_syntax(pattern: str) -> None:
    """Raise :class:`PatternError` with Go's wording for the common mistakes."""
    depth, i, in_class, class_start = 0, 0, False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= len(pattern):
                raise PatternError("trailing backslash at end of expression", "")
            i += 2
            continue
        if in_class:
            if ch == "]" and i > class_start + 1:
                in_class = False
        elif ch == "[":
            in_class, class_start = True, i
            if pattern[i + 1 : i + 2] == "^":
                class_start += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise PatternError("unexpected )", pattern)
        elif ch in "*+?" and (i == 0 or pattern[i - 1] in "(|"):
            if not (ch == "?" and pattern[i - 1 : i] == "("):
                raise PatternError("missing argument to repetition operator", ch)
        elif ch in "*+" and pattern[i - 1] in "*+?" and pattern[i - 2 : i - 1] != "\\":
            raise PatternError("invalid nested repetition operator", pattern[i - 1 : i + 1])
        i += 1
    if in_class:
        raise PatternError("missing closing ]", pattern[class_start:])
    if depth > 0:
        raise PatternError("missing closing )", pattern)
    try:
        re.compile(_translate(pattern))
    except re.error as exc:
        raise PatternError("invalid or unsupported Perl syntax", pattern) from exc


# --- generation ---------------------------------------------------------------------------


@dataclass
class _Node:
    kind: str  # "lit" | "set" | "cat" | "alt" | "rep"
    text: str = ""
    subs: tuple[_Node, ...] = ()
    low: int = 0
    high: int = 0


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.src, self.pos = pattern, 0

    def parse(self) -> _Node:
        node = self.alternation()
        if self.pos != len(self.src):
            raise PatternError("unexpected )", self.src)
        return node

    def alternation(self) -> _Node:
        branches = [self.concat()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.concat())
        return branches[0] if len(branches) == 1 else _Node("alt", subs=tuple(branches))

    def concat(self) -> _Node:
        items: list[_Node] = []
        while self.pos < len(self.src) and self.peek() not in "|)":
            items.append(self.repeat(self.atom()))
        return _Node("cat", subs=tuple(items))

    def repeat(self, node: _Node) -> _Node:
        while True:
            ch = self.peek()
            if ch == "?":
                low, high = 0, 1
            elif ch == "*":
                low, high = 0, -1
            elif ch == "+":
                low, high = 1, -1
            elif ch == "{" and (m := re.match(r"\{(\d+)(,(\d*))?\}", self.src[self.pos :])):
                low = int(m[1])
                high = low if m[2] is None else (int(m[3]) if m[3] else -1)
                self.pos += len(m[0]) - 1
            else:
                return node
            self.pos += 1
            if self.peek() == "?":
                self.pos += 1  # non-greedy: same output
            node = _Node("rep", subs=(node,), low=low, high=high)

    def atom(self) -> _Node:
        ch = self.src[self.pos]
        self.pos += 1
        if ch == "(":
            if self.src.startswith("?:", self.pos):
                self.pos += 2
            elif self.src.startswith("?P<", self.pos):
                self.pos = self.src.index(">", self.pos) + 1
            elif self.peek() == "?":
                raise PatternError("unsupported pattern operator", self.src)
            node = self.alternation()
            if self.peek() != ")":
                raise PatternError("missing closing )", self.src)
            self.pos += 1
            return node
        if ch == "[":
            return _Node("set", text=self.char_class())
        if ch == ".":
            return _Node("set", text=_ANY)
        if ch == "\\":
            return self.escape(in_class=False)
        if ch in "^$":
            raise PatternError("unsupported pattern operator", self.src)
        if ch in "*+?":
            raise PatternError("missing argument to repetition operator", ch)
        return _Node("lit", text=ch)

    def escape(self, *, in_class: bool) -> _Node:
        ch = self.src[self.pos]
        self.pos += 1
        if ch in _CLASSES:
            return _Node("set", text=_CLASSES[ch])
        if ch.isalnum() and ch not in "tnrf":
            raise PatternError("unsupported pattern operator", self.src)
        return _Node("lit", text={"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(ch, ch))

    def char_class(self) -> str:
        if self.peek() == "^":
            raise PatternError("unsupported pattern operator", self.src)
        chars: list[str] = []
        first = True
        while self.pos < len(self.src) and (self.src[self.pos] != "]" or first):
            first = False
            ch = self.src[self.pos]
            self.pos += 1
            if ch == "\\":
                chars.append(self.escape(in_class=True).text)
                continue
            if self.peek() == "-" and self.src[self.pos + 1 : self.pos + 2] not in ("]", ""):
                end = self.src[self.pos + 1]
                self.pos += 2
                if ord(end) < ord(ch):
                    raise PatternError("invalid character class range", f"{ch}-{end}")
                chars.append("".join(chr(c) for c in range(ord(ch), ord(end) + 1)))
            else:
                chars.append(ch)
        if self.peek() != "]":
            raise PatternError("missing closing ]", self.src)
        self.pos += 1
        return "".join(dict.fromkeys("".join(chars)))

    def peek(self) -> str:
        return self.src[self.pos] if self.pos < len(self.src) else ""


@lru_cache(maxsize=256)
def _parse(pattern: str) -> _Node:
    check_syntax(pattern)
    return _Parser(pattern).parse()


def generate(pattern: str) -> str:
    """A random string matching ``pattern`` (e.g. ``[a-z0-9]{15}``), as PocketBase makes one.

    >>> len(generate("[a-z0-9]{15}"))
    15
    """
    out: list[str] = []
    _write(_parse(pattern), out)
    return "".join(out)


def _choices(alphabet: str, count: int) -> str:
    """``count`` characters drawn uniformly from ``alphabet`` with the OS's CSPRNG.

    Bytes at or above the largest multiple of the alphabet's size are dropped, so every
    character is equally likely (no modulo bias).
    """
    table = _byte_table(alphabet)
    if table is None:
        return "".join(secrets.choice(alphabet) for _ in range(count))
    mapping, rejected = table
    out = ""
    while len(out) < count:  # a byte is rejected with probability < 1/2: rarely twice
        out += os.urandom(count * 2).translate(mapping, rejected).decode("ascii")
    return out[:count]


@lru_cache(maxsize=64)
def _byte_table(alphabet: str) -> tuple[bytes, bytes] | None:
    """For an ASCII alphabet of at most 256 characters: the table mapping a random byte to
    its character (``byte % size``) and the bytes to drop (those at or above the largest
    multiple of ``size``), for :meth:`bytes.translate`; ``None`` otherwise."""
    size = len(alphabet)
    if size > 256 or not alphabet.isascii():
        return None
    limit = 256 - 256 % size
    encoded = alphabet.encode("ascii")
    mapping = bytes(encoded[b % size] for b in range(256))
    return mapping, bytes(range(limit, 256))


def _write(node: _Node, out: list[str]) -> None:
    if node.kind == "lit":
        out.append(node.text)
    elif node.kind == "set":
        out.append(secrets.choice(node.text))
    elif node.kind == "cat":
        for sub in node.subs:
            _write(sub, out)
    elif node.kind == "alt":
        _write(secrets.choice(node.subs), out)
    else:
        high = _MAX_REPEAT if node.high < 0 else node.high
        high = max(high, node.low)
        count = node.low + (secrets.randbelow(high - node.low) if high > node.low else 0)
        if node.subs[0].kind == "set":
            out.append(_choices(node.subs[0].text, count))  # one urandom call, not one per char
            return
        for _ in range(count):
            _write(node.subs[0], out)
