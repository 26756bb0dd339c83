"""One-time passwords: ``request-otp`` mails a code, ``auth-with-otp`` signs in with it.

Codes are ``otp.length`` digits, stored hashed in ``_otps`` (``collectionRef``, ``recordRef``,
``password``, ``sentTo``) and valid for ``otp.duration`` seconds, once. Unknown emails get a
well-formed id that matches no row, after the same work, so the answer tells nothing
(PocketBase's ``recordRequestOTP`` and ``recordAuthWithOTP``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from contextlib import suppress

from ferrybase.core.collections import Collection
from ferrybase.core.mails import OTP as OTP_TEMPLATE
from ferrybase.core.mails import render_mail
from ferrybase.core.mfa import OTPS, has_expired, prune_expired, system_caller
from ferrybase.core.ports import Mailer, Passwords
from ferrybase.core.rate_limits import RateLimiter, RateLimitRule
from ferrybase.core.record_service import Records
from ferrybase.core.records import Record
from ferrybase.core.settings import Settings
from ferrybase.core.value_checks import is_email
from ferrybase.core.values import generate
from ferrybase.errors import (
    BadRequestError,
    FerrybaseError,
    FieldError,
    ForbiddenError,
    TooManyRequestsError,
    ValidationError,
)

log = logging.getLogger("ferrybase.otp")

DISABLED = "The collection is not configured to allow OTP authentication."
INVALID = "Invalid or expired OTP."
TOO_MANY = "Too many attempts, please try again later with a new OTP."
_ATTEMPTS = RateLimitRule("@pb_otp", "@all", 180, 5)
# PocketBase reuses the newest code once a record has this many live ones.
_MAX_LIVE = 10


# Mails still being sent: kept referenced until done (asyncio holds tasks weakly).
_SENDING: set[asyncio.Task[None]] = set()


async def drain() -> None:
    """Wait for the OTP mails being sent (tests, and a graceful shutdown)."""
    while _SENDING:
        await asyncio.gather(*_SENDING, return_exceptions=True)


class OTPs:
    """Issues, mails and redeems one-time passwords for auth records."""

    def __init__(
        self, records: Records, passwords: Passwords, mailer: Mailer, settings: Settings
    ) -> None:
        self.records = records
        self.passwords = passwords
        self.mailer = mailer
        self.settings = settings
        self.attempts = RateLimiter(records.store)

    def check_enabled(self, collection: Collection) -> None:
        if not collection.options["otp"].get("enabled"):
            raise ForbiddenError(DISABLED)

    async def request(self, collection: Collection, email: object) -> str:
        """The id of a new code mailed to the record with ``email`` (a fake id if none)."""
        self.check_enabled(collection)
        if not isinstance(email, str) or not email:
            raise ValidationError({"email": FieldError("validation_required", "Cannot be blank.")})
        if len(email) > 255 or not is_email(email):
            raise ValidationError(
                {"email": FieldError("validation_is_email", "Must be a valid email address.")}
            )
        length = int(collection.options["otp"].get("length") or 8)
        code = "".join(secrets.choice("0123456789") for _ in range(length))
        # Hash even when nobody has the address, so both answers cost the same.
        hashed = await self.passwords.hash(code)
        await prune_expired(self.records)
        record = await self.records.find_by(collection, "email", email)
        if record is None:
            return generate("[a-z0-9]{15}")
        reused = await self._newest_if_too_many(record)
        if reused is not None:
            return reused
        otps = self.records.collection(OTPS)
        otp = await self.records.insert_fields(
            otps,
            {"collectionRef": collection.id, "recordRef": record.id, "password": hashed},
        )
        # Mailed in the background, as PocketBase does: the answer must not wait for SMTP, or
        # its timing would tell known addresses from unknown ones.
        task = asyncio.get_running_loop().create_task(self._send(record, otp, code))
        _SENDING.add(task)
        task.add_done_callback(_SENDING.discard)
        return otp.id

    async def authenticate(
        self, collection: Collection, otp_id: object, password: object, client: str = ""
    ) -> Record:
        """The record a valid, unexpired code was issued to; the code is used up.

        A first sign-in by a code mailed to the record's own address verifies it; without MFA,
        the password is also replaced by a random one, as PocketBase does against accounts
        pre-registered by someone else.
        """
        self.check_enabled(collection)
        errors: dict[str, FieldError] = {}
        for name, value, top in (("otpId", otp_id, 255), ("password", password, 71)):
            if not isinstance(value, str) or not value:
                errors[name] = FieldError("validation_required", "Cannot be blank.")
            elif len(value) > top:
                errors[name] = FieldError(
                    "validation_length_out_of_range",
                    f"The length must be between 1 and {top}.",
                    {"max": top, "min": 1},
                )
        if errors:
            raise ValidationError(errors)
        assert isinstance(otp_id, str) and isinstance(password, str)
        otps = self.records.collection(OTPS)
        otp = await self.records.find(otps, otp_id)
        if otp is None or otp.get("collectionRef") != collection.id:
            raise BadRequestError(INVALID)
        if has_expired(str(otp.get("created")), int(collection.options["otp"]["duration"])):
            raise BadRequestError(INVALID)
        record = await self.records.find(collection, str(otp.get("recordRef")))
        if record is None:
            raise BadRequestError(INVALID)
        # Codes are short digit strings: at most 5 tries per record and client in 3 minutes,
        # whatever the rate limit settings say (PocketBase's "@pb_otp_" limiter).
        if not await self.attempts.allow(f"@pb_otp_{record.id}|{client}", _ATTEMPTS):
            raise TooManyRequestsError(TOO_MANY)
        if not await self.passwords.verify(str(otp.get("password")), password):
            raise BadRequestError(INVALID)
        await self.records.delete(otps, otp.id, system_caller(self.records))
        sent_to = str(otp.get("sentTo") or "")
        if not record.get("verified") and sent_to and record.get("email") == sent_to:
            changes: dict[str, object] = {"verified": True}
            if not collection.options["mfa"].get("enabled"):
                changes.update(await self._random_password(collection))
            record = await self.records.write_fields(collection, record.id, changes)
        return record

    async def _newest_if_too_many(self, record: Record) -> str | None:
        otps = self.records.collection(OTPS)
        q = self.records.store.dialect.quote
        rows = await self.records.store.fetch_all(
            f"SELECT {q('id')}, {q('created')} FROM {q(otps.table)} "
            f"WHERE {q('collectionRef')} = ? AND {q('recordRef')} = ? "
            f"ORDER BY {q('created')} DESC",
            (record.collection.id, record.id),
        )
        duration = int(record.collection.options["otp"]["duration"])
        live = [row for row in rows if not has_expired(str(row["created"]), duration)]
        return str(rows[0]["id"]) if len(live) >= _MAX_LIVE else None

    async def _send(self, record: Record, otp: Record, code: str) -> None:
        otps = otp.collection
        try:
            settings = await self.settings.load()
            values = {"{OTP}": code, "{OTP_ID}": otp.id}
            mail = render_mail(record, OTP_TEMPLATE, settings, values)
            await self.mailer.send(mail)
        except Exception as exc:
            # As PocketBase: a code that could not be sent is of no use to anybody.
            log.error("failed to send the OTP mail of %s: %s", otp.id, type(exc).__name__)
            with suppress(FerrybaseError):
                await self.records.delete(otps, otp.id, system_caller(self.records))
            return
        try:
            await self.records.write_fields(otps, otp.id, {"sentTo": mail.to})
        except FerrybaseError as exc:  # already used or deleted: nothing to mark
            log.info("OTP %s not marked as sent: %s", otp.id, exc.message)

    async def _random_password(self, collection: Collection) -> dict[str, object]:
        token_key = collection.field("tokenKey")
        assert token_key is not None
        return {
            "password": await self.passwords.hash(secrets.token_urlsafe(30)),
            "tokenKey": generate(str(token_key.opt("autogeneratePattern"))),
        }
