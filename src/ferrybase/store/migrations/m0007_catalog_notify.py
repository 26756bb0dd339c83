"""A notification when the catalog may have changed, on PostgreSQL.

Every catalog change bumps ``catalogVersion`` in ``_params`` in its transaction
(``core.registry``); a statement trigger on ``_params`` sends ``NOTIFY ferrybase_catalog`` with
it (delivered at COMMIT, whoever wrote: a node, a tool). A process then reads the catalog
version only after such a notification, instead of whenever any data changed: under a write
load that is one round trip less per request. SQLite needs none of it.
"""

from __future__ import annotations

from ferrybase.core.ports import Executor
from ferrybase.filter.dialect import Dialect

CATALOG_CHANNEL = "ferrybase_catalog"


async def up(tx: Executor, dialect: Dialect) -> None:
    if not dialect.is_postgres:
        return
    statements = [
        f"""CREATE FUNCTION "_params_wake"() RETURNS trigger
            LANGUAGE plpgsql AS $fn$
            BEGIN
                PERFORM pg_notify('{CATALOG_CHANNEL}', '');
                RETURN NULL;
            END
            $fn$""",
        'CREATE TRIGGER "_params_notify" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
        'ON "_params" FOR EACH STATEMENT EXECUTE FUNCTION "_params_wake"()',
    ]
    for sql in statements:
        await tx.execute(sql)
