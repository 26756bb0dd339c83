"""Seed steps: data created on every server after it starts, before any scenario.

A seed is a function of a :class:`~bench.scenarios.Context`; it can branch on ``ctx.kind``
if a server needs another route to the same data. Register it in :data:`SEEDS` and pick it
with ``--seed NAME``. The superuser is not part of a seed: each server's CLI creates it
(``superuser upsert``) before the server starts.

The pb-bench data set (users user1..5, 10,000 ``posts``; see
``/work/shared/pb-bench/seed.py``) becomes a seed here once Ferrybase serves the collections
API: create the collections with ``ctx.call("POST", "/api/collections", ...,
token=ctx.token("superuser"))`` and the records through ``/api/batch``.
"""

from __future__ import annotations

from collections.abc import Callable

from .scenarios import Context

Seed = Callable[[Context], None]


def no_seed(ctx: Context) -> None:
    """Nothing beyond the superuser (enough for health and superuser-auth)."""


SEEDS: dict[str, Seed] = {
    "none": no_seed,
}
