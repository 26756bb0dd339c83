"""Turn filter text into an AST (:mod:`ferrybase.filter.ast`), with PocketBase's caps.

Grammar (``&&`` binds tighter than ``||``)::

    filter   := and ( ( "||" | <group after ||> ) and )*
    and      := primary ( ( "&&" | <group after &&> ) primary )*
    primary  := group | [ operand [ SIGN ] ] group | operand SIGN operand
    group    := "(" filter ")"

As in PocketBase's ``fexpr``, a group may follow an expression without a join operator: it
is joined with the last ``&&``/``||`` written before it (``&&`` when there is none), so
``a || b (c)`` is ``a || b || (c)`` and ``a (b)`` is ``a && (b)``. A group that starts while
an expression is still incomplete replaces it: ``title (x = 1)`` and ``title = (x = 1)`` are
``(x = 1)``.
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
        self.last_join = "&&"
        """The join an operator-less group takes (``fexpr`` keeps the last one written)."""

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

    def joined(self, join: str) -> bool:
        """Consume ``join`` if it comes next; an operator-less group counts as the last join."""
        token = self.peek
        if token.kind is Kind.JOIN and token.text == join:
            self.next()
            self.last_join = join
            return True
        return token.kind is Kind.LPAREN and self.last_join == join

    def disjunction(self) -> Expr:
        outer = self.last_join
        self.last_join = "&&"  # each group starts afresh, as fexpr parses it on its own
        items = [self.conjunction()]
        while self.joined("||"):
            items.append(self.conjunction())
        self.last_join = outer
        return items[0] if len(items) == 1 else Or(tuple(items))

    def conjunction(self) -> Expr:
        items = [self.primary()]
        while self.joined("&&"):
            items.append(self.primary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def primary(self) -> Expr:
        token = self.peek
        if token.kind is Kind.LPAREN:
            return self.group()
        left = self.operand()
        if self.group_next():
            return self.group()  # fexpr drops the incomplete expression
        sign = self.next()
        if sign.kind is not Kind.SIGN:
            raise FilterSyntaxError(f"Expected an operator, got {_describe(sign)}", sign.pos)
        if self.group_next():
            return self.group()
        right = self.operand()
        return Compare(left, Op(sign.text), right, token.pos)

    def group_next(self) -> bool:
        return self.peek.kind is Kind.LPAREN

    def group(self) -> Expr:
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
        raise FilterSyntaxError(f"Expected '(', got {_describe(token)}", token.pos)

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
