"""Signing in: password sign-in, token refresh, token verification and superuser accounts."""

from __future__ import annotations

import time
from typing import Any

from ferrybase.core.collections import SUPERUSERS, Collection
from ferrybase.core.epoch_cache import EpochCache
from ferrybase.core.mfa import MFAs, matches_rule
from ferrybase.core.ports import InvalidTokenError, Passwords, Tokens
from ferrybase.core.record_service import Records
from ferrybase.core.records import GUEST, Auth, Record
from ferrybase.core.rules import Caller
from ferrybase.core.values import generate, validate
from ferrybase.errors import (
    AuthenticationError,
    FieldError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)

TOKEN_AUTH = "auth"
AUTH_RULE_FAILED = "The request doesn't satisfy the collection requirements to authenticate."

# Each token kind is signed with ``tokenKey`` plus the secret of its collection option.
TOKEN_OPTION = {
    TOKEN_AUTH: "authToken",
    "verification": "verificationToken",
    "passwordReset": "passwordResetToken",
    "emailChange": "emailChangeToken",
    "file": "fileToken",
}


AUTH_CACHE_SIZE = 4096
"""Most signed-in tokens kept between requests (see :meth:`Authenticator.authenticate`)."""


class Authenticator:
    def __init__(self, records: Records, passwords: Passwords, tokens: Tokens) -> None:
        self.records = records
        self.passwords = passwords
        self.tokens = tokens
        # token -> (collection, record data, expiry)
        self._cache: EpochCache[str, tuple[Collection, dict[str, Any], float]] = EpochCache(
            AUTH_CACHE_SIZE
        )

    def auth_collection(self, id_or_name: str) -> Collection:
        collection = self.records.collections.get(id_or_name)
        if collection is None:
            raise NotFoundError("Missing or invalid collection context.")
        if not collection.is_auth:
            raise NotFoundError("Missing or invalid auth collection context.")
        return collection

    def issue_token(self, record: Record, *, refreshable: bool = True, duration: int = 0) -> str:
        """An auth token; ``duration`` 0 is the collection's ``authToken.duration``."""
        collection = record.collection
        claims = {
            "collectionId": collection.id,
            "id": record.id,
            "refreshable": refreshable,
            "type": TOKEN_AUTH,
        }
        key = str(record.data["tokenKey"]) + collection.token_secret("authToken")
        return self.tokens.sign(claims, key, duration or collection.token_duration("authToken"))

    def issue_record_token(self, record: Record, kind: str, **claims: str) -> str:
        """A token of another kind (``verification``, ``passwordReset``, ``emailChange``,
        ``file``) with PocketBase's claims: ``collectionId``, ``id``, ``type`` and ``claims``."""
        option = TOKEN_OPTION[kind]
        collection = record.collection
        payload = {"collectionId": collection.id, "id": record.id, "type": kind, **claims}
        key = str(record.data["tokenKey"]) + collection.token_secret(option)
        return self.tokens.sign(payload, key, collection.token_duration(option))

    async def record_of_token(self, token: str, kind: str) -> Record | None:
        """The auth record a valid token of ``kind`` was issued to (any auth collection), or
        ``None`` when it is malformed, badly signed, expired, of another kind or orphaned."""
        try:
            claims = self.tokens.unverified_claims(token)
        except InvalidTokenError:
            return None
        record_id, collection_id = claims.get("id"), claims.get("collectionId")
        if claims.get("type") != kind or not isinstance(record_id, str) or not record_id:
            return None
        collection = self.records.collections.get(str(collection_id or ""))
        if collection is None or not collection.is_auth or collection.id != collection_id:
            return None
        record = await self.records.find(collection, record_id)
        if record is None:
            return None
        key = str(record.data["tokenKey"]) + collection.token_secret(TOKEN_OPTION[kind])
        try:
            self.tokens.verify(token, key, kind)
        except InvalidTokenError:
            return None
        return record

    async def with_password(
        self,
        collection: Collection,
        identity: Any,
        password: Any,
        identity_field: Any = None,
    ) -> Record:
        """The record whose identity and password match, or :class:`AuthenticationError`."""
        options = collection.options["passwordAuth"]
        if not options.get("enabled"):
            raise ForbiddenError(
                "The collection is not configured to allow password authentication."
            )
        errors: dict[str, FieldError] = {}
        if not isinstance(identity, str) or not identity:
            errors["identity"] = FieldError("validation_required", "Cannot be blank.")
        if not isinstance(password, str) or not password:
            errors["password"] = FieldError("validation_required", "Cannot be blank.")
        fields = list(options.get("identityFields") or [])
        if identity_field not in (None, ""):
            if identity_field not in fields:
                errors["identityField"] = FieldError(
                    "validation_in_invalid", "Must be a valid value."
                )
            fields = [str(identity_field)]
        if errors:
            raise ValidationError(errors)
        assert isinstance(identity, str) and isinstance(password, str)
        record = None
        for name in fields:
            record = await self.records.find_by(collection, name, identity)
            if record is not None:
                break
        stored = None if record is None else str(record.data["password"])
        if not await self.passwords.verify(stored, password) or record is None:
            raise AuthenticationError()
        return record

    async def check_auth_rule(self, record: Record, caller: Caller) -> None:
        """Every sign-in must satisfy the collection's ``authRule`` (``None``: superusers
        only), evaluated for the record as the request asks (PocketBase's CanAccessRecord)."""
        if caller.is_superuser:
            return
        rule = record.collection.rules.get("authRule")
        if rule is None or not await matches_rule(self.records, record, rule, caller):
            raise ForbiddenError(AUTH_RULE_FAILED)

    async def second_factor(self, record: Record, method: str, mfa_id: str, caller: Caller) -> str:
        """The id of an MFA session when this sign-in (by ``method``) needs another factor,
        else ``""`` (see :class:`ferrybase.core.mfa.MFAs`)."""
        return await MFAs(self.records).check(record, method, mfa_id, caller)

    def impersonate(self, record: Record, duration: int) -> str:
        """A non-refreshable token of ``duration`` seconds (0: the collection's default)."""
        return self.issue_token(record, refreshable=False, duration=duration)

    async def authenticate(self, token: str) -> Auth:
        """The auth a token carries; any fault makes the caller a guest.

        A token that signed in is remembered with its record while the database has not
        changed since (the store's data epoch: on SQLite nothing committed anywhere) and the
        token has not expired, so a read-heavy load decodes, checks and looks up each token
        once; a copy each time, as callers may decorate the record (expand, visibility)."""
        epoch = self.records.store.data_epoch()
        hit = self._cache.get(token, epoch)
        if hit is not None:
            collection, data, expires = hit
            if expires > time.time() and self.records.collections.get(collection.id) is collection:
                return Auth(Record(collection, dict(data)))
        record, expires = await self._signed_in(token)
        if record is None:
            return GUEST
        self._cache.put(token, epoch, (record.collection, dict(record.data), expires))
        return Auth(record)

    async def _signed_in(self, token: str) -> tuple[Record | None, float]:
        """The record an auth token signs in, and when the token expires."""
        try:
            claims = self.tokens.unverified_claims(token)
        except InvalidTokenError:
            return None, 0
        if claims.get("type") != TOKEN_AUTH:
            return None, 0
        collection = self.records.collections.get(str(claims.get("collectionId", "")))
        if collection is None or not collection.is_auth or not isinstance(claims.get("id"), str):
            return None, 0
        record = await self.records.find(collection, claims["id"])
        if record is None:
            return None, 0
        key = str(record.data["tokenKey"]) + collection.token_secret("authToken")
        try:
            verified = self.tokens.verify(token, key, TOKEN_AUTH)
        except InvalidTokenError:
            return None, 0
        return record, float(verified["exp"])

    def refresh(self, collection: Collection, auth: Auth) -> Record:
        """The record of a refreshable token of this collection, for a new token."""
        if auth.record is None:
            raise UnauthorizedError()
        if auth.record.collection.id != collection.id:
            raise ForbiddenError(
                f"The request requires auth record from {collection.name} collection."
            )
        return auth.record

    # -- superusers (the command line's ``superuser`` group) ---------------------------------

    async def upsert_superuser(self, email: str, password: str) -> Record:
        """Create the superuser, or set the password of an existing one (rotating tokenKey)."""
        collection = self.auth_collection(SUPERUSERS)
        existing = await self.records.find_by(collection, "email", email)
        if existing is None:
            return await self.create_superuser(email, password)
        password_field = collection.field("password")
        token_key_field = collection.field("tokenKey")
        assert password_field is not None and token_key_field is not None
        error = validate(password_field, password)
        if error is not None:
            raise ValidationError({"password": error})
        changes = {
            "password": await self.passwords.hash(password),
            # A new tokenKey revokes every token issued before, as PocketBase's upsert does.
            "tokenKey": generate(token_key_field.opt("autogeneratePattern")),
        }
        return await self.records.write_fields(collection, existing.id, changes)

    async def create_superuser(self, email: str, password: str) -> Record:
        collection = self.auth_collection(SUPERUSERS)
        body = {"email": email, "password": password, "passwordConfirm": password}
        superuser = Caller(Auth(Record(collection, {"id": "", "tokenKey": ""})))
        return await self.records.create(collection, body, superuser)

    async def delete_superuser(self, email: str) -> None:
        collection = self.auth_collection(SUPERUSERS)
        record = await self.records.find_by(collection, "email", email)
        if record is None:
            raise NotFoundError(f"Superuser {email!r} is missing.")
        await self.records.delete(collection, record.id, Caller(Auth(record)))
