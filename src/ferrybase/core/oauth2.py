"""OAuth2 sign-in: a provider's user in, an auth record of the collection out.

What the flow needs from a provider is declared here as Protocols (:class:`OAuth2Provider`,
:class:`OAuth2Providers`); ``auth/oauth2/`` implements them with Authlib. The order of the
steps is PocketBase's (``apis/record_auth_with_oauth2.go``):

1. the collection allows OAuth2 and names the provider (403, then 400 per field);
2. the provider exchanges the code for a token and tells who the user is;
3. an ``_externalAuths`` row for (collection, provider, provider's user id) names the record;
   else a record with the provider's (verified) e-mail is the one; else a new record is made
   from ``createData``, the e-mail and the collection's ``mappedFields``; a ``mappedFields``
   avatar into a file field is the picture downloaded (:class:`AvatarDownloads`), bounded in
   size and time, left empty when the download fails;
4. the link is written when missing, all in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from ferrybase.core.collections import SUPERUSERS, Collection
from ferrybase.core.files import UploadedFile
from ferrybase.core.ports import Executor
from ferrybase.core.record_files import FileJournal
from ferrybase.core.record_service import Records
from ferrybase.core.records import Auth, Record
from ferrybase.core.rules import Caller
from ferrybase.errors import BadRequestError, FieldError, ForbiddenError, ValidationError

log = logging.getLogger("ferrybase.oauth2")

EXTERNAL_AUTHS = "_externalAuths"

# PocketBase's bounds on the avatar download: 10 s in all, the request body limit (32 MiB).
AVATAR_TIMEOUT = 10.0
AVATAR_MAX_SIZE = 32 << 20

DISABLED = "The collection is not configured to allow OAuth2 authentication."
INVALID_BODY = "An error occurred while loading the submitted data."
TOKEN_FAILED = "Failed to fetch OAuth2 token."
USER_FAILED = "Failed to fetch OAuth2 user."

# ``mappedFields`` keys, and the attribute of :class:`OAuth2User` each one copies.
_MAPPED = {"id": "id", "name": "name", "username": "username", "avatarURL": "avatar_url"}


@dataclass
class OAuth2User:
    """Who the provider says signed in (PocketBase's ``auth.AuthUser``).

    ``email`` is set only when the provider vouches for it (verified), as PocketBase's
    providers do: an unverified address must never find an existing account.
    """

    id: str
    name: str = ""
    username: str = ""
    email: str = ""
    avatar_url: str = ""
    raw_user: dict[str, Any] = field(default_factory=dict)
    access_token: str = ""
    refresh_token: str = ""
    expiry: str = ""  # PocketBase's date text ("2026-11-25 12:41:19.765Z"), "" when unknown

    def meta(self, is_new: bool) -> dict[str, Any]:
        """The ``meta`` member of the auth-with-oauth2 response."""
        return {
            "id": self.id,
            "name": self.name,
            "username": self.username,
            "email": self.email,
            "isNew": is_new,
            "avatarURL": self.avatar_url,
            "avatarUrl": self.avatar_url,  # the name before PocketBase 0.23, still sent
            "rawUser": self.raw_user,
            "accessToken": self.access_token,
            "refreshToken": self.refresh_token,
            "expiry": self.expiry,
        }


class TokenExchangeError(Exception):
    """The provider refused the code (or could not be reached) at its token endpoint."""


class UserInfoError(Exception):
    """The provider gave a token but no usable user."""


class OAuth2Provider(Protocol):
    """One configured provider of one collection."""

    async def fetch_user(self, code: str, code_verifier: str, redirect_url: str) -> OAuth2User:
        """Exchange the authorization code and read the user.

        Raises :class:`TokenExchangeError` or :class:`UserInfoError`.
        """
        ...


class OAuth2Providers(Protocol):
    """Makes a provider from a collection's ``oauth2.providers`` entry."""

    def provider(self, config: dict[str, Any]) -> OAuth2Provider | None:
        """``None`` when no provider of that name exists."""
        ...


class AvatarDownloads(Protocol):
    """Downloads a provider's picture of the user."""

    async def download(self, url: str, max_size: int) -> bytes:
        """The body of a successful GET of ``url``; raises on any failure, including a body
        longer than ``max_size`` bytes."""
        ...


@dataclass
class OAuth2SignIn:
    """The outcome: the record, whether it was just created, and the provider's user."""

    record: Record
    is_new: bool
    user: OAuth2User


def provider_config(collection: Collection, name: str) -> dict[str, Any] | None:
    """The ``oauth2.providers`` entry called ``name``, if configured."""
    for config in collection.options.get("oauth2", {}).get("providers") or []:
        if isinstance(config, dict) and config.get("name") == name:
            return config
    return None


class OAuth2:
    """Sign in with an OAuth2 provider: find, link or create the auth record."""

    def __init__(
        self, records: Records, providers: OAuth2Providers, avatars: AvatarDownloads | None = None
    ) -> None:
        self.records = records
        self.providers = providers
        self.avatars = avatars

    async def sign_in(
        self, collection: Collection, body: dict[str, Any], caller: Caller
    ) -> OAuth2SignIn:
        if not collection.options.get("oauth2", {}).get("enabled"):
            raise ForbiddenError(DISABLED)
        name, code, verifier, redirect_url, create_data = _form(body)
        errors: dict[str, FieldError] = {}
        if not name:
            errors["provider"] = FieldError("validation_required", "Cannot be blank.")
        elif len(name) > 100:
            errors["provider"] = FieldError(
                "validation_length_too_long",
                "The maximum length is 100.",
                {"max": 100},
            )
        if not code:
            errors["code"] = FieldError("validation_required", "Cannot be blank.")
        config = provider_config(collection, name) if name else None
        provider = self.providers.provider(config) if config is not None else None
        if name and "provider" not in errors and provider is None:
            errors["provider"] = FieldError(
                "validation_invalid_provider",
                f"Provider with name {name} is missing or is not enabled.",
                {"name": name},
            )
        if errors:
            raise ValidationError(errors, INVALID_BODY)
        assert provider is not None
        try:
            user = await provider.fetch_user(code, verifier, redirect_url)
        except TokenExchangeError as exc:
            raise BadRequestError(TOKEN_FAILED) from exc
        except UserInfoError as exc:
            raise BadRequestError(USER_FAILED) from exc
        if not user.id:
            raise BadRequestError(USER_FAILED)
        return await self._link(collection, name, user, create_data, caller)

    async def _link(
        self,
        collection: Collection,
        provider: str,
        user: OAuth2User,
        create_data: dict[str, Any],
        caller: Caller,
    ) -> OAuth2SignIn:
        records = self.records
        external = records.collection(EXTERNAL_AUTHS)
        system = self._system_caller()
        # The picture is fetched before the transaction (no write lock waits on a provider),
        # only for whom no record exists yet; a race to create the record wastes it, no more.
        avatar_field = self._avatar_field(collection, user, create_data)
        avatar = None
        if avatar_field and not (
            await self._linked_record(records.store, external, collection, provider, user.id)
            or (user.email and await self._record_by_email(records.store, collection, user.email))
        ):
            avatar = await self._download_avatar(user.avatar_url)
        journal = records.journal()
        try:
            async with records.store.transaction() as tx:
                record = await self._linked_record(tx, external, collection, provider, user.id)
                linked = record is not None
                if record is None and user.email:
                    record = await self._record_by_email(tx, collection, user.email)
                is_new = record is None
                if record is None:
                    payload = dict(create_data)
                    if avatar is not None:
                        payload[avatar_field] = avatar
                    record = await self._create(tx, collection, user, payload, caller, journal)
                    record = await self._verify_new(tx, record, user, system)
                else:
                    record = await self._claim(tx, record, user, system)
                if not linked:
                    link = {
                        "collectionRef": collection.id,
                        "recordRef": record.id,
                        "provider": provider,
                        "providerId": user.id,
                    }
                    await records.create(external, link, system, tx)
        except BaseException:
            await journal.rollback()
            raise
        finally:
            if avatar is not None:
                avatar.close()
        await journal.commit()
        return OAuth2SignIn(record, is_new, user)

    def _avatar_field(
        self, collection: Collection, user: OAuth2User, create_data: dict[str, Any]
    ) -> str:
        """The file field the provider's picture goes into, when there is one to fill."""
        mapped = collection.options.get("oauth2", {}).get("mappedFields") or {}
        target = str(mapped.get("avatarURL") or "")
        target_field = collection.field(target) if target else None
        if target_field is None or target_field.type != "file" or target in create_data:
            return ""
        return target if user.avatar_url and self.avatars is not None else ""

    async def _download_avatar(self, url: str) -> UploadedFile | None:
        """The picture at ``url`` as an upload; ``None`` (logged) when it cannot be had, as
        PocketBase, which signs the user in without it."""
        assert self.avatars is not None
        try:
            async with asyncio.timeout(AVATAR_TIMEOUT):
                content = await self.avatars.download(url, AVATAR_MAX_SIZE)
        except Exception as exc:
            log.warning("Failed to retrieve OAuth2 avatar %s: %r", url, exc)
            return None
        if not content:
            log.warning("Failed to retrieve OAuth2 avatar %s: empty body", url)
            return None
        name = posixpath.basename(urlsplit(url).path) or "avatar"
        return UploadedFile.of_bytes(name, content)

    async def _linked_record(
        self,
        tx: Executor,
        external: Collection,
        collection: Collection,
        provider: str,
        provider_id: str,
    ) -> Record | None:
        q = self.records.store.dialect.quote
        row = await tx.fetch_one(
            f"SELECT {q('recordRef')} FROM {q(external.table)} WHERE {q('collectionRef')} = ? "
            f"AND {q('provider')} = ? AND {q('providerId')} = ? LIMIT 1",
            (collection.id, provider, provider_id),
        )
        if row is None:
            return None
        return await self.records.find(collection, str(row["recordRef"]), tx)

    async def _record_by_email(
        self, tx: Executor, collection: Collection, email: str
    ) -> Record | None:
        q = self.records.store.dialect.quote
        row = await tx.fetch_one(
            f"SELECT * FROM {q(collection.table)} WHERE {q('email')} = ? LIMIT 1", (email,)
        )
        return None if row is None else Record(collection, row)

    async def _create(
        self,
        tx: Executor,
        collection: Collection,
        user: OAuth2User,
        payload: dict[str, Any],
        caller: Caller,
        journal: FileJournal,
    ) -> Record:
        """A new record from ``payload`` (``createData`` and the picture), the provider's
        e-mail and the mapped fields; what the client sent comes first."""
        payload = dict(payload)
        if not payload.get("email"):
            payload["email"] = user.email
        if not payload.get("password"):
            # Nobody knows it: the account signs in through the provider (or a reset).
            password = secrets.token_urlsafe(24)
            payload["password"] = payload["passwordConfirm"] = password
        mapped = collection.options.get("oauth2", {}).get("mappedFields") or {}
        for key, attribute in _MAPPED.items():
            target = str(mapped.get(key) or "")
            target_field = collection.field(target) if target else None
            if target_field is None or target in payload:
                continue
            if key == "avatarURL" and target_field.type == "file":
                continue  # the downloaded picture, in ``payload`` when there is one
            payload[target] = getattr(user, attribute)
        return await self.records.create(collection, payload, caller, tx, files=journal)

    async def _verify_new(
        self, tx: Executor, record: Record, user: OAuth2User, system: Caller
    ) -> Record:
        if user.email and record.get("email") == user.email:
            # The provider vouched for the address the record was made with.
            return await self.records.update(
                record.collection, record.id, {"verified": True}, system, tx
            )
        return record

    async def _claim(
        self, tx: Executor, record: Record, user: OAuth2User, system: Caller
    ) -> Record:
        """An existing record signs in through the provider: fill its e-mail and verify it."""
        changes: dict[str, Any] = {}
        email = str(record.get("email") or "")
        if not email and user.email:
            # Made earlier through a provider that gave no address.
            changes["email"] = email = user.email
        if not record.get("verified") and email and email == user.email:
            changes["verified"] = True
            # Someone who registered this address without owning it must not keep a way in:
            # the password they chose is replaced, and their tokens are revoked with it.
            password = secrets.token_urlsafe(24)
            changes["password"] = changes["passwordConfirm"] = password
        if not changes:
            return record
        return await self.records.update(record.collection, record.id, changes, system, tx)

    def _system_caller(self) -> Caller:
        """The flow writes what no client may (``verified``, ``_externalAuths``) as a superuser
        would; what the client asked for (``createData``) still meets the create rule."""
        superusers = self.records.collection(SUPERUSERS)
        return Caller(Auth(Record(superusers, {"id": "", "tokenKey": ""})))


def _form(body: dict[str, Any]) -> tuple[str, str, str, str, dict[str, Any]]:
    """PocketBase's typed form: a value of the wrong type cannot load (400)."""
    values = []
    redirect = body.get("redirectURL")
    if redirect in (None, ""):
        redirect = body.get("redirectUrl")  # the name before PocketBase 0.23
    for value in (body.get("provider"), body.get("code"), body.get("codeVerifier"), redirect):
        if value is not None and not isinstance(value, str):
            raise BadRequestError(INVALID_BODY)
        values.append(value or "")
    create_data = body.get("createData")
    if create_data is None:
        create_data = {}
    if not isinstance(create_data, dict):
        raise BadRequestError(INVALID_BODY)
    return values[0], values[1], values[2], values[3], create_data
