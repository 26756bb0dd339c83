"""Flags shared by several commands, each with its environment twin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import click

from ferrybase.config import DEFAULT_DIR, ENV_DB, ENV_DIR

F = TypeVar("F", bound=Callable[..., Any])


def store_options(func: F) -> F:
    func = click.option(
        "--db",
        envvar=ENV_DB,
        default="",
        show_envvar=True,
        help="Database URL: postgresql://user@host/db (default: SQLite under --dir).",
    )(func)
    func = click.option(
        "--dir",
        "data_dir",
        envvar=ENV_DIR,
        default=DEFAULT_DIR,
        show_default=True,
        show_envvar=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Directory for the SQLite database and files.",
    )(func)
    return func


def open_failed(exc: BaseException, config_db: str) -> click.ClickException:
    """A one-line error for a store that cannot be opened (never echoing the URL's password)."""
    where = redact(config_db) if config_db else "the SQLite database under --dir"
    return click.ClickException(f"cannot open {where}: {exc}")


def redact(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    return url
