"""``ferrybase superuser upsert|create|delete``: manage superusers on the database directly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import click

from ferrybase.cli.options import open_failed, store_options
from ferrybase.config import Config
from ferrybase.core.app import Core
from ferrybase.errors import FerrybaseError, FieldError, ValidationError
from ferrybase.server import open_core


@click.group()
def superuser() -> None:
    """Manage superusers."""


@superuser.command()
@click.argument("email")
@click.argument("password")
@store_options
def upsert(email: str, password: str, data_dir: Path, db: str) -> None:
    """Create a superuser, or set the password of an existing one."""
    _run(data_dir, db, lambda core: core.auth.upsert_superuser(email, password))
    click.echo(f'Successfully saved superuser "{email}"!')


@superuser.command()
@click.argument("email")
@click.argument("password")
@store_options
def create(email: str, password: str, data_dir: Path, db: str) -> None:
    """Create a new superuser."""
    _run(data_dir, db, lambda core: core.auth.create_superuser(email, password))
    click.echo(f'Successfully created new superuser "{email}"!')


@superuser.command()
@click.argument("email")
@store_options
def delete(email: str, data_dir: Path, db: str) -> None:
    """Delete an existing superuser."""
    _run(data_dir, db, lambda core: core.auth.delete_superuser(email))
    click.echo(f'Successfully deleted superuser "{email}"!')


def _run(data_dir: Path, db: str, action: Callable[[Core], Awaitable[object]]) -> None:
    async def main() -> None:
        core = await open_core(Config(dir=data_dir, db=db))
        try:
            await action(core)
        finally:
            await core.close()

    try:
        asyncio.run(main())
    except ValidationError as exc:
        details = "; ".join(
            f"{name}: {err.message}" if isinstance(err, FieldError) else name
            for name, err in exc.fields.items()
        )
        raise click.ClickException(f"{exc.message} {details}") from exc
    except FerrybaseError as exc:
        raise click.ClickException(exc.message) from exc
    except (OSError, ValueError, asyncpg.PostgresError) as exc:
        raise open_failed(exc, db) from exc
