"""Password hashing and token signing."""

from __future__ import annotations

import time

import bcrypt
import jwt
import pytest

from ferrybase.auth import tokens
from ferrybase.auth.passwords import PasswordHasher, hash_password, verify_password
from ferrybase.core.ports import InvalidTokenError

KEY = "k" * 80


def test_argon2id_at_owasp_minimum() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong horse")


def test_pocketbase_bcrypt_hashes_verify() -> None:
    hashed = bcrypt.hashpw(b"imported", bcrypt.gensalt(rounds=4)).decode()
    assert verify_password(hashed, "imported")
    assert not verify_password(hashed, "other")
    assert not verify_password("plain-text", "plain-text")
    assert not verify_password("$2b$garbage", "x")


async def test_unknown_identity_still_costs_a_verification() -> None:
    hasher = PasswordHasher()
    started = time.perf_counter()
    assert await hasher.verify(None, "anything") is False
    assert time.perf_counter() - started > 0.005  # an argon2 verification was spent


def test_sign_and_verify() -> None:
    token = tokens.sign({"id": "a", "type": "auth"}, KEY, 60)
    claims = tokens.verify(token, KEY, "auth")
    assert claims["id"] == "a" and claims["exp"] > time.time()
    assert "iat" not in claims
    assert tokens.unverified_claims(token)["id"] == "a"


@pytest.mark.parametrize(
    "token",
    [
        tokens.sign({"id": "a", "type": "auth"}, "x" * 80, 60),  # other key
        tokens.sign({"id": "a", "type": "file"}, KEY, 60),  # other type
        tokens.sign({"id": "a", "type": "auth"}, KEY, -10),  # expired
        jwt.encode({"id": "a", "type": "auth"}, KEY, algorithm="HS256"),  # no exp
        jwt.encode({"id": "a", "type": "auth", "exp": 2**40}, KEY, algorithm="HS512"),
        "not.a.token",
    ],
)
def test_verify_refuses(token: str) -> None:
    with pytest.raises(InvalidTokenError):
        tokens.verify(token, KEY, "auth")


def test_unverified_claims_refuse_other_algorithms() -> None:
    none_token = jwt.encode({"id": "a"}, "", algorithm="none")
    with pytest.raises(InvalidTokenError):
        tokens.unverified_claims(none_token)


def test_a_remembered_token_still_expires_and_needs_its_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = tokens.sign({"id": "a", "type": "auth"}, KEY, 60)
    assert tokens.verify(token, KEY, "auth")["id"] == "a"
    assert tokens.verify(token, KEY, "auth")["id"] == "a"  # from the cache
    with pytest.raises(InvalidTokenError):
        tokens.verify(token, "another-key-" + KEY, "auth")  # a rotated tokenKey
    with pytest.raises(InvalidTokenError):
        tokens.verify(token, KEY, "file")
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 120)
    with pytest.raises(InvalidTokenError):
        tokens.verify(token, KEY, "auth")  # expired, although remembered
