"""Micro-benchmark: parse + compile of a realistic list rule ANDed with a client filter.

Run: ``.venv/bin/python bench/filter_bench.py``. "cold" clears both caches before every
operation (parse + compile); "parsed" reuses the cached AST but compiles (the cost before
the compile cache, and for a caller whose request values were not seen yet); "cached" is a
compile cache hit, what a hot rule or filter costs per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from ferrybase.filter import (
    POSTGRES,
    SQLITE,
    AuthInfo,
    CollectionSpec,
    Dialect,
    FieldSpec,
    RequestInfo,
    Schema,
    compile_cache_clear,
    compile_filter,
    parse_cache_clear,
    parse_filter,
)

USERS = CollectionSpec("_pb_users_auth_", "users", "auth", (FieldSpec("name", "text"),), "")
POSTS = CollectionSpec(
    "pbc_posts",
    "posts",
    "base",
    (
        FieldSpec("title", "text"),
        FieldSpec("views", "number"),
        FieldSpec("published", "bool"),
        FieldSpec("author", "relation", target="_pb_users_auth_"),
    ),
    "",
)
SCHEMA = Schema((USERS, POSTS))
REQUEST = RequestInfo(auth=AuthInfo({"id": "an2gs08anzvk14h"}, USERS))
RULE = "published = true || author = @request.auth.id"
FILTER = "views >= 100 && published = true"
TEXT = f"({RULE}) && ({FILTER})"


def per_op_us(fn: Callable[[], object], seconds: float = 0.5) -> float:
    n = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            fn()
        n += 100
    return elapsed / n * 1e6


def compile_once(dialect: Dialect) -> None:
    compile_filter(TEXT, POSTS, SCHEMA, REQUEST, dialect, rule=True)


def parse_cold() -> None:
    parse_cache_clear()
    parse_filter(TEXT)


def cold(dialect: Dialect) -> None:
    parse_cache_clear()
    compile_cache_clear()
    compile_once(dialect)


def parsed(dialect: Dialect) -> None:
    compile_cache_clear()
    compile_once(dialect)


def main() -> None:
    print(f"filter: {TEXT}")
    print(f"{'case':<32}{'µs/op':>10}")
    parse_cache_clear()
    print(f"{'parse (cold)':<32}{per_op_us(parse_cold):>10.1f}")
    print(f"{'parse (cached)':<32}{per_op_us(lambda: parse_filter(TEXT)):>10.2f}")
    for dialect in (SQLITE, POSTGRES):
        label = f"parse+compile {dialect.name}"
        print(f"{label + ' (cold)':<32}{per_op_us(partial(cold, dialect)):>10.1f}")
        parse_filter(TEXT)
        print(f"{label + ' (parsed)':<32}{per_op_us(partial(parsed, dialect)):>10.1f}")
        compile_once(dialect)
        print(f"{label + ' (cached)':<32}{per_op_us(partial(compile_once, dialect)):>10.2f}")


if __name__ == "__main__":
    main()
