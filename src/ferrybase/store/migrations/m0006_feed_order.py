"""The change feed in commit order on PostgreSQL, with no extra round trip per write.

A row of ``_changes`` gets its ``seq`` from a BEFORE INSERT trigger that first takes the
feed's advisory lock, held until the transaction ends: the next writer's ``seq`` is drawn only
once this one's rows are visible, so ``seq`` order is commit order and a tailer reading
``seq > cursor`` can never skip a row that commits later. Feed rows are appended last in each
transaction (``Executor.execute_at_commit``), after every other lock it takes, so no lock
cycle can form. A statement trigger wakes the tailers (``NOTIFY``, delivered at commit).
SQLite needs none of it: it has one writer at a time.
"""

from __future__ import annotations

from ferrybase.core.ports import Executor
from ferrybase.filter.dialect import Dialect

FEED_LOCK_KEY = 0x46454544
FEED_CHANNEL = "ferrybase_changes"


async def up(tx: Executor, dialect: Dialect) -> None:
    if not dialect.is_postgres:
        return
    statements = [
        'ALTER TABLE "_changes" ALTER COLUMN "seq" DROP DEFAULT',
        f"""CREATE FUNCTION "_changes_in_commit_order"() RETURNS trigger
            LANGUAGE plpgsql AS $fn$
            BEGIN
                PERFORM pg_advisory_xact_lock({FEED_LOCK_KEY});
                NEW."seq" := nextval('"_changes_seq_seq"');
                RETURN NEW;
            END
            $fn$""",
        'CREATE TRIGGER "_changes_order" BEFORE INSERT ON "_changes" '
        'FOR EACH ROW EXECUTE FUNCTION "_changes_in_commit_order"()',
        f"""CREATE FUNCTION "_changes_wake"() RETURNS trigger
            LANGUAGE plpgsql AS $fn$
            BEGIN
                PERFORM pg_notify('{FEED_CHANNEL}', '');
                RETURN NULL;
            END
            $fn$""",
        'CREATE TRIGGER "_changes_notify" AFTER INSERT ON "_changes" '
        'FOR EACH STATEMENT EXECUTE FUNCTION "_changes_wake"()',
    ]
    for sql in statements:
        await tx.execute(sql)
