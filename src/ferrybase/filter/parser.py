"""Turn filter text into an AST (:mod:`ferrybase.filter.ast`), with PocketBase's caps.

Grammar (``&&`` binds tighter than ``||``)::

    filter   := and ( "||" and )*
    and      := primary ( "&&" primary )*
    primary  := "(" filter ")" | operand SIGN operand
    operand  := IDENT | NUMBER | TEXT | PLACEHOLDER | FUNC "(" [ arg ( "," arg )* ] ")"
    arg      := IDENT | NUMBER | TEXT | PLACEHOLDER | FUNC "(" ... ")"   (3 levels at most)

:func:`parse_filter` caches results in a bounded LRU keyed by the text, so a hot rule or
filter is parsed once. The AST is immutable, so sharing it is safe.
"""

from __future__ import annotations

from functools import lru_cache

from ferrybase.errors import FilterLimitError, FilterSyntaxError
from ferrybase.filter.ast import (
    And,
    Compare,
    Expr,
    Field,
    Function,
    Literal,
    Macro,
    Op,
    Operand,
    Or,
    Placeholder,
    count_compares,
)
from ferrybase.filter.lexer import Kind, Token, tokenize
from ferrybase.filter.macros import MACROS

MAX_FILTER_LENGTH = 3500
"""Longest filter text accepted (PocketBase's ``MaxFilterLength``)."""
MAX_EXPRESSIONS = 200
"""Most comparisons in one filter (PocketBase's ``DefaultFilterExprLimit``)."""
MAX_DEPTH = 32
"""Deepest nesting of parentheses."""
MAX_FUNCTION_DEPTH = 3
"""Deepest nesting of function calls (``fexpr``'s ``maxFuncDepth``)."""
CACHE_SIZE = 1024

_OPERAND_KINDS = (Kind.IDENT, Kind.NUMBER, Kind.TEXT, Kind.PLACEHOLDER, Kind.FUNC)
_NAMED_LITERALS: dict[str, bool | None] = {"true": True, "false": False, "null": None}


def parse_filter(source: str) -> Expr:
    """Parse ``source`` into an :data:`~ferrybase.filter.ast.Expr` (cached).

    >>> parse_filter("views > 10")
    Compare(left=Field(path='views'), op=<Op.GT: '>'>, right=Literal(value=10.0))

    Raises :class:`~ferrybase.errors.FilterSyntaxError` (with the position of the fault) or
    :class:`~ferrybase.errors.FilterLimitError`.
    """
    if len(source) > MAX_FILTER_LENGTH:
        raise FilterLimitError(f"The filter is longer than {MAX_FILTER_LENGTH} characters")
    return _parse_cached(source)


def parse_cache_clear() -> None:
    """Forget every cached parse (for tests and benchmarks)."""
    _parse_cached.cache_clear()


@lru_cache(maxsize=CACHE_SIZE)
def _parse_cached(source: str) -> Expr:
    parser = _Parser(tokenize(source))
    expr = parser.parse()
    if count_compares(expr) > MAX_EXPRESSIONS:
        raise FilterLimitError(f"The filter has more than {MAX_EXPRESSIONS} expressions")
    return expr


def parse_operand(source: str) -> Operand:
    """Parse a single operand (used for sort expressions such as ``author.name``)."""
    parser = _Parser(tokenize(source))
    operand = parser.operand()
    parser.expect(Kind.EOF)
    return operand


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        if token.kind is not Kind.EOF:
            self.i += 1
        return token

    def expect(self, kind: Kind) -> Token:
        token = self.next()
        if token.kind is not kind:
            raise FilterSyntaxError(f"Expected {kind.value}, got {_describe(token)}", token.pos)
        return token

    def parse(self) -> Expr:
        if self.peek.kind is Kind.EOF:
            raise FilterSyntaxError("Empty filter expression", 0)
        expr = self.disjunction()
        self.expect(Kind.EOF)
        return expr

    def disjunction(self) -> Expr:
        items = [self.conjunction()]
        while self.peek.kind is Kind.JOIN and self.peek.text == "||":
            self.next()
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def conjunction(self) -> Expr:
        items = [self.primary()]
        while self.peek.kind is Kind.JOIN and self.peek.text == "&&":
            self.next()
            items.append(self.primary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def primary(self) -> Expr:
        token = self.peek
        if token.kind is Kind.LPAREN:
            self.next()
            if self.peek.kind is Kind.RPAREN:
                raise FilterSyntaxError("Empty group", token.pos)
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FilterLimitError(
                    f"Parentheses nest deeper than {MAX_DEPTH} levels", token.pos
                )
            expr = self.disjunction()
            self.depth -= 1
            self.expect(Kind.RPAREN)
            return expr
        left = self.operand()
        sign = self.next()
        if sign.kind is not Kind.SIGN:
            raise FilterSyntaxError(f"Expected an operator, got {_describe(sign)}", sign.pos)
        right = self.operand()
        return Compare(left, Op(sign.text), right, token.pos)

    def operand(self, depth: int = 0) -> Operand:
        token = self.next()
        if token.kind not in _OPERAND_KINDS:
            raise FilterSyntaxError(
                f"Expected a field, text, number or function, got {_describe(token)}", token.pos
            )
        if token.kind is Kind.NUMBER:
            return Literal(float(token.text), token.pos)
        if token.kind is Kind.TEXT:
            return Literal(token.text, token.pos)
        if token.kind is Kind.PLACEHOLDER:
            return Placeholder(token.text, token.pos)
        if token.kind is Kind.FUNC:
            return self.function(token, depth + 1)
        lowered = token.text.lower()
        if lowered in _NAMED_LITERALS:
            return Literal(_NAMED_LITERALS[lowered], token.pos)
        if token.text in MACROS:
            return Macro(token.text, token.pos)
        return Field(token.text, token.pos)

    def function(self, name: Token, depth: int) -> Function:
        if depth > MAX_FUNCTION_DEPTH:
            raise FilterLimitError(
                f"Function calls nest deeper than {MAX_FUNCTION_DEPTH} levels", name.pos
            )
        self.expect(Kind.LPAREN)
        args: list[Operand] = []
        if self.peek.kind is not Kind.RPAREN:
            args.append(self.operand(depth))
            while self.peek.kind is Kind.COMMA:
                self.next()
                args.append(self.operand(depth))
        closing = self.next()
        if closing.kind is not Kind.RPAREN:
            raise FilterSyntaxError(
                f"Expected ',' or ')' in function {name.text!r}, got {_describe(closing)}",
                closing.pos,
            )
        return Function(name.text, tuple(args), name.pos)


def _describe(token: Token) -> str:
    if token.kind is Kind.EOF:
        return "the end of the filter"
    return f"{token.kind.value} {token.text!r}"
