"""Auth origins: where a record signs in from, and the alert mail for a new place.

Each sign-in (password, OTP, OAuth2; not refresh or impersonation) notes a fingerprint of the
client's address and user agent in ``_authOrigins``. When a record that has signed in before
signs in from a fingerprint it never used, and its collection's ``authAlert`` is enabled, the
record gets PocketBase's "Login from a new location" mail. A new password forgets the
origins (``forget``), so the owner's next sign-in does not alert them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import TYPE_CHECKING

from ferrybase.core.collections import Collection
from ferrybase.core.dates import now_text
from ferrybase.core.mails import render_mail
from ferrybase.core.ports import Executor, Mailer
from ferrybase.core.records import DELETE, Record, append_change
from ferrybase.core.settings import Settings

if TYPE_CHECKING:  # the records service imports ``forget`` from here
    from ferrybase.core.record_service import Records

log = logging.getLogger("ferrybase.auth_origins")

AUTH_ORIGINS = "_authOrigins"
ALERT_TEMPLATE = ("authAlert", "emailTemplate")

# Alert mails being sent: kept referenced until done (asyncio holds tasks weakly).
_SENDING: set[asyncio.Task[None]] = set()


def fingerprint(ip: str, user_agent: str) -> str:
    return hashlib.sha256(f"{ip}\x00{user_agent}".encode()).hexdigest()


async def drain() -> None:
    """Wait for the alert mails being sent (tests, and a graceful shutdown)."""
    while _SENDING:
        await asyncio.gather(*_SENDING, return_exceptions=True)


class AuthOrigins:
    def __init__(self, records: Records, mailer: Mailer, settings: Settings) -> None:
        self.records = records
        self.mailer = mailer
        self.settings = settings

    async def note(self, record: Record, ip: str, user_agent: str) -> None:
        """Remember this sign-in's origin; alert the record if it is a new one."""
        origins = self.records.collections.get(AUTH_ORIGINS)
        if origins is None or not record.collection.is_auth:
            return
        key = fingerprint(ip, user_agent)
        refs = (record.collection.id, record.id)
        q = self.records.store.dialect.quote
        table = q(origins.table)
        found = await self.records.store.fetch_value(
            f"SELECT {q('id')} FROM {table} WHERE {q('collectionRef')} = ? "
            f"AND {q('recordRef')} = ? AND {q('fingerprint')} = ?",
            (*refs, key),
        )
        if found is not None:
            await self.records.write_fields(origins, str(found), {})  # bumps ``updated``
            return
        known = await self.records.store.fetch_value(
            f"SELECT COUNT(*) FROM {table} WHERE {q('collectionRef')} = ? AND {q('recordRef')} = ?",
            refs,
        )
        await self.records.insert_fields(
            origins, {"collectionRef": refs[0], "recordRef": refs[1], "fingerprint": key}
        )
        alert = record.collection.options.get("authAlert") or {}
        if int(known or 0) > 0 and alert.get("enabled") and record.get("email"):
            task = asyncio.create_task(self._alert(record, ip, user_agent))
            _SENDING.add(task)
            task.add_done_callback(_SENDING.discard)

    async def _alert(self, record: Record, ip: str, user_agent: str) -> None:
        try:
            settings = await self.settings.load()
            info = f"{now_text()} - {ip} {user_agent}".strip()
            mail = render_mail(record, ALERT_TEMPLATE, settings, {"{ALERT_INFO}": info})
            await self.mailer.send(mail)
        except Exception as exc:  # a lost alert must not fail anything else
            log.error("failed to send the auth alert of %s: %s", record.id, type(exc).__name__)


async def forget(tx: Executor, origins: Collection | None, record: Record) -> None:
    """Drop every origin of ``record`` (its password changed), inside the writing transaction."""
    if origins is None:
        return
    where = '"collectionRef" = ? AND "recordRef" = ?'
    refs = (record.collection.id, record.id)
    rows = await tx.fetch_all(f'SELECT * FROM "{origins.table}" WHERE {where}', refs)
    if rows:
        await tx.execute(f'DELETE FROM "{origins.table}" WHERE {where}', refs)
        for row in rows:
            await append_change(tx, Record(origins, row), DELETE)
