"""The filter language: PocketBase's filter, sort and rule grammar compiled to safe SQL.

Pure: text -> parser -> AST -> compiler -> parameterised SQL for a :class:`Dialect`.
It imports only ``ferrybase.errors``; no HTTP, no database driver.
"""

from ferrybase.filter.dialect import POSTGRES, SQLITE, Dialect

__all__ = ["POSTGRES", "SQLITE", "Dialect"]
