"""Flags shared by several commands, each with its environment twin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

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
