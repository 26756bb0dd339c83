"""``ferrybase serve``: migrate once, then start the HTTP workers."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
import click

from ferrybase.cli.options import open_failed, store_options
from ferrybase.config import ENV_DEV, ENV_HTTP, ENV_WORKERS, Config, default_workers
from ferrybase.server import configure_logging, open_core

# Seconds a worker gets to finish in-flight requests after SIGTERM before it is killed.
DRAIN_SECONDS = 30


@click.command()
@click.option(
    "--http",
    envvar=ENV_HTTP,
    default="127.0.0.1:8090",
    show_default=True,
    show_envvar=True,
    help="Address to listen on, HOST:PORT.",
)
@click.option(
    "--workers",
    envvar=ENV_WORKERS,
    type=click.IntRange(min=1),
    default=None,
    show_envvar=True,
    help="Worker processes over the same database (default: one per core).",
)
@click.option("--dev", envvar=ENV_DEV, is_flag=True, show_envvar=True, help="Verbose logging.")
@store_options
def serve(http: str, workers: int | None, dev: bool, data_dir: Path, db: str) -> None:
    """Start the web server."""
    config = Config(http=http, dir=data_dir, db=db, workers=workers or default_workers(), dev=dev)
    try:
        host, port = config.host, config.port
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--http") from exc
    configure_logging()
    # Migrate once here, before any worker starts, so workers never race on the schema.
    try:
        asyncio.run(_migrate(config))
    except (OSError, ValueError, asyncpg.PostgresError) as exc:
        raise open_failed(exc, config.db) from exc
    os.environ.update(config.to_env())

    from granian import Granian
    from granian.constants import Interfaces, Loops

    Granian(
        "ferrybase.server:app_from_env",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=config.workers,
        loop=Loops.uvloop,
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=DRAIN_SECONDS,
        backlog=BACKLOG,
        backpressure=MAX_CONCURRENT,
    ).serve()


BACKLOG = 4096
"""Connections the kernel may queue before a worker accepts them (capped by somaxconn)."""
MAX_CONCURRENT = 20_000
"""Requests a worker serves at once. granian's default (backlog / workers, 512 with two
workers) would leave the 513th realtime stream of a worker waiting until another one ends,
since every SSE stream is a request in progress for its whole life; PocketBase has no cap."""


async def _migrate(config: Config) -> None:
    core = await open_core(config)
    await core.close()
