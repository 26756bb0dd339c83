"""The e-mail flows of auth records: verification, password reset and email change.

Each flow is a request that mails a token and a confirmation that redeems it, with
PocketBase's forms, error codes and order of checks. Request endpoints answer the same for
unknown emails as for known ones, and mails are sent in the background, so neither the answer
nor its time tells whether an account exists. Confirmed changes are written through the
records layer, so the change feed (``_changes``) carries them like any other update.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from ferrybase.core.auth import Authenticator
from ferrybase.core.collections import SUPERUSERS, Collection
from ferrybase.core.mails import EMAIL_CHANGE, PASSWORD_RESET, VERIFICATION, render_mail
from ferrybase.core.ports import Mailer
from ferrybase.core.records import Auth, Record
from ferrybase.core.settings import Settings
from ferrybase.core.value_checks import is_email
from ferrybase.core.values import generate, validate
from ferrybase.errors import (
    BadRequestError,
    FieldError,
    ForbiddenError,
    UnauthorizedError,
    ValidationError,
)

log = logging.getLogger("ferrybase.auth_flows")

TOKEN_VERIFICATION = "verification"
TOKEN_PASSWORD_RESET = "passwordReset"
TOKEN_EMAIL_CHANGE = "emailChange"

# PocketBase ignores a repeated request for the same record for two minutes (per process).
RESEND_PAUSE = 120.0

ALL_VERIFIED = "All superusers are verified by default."
CHANGE_DIRECTLY = "All superusers can change their emails directly."
NO_PASSWORD_AUTH = "The collection is not configured to allow password authentication."

_BLANK = FieldError("validation_required", "Cannot be blank.")
_INVALID_TOKEN = FieldError("validation_invalid_token", "Invalid or expired token.")
_OTHER_COLLECTION = FieldError(
    "validation_token_collection_mismatch",
    "The provided token is for different auth collection.",
)


class AuthFlows:
    """Request and confirm verification, password reset and email change."""

    def __init__(self, auth: Authenticator, settings: Settings, mailer: Mailer) -> None:
        self.auth = auth
        self.records = auth.records
        self.passwords = auth.passwords
        self.settings = settings
        self.mailer = mailer
        self._resend_after: dict[str, float] = {}
        self._sending: set[asyncio.Task[None]] = set()

    # -- verification ------------------------------------------------------------------------

    async def request_verification(self, collection: Collection, email: str | None) -> None:
        """Mail a verification link if ``email`` belongs to an unverified record."""
        if collection.name == SUPERUSERS:
            raise BadRequestError(ALL_VERIFIED)
        _check_email_form("email", email)
        record = await self.records.find_by(collection, "email", email)
        if record is None or record.get("verified"):
            return
        key = f"verification:{collection.id}:{record.id}"
        if self._paused(key):
            return
        token = self.auth.issue_record_token(
            record, TOKEN_VERIFICATION, email=str(record.get("email"))
        )
        # Paused even when sending fails, as PocketBase does: a broken SMTP is not retried
        # by hammering the endpoint.
        self._pause(key)
        self._send_later(record, VERIFICATION, token, "verification")

    async def confirm_verification(self, collection: Collection, token: str | None) -> None:
        if collection.name == SUPERUSERS:
            raise BadRequestError(ALL_VERIFIED)
        if not token:
            raise ValidationError({"token": _BLANK})
        claimed = self._claims(token).get("email")
        if not isinstance(claimed, str) or not claimed:
            raise ValidationError(
                {
                    "token": FieldError(
                        "validation_invalid_token_claims", "Missing email token claim."
                    )
                }
            )
        record = await self.auth.record_of_token(token, TOKEN_VERIFICATION)
        if record is None:
            raise ValidationError({"token": _INVALID_TOKEN})
        if record.collection.id != collection.id:
            raise ValidationError({"token": _OTHER_COLLECTION})
        if record.get("email") != claimed:
            raise ValidationError(
                {
                    "token": FieldError(
                        "validation_token_email_mismatch",
                        "The record email doesn't match with the requested token claims.",
                    )
                }
            )
        if record.get("verified"):
            return  # confirming twice is fine
        changes: dict[str, Any] = {"verified": True}
        if not collection.options["passwordAuth"].get("enabled"):
            # As PocketBase: a random password guards against pre-hijacking should password
            # sign-in be enabled later.
            changes["password"] = await self.passwords.hash(secrets.token_urlsafe(30))
            changes["tokenKey"] = _new_token_key(collection)
        await self._write(record, changes, "An error occurred while saving the verified state.")
        self._resend_after.pop(f"verification:{collection.id}:{record.id}", None)

    # -- password reset ----------------------------------------------------------------------

    async def request_password_reset(self, collection: Collection, email: str | None) -> None:
        """Mail a password reset link if ``email`` belongs to a record."""
        if not collection.options["passwordAuth"].get("enabled"):
            raise BadRequestError(NO_PASSWORD_AUTH)
        _check_email_form("email", email)
        record = await self.records.find_by(collection, "email", email)
        if record is None:
            return
        key = f"passwordReset:{collection.id}:{record.id}"
        if self._paused(key):
            return
        token = self.auth.issue_record_token(
            record, TOKEN_PASSWORD_RESET, email=str(record.get("email"))
        )
        self._send_later(record, PASSWORD_RESET, token, "password reset", pause=key)

    async def confirm_password_reset(
        self,
        collection: Collection,
        token: str | None,
        password: str | None,
        password_confirm: str | None,
    ) -> None:
        """Set a new password; the new ``tokenKey`` signs every earlier token out."""
        errors: dict[str, FieldError] = {}
        record: Record | None = None
        if not token:
            errors["token"] = _BLANK
        else:
            record = await self.auth.record_of_token(token, TOKEN_PASSWORD_RESET)
            if record is None:
                errors["token"] = _INVALID_TOKEN
            elif record.collection.id != collection.id:
                errors["token"] = _OTHER_COLLECTION
        password_field = collection.field("password")
        assert password_field is not None
        low = max(int(password_field.opt("min") or 0), 1)
        if not password:
            errors["password"] = _BLANK
        elif not low <= len(password) <= 255:
            errors["password"] = _length(low, 255)
        if not password_confirm:
            errors["passwordConfirm"] = _BLANK
        elif password_confirm != password:
            errors["passwordConfirm"] = FieldError(
                "validation_values_mismatch", "Values don't match."
            )
        if errors:
            raise ValidationError(errors)
        assert record is not None and token is not None and password is not None
        problem = validate(password_field, password)
        if problem is not None:
            raise ValidationError({"password": problem}, "Failed to set new password.")
        changes: dict[str, Any] = {
            "password": await self.passwords.hash(password),
            "tokenKey": _new_token_key(collection),
        }
        if not record.get("verified") and record.get("email") == self._claims(token).get("email"):
            changes["verified"] = True  # the mail reached the address it still has
        await self._write(record, changes, "Failed to set new password.")
        self._resend_after.pop(f"passwordReset:{collection.id}:{record.id}", None)

    # -- email change ------------------------------------------------------------------------

    async def request_email_change(
        self, collection: Collection, auth: Auth, new_email: str | None
    ) -> None:
        """Mail a confirmation link to the new address of the signed-in record."""
        me = auth.record
        if me is None:
            raise UnauthorizedError()
        if me.collection.id != collection.id:
            raise ForbiddenError(
                f"The request requires auth record from {me.collection.name} collection."
            )
        if collection.name == SUPERUSERS:
            raise BadRequestError(CHANGE_DIRECTLY)
        _check_email_form("newEmail", new_email)
        if new_email == me.get("email"):
            raise ValidationError(
                {"newEmail": FieldError("validation_not_in_invalid", "Must not be in list.")}
            )
        other = await self.records.find_by(collection, "email", new_email)
        if other is not None and other.id != me.id:
            raise ValidationError(
                {
                    "newEmail": FieldError(
                        "validation_invalid_new_email", "Invalid new email address."
                    )
                }
            )
        assert new_email is not None
        token = self.auth.issue_record_token(
            me, TOKEN_EMAIL_CHANGE, email=str(me.get("email")), newEmail=new_email
        )
        settings = await self.settings.load()
        mail = render_mail(me, EMAIL_CHANGE, settings, {"{TOKEN}": token}, to=new_email)
        try:
            await self.mailer.send(mail)
        except Exception as exc:
            log.error("failed to send the email change mail: %s", type(exc).__name__)
            raise BadRequestError("Failed to request email change.") from exc

    async def confirm_email_change(
        self, collection: Collection, token: str | None, password: str | None
    ) -> None:
        """Move the record to the new address (verified); earlier tokens stop working."""
        if collection.name == SUPERUSERS:
            raise BadRequestError(CHANGE_DIRECTLY)
        errors: dict[str, FieldError] = {}
        record: Record | None = None
        new_email = ""
        if not token:
            errors["token"] = _BLANK
        else:
            found = await self._email_change_of(collection, token)
            if isinstance(found, FieldError):
                errors["token"] = found
            else:
                record, new_email = found
        if not password:
            errors["password"] = _BLANK
        elif len(password) > 100:
            errors["password"] = _length(1, 100)
        else:
            stored = None if record is None else str(record.get("password"))
            # An unknown record costs the same hash check (``stored=None``).
            if not await self.passwords.verify(stored, password) or record is None:
                errors["password"] = FieldError(
                    "validation_invalid_password", "Missing or invalid auth record password."
                )
        if errors:
            raise ValidationError(errors)
        assert record is not None
        changes = {"email": new_email, "verified": True, "tokenKey": _new_token_key(collection)}
        await self._write(record, changes, "Failed to confirm email change.")

    async def _email_change_of(
        self, collection: Collection, token: str
    ) -> tuple[Record, str] | FieldError:
        new_email = self._claims(token).get("newEmail")
        if not isinstance(new_email, str) or not new_email:
            return FieldError(
                "validation_invalid_token_payload",
                "Invalid token payload - newEmail must be set.",
            )
        record = await self.auth.record_of_token(token, TOKEN_EMAIL_CHANGE)
        if record is None:
            return _INVALID_TOKEN
        if record.collection.id != collection.id:
            return _OTHER_COLLECTION
        if await self.records.find_by(collection, "email", new_email) is not None:
            return FieldError("validation_invalid_token_email", "The new email address is invalid.")
        return record, new_email

    # -- helpers -------------------------------------------------------------------------------

    async def drain(self) -> None:
        """Wait for the mails still being sent (shutdown, tests)."""
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            return self.auth.tokens.unverified_claims(token)
        except Exception:  # any unreadable token simply has no claims
            return {}

    def _paused(self, key: str) -> bool:
        until = self._resend_after.get(key)
        if until is None:
            return False
        if until <= time.monotonic():
            del self._resend_after[key]
            return False
        return True

    def _pause(self, key: str) -> None:
        now = time.monotonic()
        for stale in [k for k, until in self._resend_after.items() if until <= now]:
            del self._resend_after[stale]
        self._resend_after[key] = now + RESEND_PAUSE

    def _send_later(
        self, record: Record, template: str, token: str, what: str, *, pause: str | None = None
    ) -> None:
        """Send in the background: the client's answer must not wait for (or reveal) SMTP."""

        async def send() -> None:
            try:
                settings = await self.settings.load()
                await self.mailer.send(render_mail(record, template, settings, {"{TOKEN}": token}))
            except Exception as exc:
                log.error("failed to send the %s mail: %s", what, type(exc).__name__)
                return
            if pause is not None:
                self._pause(pause)

        task = asyncio.get_running_loop().create_task(send())
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _write(self, record: Record, changes: dict[str, Any], message: str) -> None:
        try:
            await self.records.write_fields(record.collection, record.id, changes)
        except ValidationError as exc:
            raise ValidationError(exc.fields, message) from exc


def _check_email_form(name: str, value: str | None) -> None:
    if not value:
        raise ValidationError({name: _BLANK})
    if len(value) > 255:
        raise ValidationError({name: _length(1, 255)})
    if not is_email(value):
        raise ValidationError(
            {name: FieldError("validation_is_email", "Must be a valid email address.")}
        )


def _length(low: int, high: int) -> FieldError:
    return FieldError(
        "validation_length_out_of_range",
        f"The length must be between {low} and {high}.",
        {"max": high, "min": low},
    )


def _new_token_key(collection: Collection) -> str:
    field = collection.field("tokenKey")
    assert field is not None
    return generate(field.opt("autogeneratePattern"))
