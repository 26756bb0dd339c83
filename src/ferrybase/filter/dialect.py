"""The few differences between SQLite and PostgreSQL SQL that the rest of the code needs.

All SQL in Ferrybase is written with ``?`` placeholders and bound parameters; the PostgreSQL
store rewrites them to ``$n`` once per distinct statement. SQL text therefore never uses
PostgreSQL's ``?`` jsonb operators (``jsonb_exists`` and friends do the same job).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL of the two stores."""

    name: str

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgres"

    def quote(self, identifier: str) -> str:
        """Quote a table or column name; only plain identifiers are accepted."""
        if not _IDENT.match(identifier):
            raise ValueError(f"not a valid SQL identifier: {identifier!r}")
        return f'"{identifier}"'


SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgres")
