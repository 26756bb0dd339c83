"""Multi-factor sign-in: the ``_mfas`` sessions a first factor opens and a second one closes.

With ``mfa.enabled`` (and ``mfa.rule`` matching the record, or empty), a sign-in by one method
(``password``, ``otp``, ``oauth2``) opens a session and answers its id instead of a token; a
sign-in by another method that presents that id within ``mfa.duration`` completes, as in
PocketBase's ``checkMFA``. Also here: :func:`matches_rule`, a rule tested against one record.
"""

from __future__ import annotations

import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta

from ferrybase.core.collections import SUPERUSERS
from ferrybase.core.dates import format_datetime
from ferrybase.core.record_service import Records
from ferrybase.core.records import Auth, Record
from ferrybase.core.rules import Caller, request_info, where
from ferrybase.errors import BadRequestError, NotFoundError
from ferrybase.filter import compile_filter

MFAS = "_mfas"
OTPS = "_otps"

METHOD_PASSWORD = "password"
METHOD_OTP = "otp"
METHOD_OAUTH2 = "oauth2"


def now() -> datetime:
    """The clock sessions and one-time passwords expire by (tests move it)."""
    return datetime.now(UTC)


def has_expired(created: str, duration: int) -> bool:
    """Whether more than ``duration`` seconds passed since a stored ``created`` datetime."""
    try:
        moment = datetime.strptime(created, "%Y-%m-%d %H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return True
    return now() - moment > timedelta(seconds=duration)


def system_caller(records: Records) -> Caller:
    """A superuser caller for the server's own writes to system collections."""
    superusers = records.collection(SUPERUSERS)
    return Caller(Auth(Record(superusers, {"id": "", "tokenKey": ""})))


async def matches_rule(records: Records, record: Record, rule: str, caller: Caller) -> bool:
    """Whether the filter ``rule`` holds for ``record`` as ``caller`` asks ("" always holds)."""
    if not rule.strip():
        return True
    collection = record.collection
    schema = records.collections.schema
    spec = schema.collection(collection.id)
    assert spec is not None
    dialect = records.store.dialect
    condition = compile_filter(rule, spec, schema, request_info(caller, schema), dialect, rule=True)
    extra, params = where(condition)
    table = dialect.quote(collection.table)
    sql = f"SELECT 1 FROM {table} WHERE {table}.{dialect.quote('id')} = ? AND {extra} LIMIT 1"
    return await records.store.fetch_one(sql, (record.id, *params)) is not None


# Expired sessions and codes are swept at most this often per process (PocketBase: hourly).
PRUNE_EVERY = 600.0
_next_prune = 0.0


async def prune_expired(records: Records, *, force: bool = False) -> int:
    """Delete the ``_mfas`` and ``_otps`` rows older than their collection's duration;
    returns how many went. Runs at most every :data:`PRUNE_EVERY` seconds unless ``force``."""
    global _next_prune
    if not force and time.monotonic() < _next_prune:
        return 0
    _next_prune = time.monotonic() + PRUNE_EVERY
    caller = system_caller(records)
    q = records.store.dialect.quote
    deleted = 0
    for collection in records.collections.all():
        if not collection.is_auth:
            continue
        for table, option in ((MFAS, "mfa"), (OTPS, "otp")):
            duration = int(collection.options[option].get("duration") or 0)
            cutoff = format_datetime(now() - timedelta(seconds=duration))
            rows = await records.store.fetch_all(
                f"SELECT {q('id')} FROM {q(table)} "
                f"WHERE {q('collectionRef')} = ? AND {q('created')} < ?",
                (collection.id, cutoff),
            )
            for row in rows:
                with suppress(NotFoundError):
                    await records.delete(records.collection(table), str(row["id"]), caller)
                    deleted += 1
    return deleted


class MFAs:
    """Opens and closes the MFA sessions of auth records."""

    def __init__(self, records: Records) -> None:
        self.records = records

    async def check(self, record: Record, method: str, mfa_id: str, caller: Caller) -> str:
        """The id of a new session when this sign-in needs another factor, else ``""``.

        ``method == ""`` (refresh, impersonation) never asks for a second factor.
        """
        collection = record.collection
        options = collection.options["mfa"]
        if not options.get("enabled") or not method:
            return ""
        if not await self._wanted(record, str(options.get("rule") or ""), caller):
            return ""
        sessions = self.records.collection(MFAS)
        await prune_expired(self.records)
        if not mfa_id:
            session = await self.records.insert_fields(
                sessions,
                {"collectionRef": collection.id, "recordRef": record.id, "method": method},
            )
            return session.id
        found = await self.records.find(sessions, mfa_id)
        if found is None or has_expired(str(found.get("created")), int(options["duration"])):
            await self._delete(found)
            raise BadRequestError("Invalid or expired MFA session.")
        if found.get("recordRef") != record.id or found.get("collectionRef") != collection.id:
            raise BadRequestError("Invalid MFA session.")
        if found.get("method") == method:
            raise BadRequestError("A different authentication method is required.")
        await self._delete(found)
        return ""

    async def _wanted(self, record: Record, rule: str, caller: Caller) -> bool:
        # PocketBase asks for MFA when the rule cannot be evaluated: the safer default.
        try:
            return await matches_rule(self.records, record, rule, caller)
        except BadRequestError as exc:
            raise BadRequestError("Failed to authenticate.") from exc

    async def _delete(self, session: Record | None) -> None:
        if session is None:
            return
        with suppress(NotFoundError):  # already used by a concurrent sign-in
            await self.records.delete(session.collection, session.id, system_caller(self.records))
