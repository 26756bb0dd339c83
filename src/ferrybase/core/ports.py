"""What the core needs from the outside world, as Protocols the edges implement."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from ferrybase.filter.dialect import Dialect

Row = dict[str, Any]
Params = Sequence[Any]


class Json:
    """A parameter to store in a JSON column (``JSON`` text on SQLite, ``jsonb`` on PostgreSQL).

    JSON columns read back as Python values on both stores.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Json({self.value!r})"


class Executor(Protocol):
    """Runs SQL written with ``?`` placeholders and bound parameters."""

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_value(self, sql: str, params: Params = ()) -> Any: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; return the number of rows it changed."""
        ...

    async def execute_returning(self, sql: str, params: Params = ()) -> Row | None:
        """Run a write with ``RETURNING``; its first row (errors as :meth:`execute`'s)."""
        ...

    async def execute_at_commit(self, sql: str, params: Params = ()) -> None:
        """Run a change-feed append last in the transaction, so feed order is commit order.

        On PostgreSQL the statements wait until the transaction's work is done, then run
        under one cluster-wide lock held through COMMIT, so a change's ``seq`` is drawn after
        every earlier commit is visible, and the tailers are woken (``NOTIFY``). SQLite has one
        writer at a time: its group of units runs them all just before its COMMIT. Outside a
        transaction: in a transaction of their own.
        """
        ...


class Store(Executor, Protocol):
    """The database: reads run outside transactions, writes inside :meth:`transaction`.

    Outside a transaction, ``execute`` runs its statement in a transaction of its own.
    Integrity errors come out as :class:`ferrybase.errors.ConflictError`.
    """

    dialect: Dialect

    def transaction(self) -> AbstractAsyncContextManager[Executor]:
        """One write transaction: committed when the block exits, rolled back on error.

        Only one runs at a time per process; on SQLite one per database file.
        """
        ...

    def data_epoch(self) -> int | None:
        """A value that changes whenever any connection (of any process) may have committed
        since the last call returned the same value; ``None`` when the store cannot tell
        cheaply (then caches of database state must ask the database).

        SQLite's is exact (``PRAGMA data_version``). PostgreSQL's moves with every write
        transaction of this process at its COMMIT, with another process's or node's when its
        notification arrives (well under a millisecond on one machine), and with anything
        else once a second (``store.postgres``)."""
        ...

    def catalog_epoch(self) -> int | None:
        """Like :meth:`data_epoch`, for the catalog alone (the collections and their
        version): it need not move with record writes. SQLite's is its data epoch;
        PostgreSQL's moves with the notification a catalog change sends."""
        ...

    async def change_signal(self) -> ChangeSignal:
        """A wake-up for a change-feed tailer: commits of any process or node."""
        ...

    async def migrate(self) -> list[str]:
        """Apply pending versioned migrations; return the names applied."""
        ...

    async def close(self) -> None: ...


class ChangeSignal(Protocol):
    """Tells a tailer the change feed may have grown (woken by a commit in any process)."""

    async def wait(self, within: float) -> None:
        """Return soon after a commit that appended to the feed, or after ``within`` s."""
        ...

    async def close(self) -> None: ...


class InvalidTokenError(Exception):
    """A token that cannot be trusted: malformed, badly signed, of the wrong type or expired."""


class Passwords(Protocol):
    """Password hashing (``auth/passwords.py``)."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """``None`` stands for an unknown identity: spend the same time, answer False."""
        ...


class Tokens(Protocol):
    """Token signing (``auth/tokens.py``); failures raise :class:`InvalidTokenError`."""

    def sign(self, claims: dict[str, Any], key: str, duration: int) -> str: ...

    def unverified_claims(self, token: str) -> dict[str, Any]: ...

    def verify(self, token: str, key: str, token_type: str) -> dict[str, Any]: ...


class Mail:
    """One e-mail to send: HTML body, plain-text alternative optional."""

    __slots__ = ("html", "subject", "text", "to")

    def __init__(self, to: str, subject: str, html: str, text: str = "") -> None:
        self.to = to
        self.subject = subject
        self.html = html
        self.text = text

    def __repr__(self) -> str:
        return f"Mail(to={self.to!r}, subject={self.subject!r})"


class Mailer(Protocol):
    """Sends mail (``integrations/mail.py``: SMTP as the settings configure it)."""

    async def send(self, mail: Mail) -> None: ...


class RecordingMailer:
    """A :class:`Mailer` that keeps what it is given: the default until SMTP is wired, and
    the fake tests read mails from."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.sent.append(mail)
