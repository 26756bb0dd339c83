"""The domain: collections, fields, records, auth and rules.

It declares what it needs from the outside world as Protocols in ``core/ports.py`` and never
imports Starlette, a database driver or ``ferrybase.api``. It may import the leaves
(``errors``, ``config``, ``filter``).
"""
