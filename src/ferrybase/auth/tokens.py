"""Tokens: HS256 JWTs with PocketBase's claims, signed with ``tokenKey + collection secret``.

Only HS256 is accepted: ``none``, other algorithms, tampered payloads and expired tokens are
refused. Binding the key to the record's ``tokenKey`` means rotating it (a password change)
revokes every token issued before.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections import OrderedDict
from typing import Any

import jwt
import orjson

from ferrybase.core.ports import InvalidTokenError as InvalidToken

ALGORITHM = "HS256"

AUTH = "auth"
FILE = "file"
VERIFICATION = "verification"
PASSWORD_RESET = "passwordReset"
EMAIL_CHANGE = "emailChange"


def sign(claims: dict[str, Any], key: str, duration: int) -> str:
    """Sign ``claims`` plus an ``exp`` that many seconds from now."""
    payload = dict(claims)
    payload["exp"] = int(time.time()) + duration
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def unverified_claims(token: str) -> dict[str, Any]:
    """Read the claims without checking the signature, to find the key to check it with.

    Only a well-formed HS256 token gets this far; :func:`verify` then checks it with PyJWT.
    """
    try:
        header_b64, payload_b64, _ = token.split(".")
        header = orjson.loads(_b64decode(header_b64))
        claims = orjson.loads(_b64decode(payload_b64))
    except (ValueError, binascii.Error) as exc:  # orjson.JSONDecodeError is a ValueError
        raise InvalidToken("malformed token") from exc
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
        raise InvalidToken("unsupported algorithm")
    if not isinstance(claims, dict):
        raise InvalidToken("claims are not an object")
    return claims


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify(token: str, key: str, token_type: str) -> dict[str, Any]:
    """Check signature, expiry and type; return the claims.

    A signature checked once with a key is remembered (bounded): the same token with the same
    key needs no second HMAC, while a changed ``tokenKey`` (a new key) or the expiry still
    refuse it.
    """
    claims = _verified(token, key)
    if claims is None:
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["exp"]})
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        _remember(token, key, claims)
    elif not isinstance(claims.get("exp"), int | float) or claims["exp"] <= time.time():
        raise InvalidToken("expired")
    if claims.get("type") != token_type:
        raise InvalidToken("wrong token type")
    return claims


_CACHE_SIZE = 4096
_cache: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()


def _verified(token: str, key: str) -> dict[str, Any] | None:
    claims = _cache.get((token, key))
    if claims is not None:
        _cache.move_to_end((token, key))
    return claims


def _remember(token: str, key: str, claims: dict[str, Any]) -> None:
    _cache[(token, key)] = claims
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)


class JwtTokens:
    """The ``core.ports.Tokens`` implementation."""

    def sign(self, claims: dict[str, Any], key: str, duration: int) -> str:
        return sign(claims, key, duration)

    def unverified_claims(self, token: str) -> dict[str, Any]:
        return unverified_claims(token)

    def verify(self, token: str, key: str, token_type: str) -> dict[str, Any]:
        return verify(token, key, token_type)
