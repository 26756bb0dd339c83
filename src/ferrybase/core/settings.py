"""Application settings: PocketBase's settings document, kept in ``_params``.

A PATCH merges a partial document into the stored one; a value of the wrong JSON type cannot
load (400), a value out of bounds fails validation with PocketBase's nested field errors.
Secrets (SMTP password, S3 secrets) are stored but never shown.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ferrybase.core.dates import now_text
from ferrybase.core.ports import Executor, Json, Store
from ferrybase.core.rate_limits import rate_limit_errors
from ferrybase.core.value_checks import is_url
from ferrybase.errors import FieldError, FieldErrors, InvalidBodyError, ValidationError

SETTINGS_KEY = "settings"
SAVE_FAILED = "An error occurred while saving the new settings."

_S3 = {
    "enabled": False,
    "bucket": "",
    "region": "",
    "endpoint": "",
    "accessKey": "",
    "secret": "",
    "forcePathStyle": False,
}

DEFAULTS: dict[str, Any] = {
    "superuserIPs": [],
    "smtp": {
        "enabled": False,
        "port": 587,
        "host": "smtp.example.com",
        "username": "",
        "password": "",
        "authMethod": "",
        "tls": False,
        "localName": "",
    },
    "backups": {"cron": "", "cronMaxKeep": 3, "s3": dict(_S3)},
    "s3": dict(_S3),
    "meta": {
        "accentColor": "#1055c9",
        "appName": "Acme",
        "appURL": "http://localhost:8090",
        "senderName": "Support",
        "senderAddress": "support@example.com",
        "hideControls": False,
    },
    "rateLimits": {
        "rules": [
            {"label": "*:auth", "audience": "", "duration": 3, "maxRequests": 2},
            {"label": "*:create", "audience": "", "duration": 5, "maxRequests": 20},
            {"label": "/api/batch", "audience": "", "duration": 1, "maxRequests": 3},
            {"label": "/api/", "audience": "", "duration": 10, "maxRequests": 300},
        ],
        "excludedIPs": [],
        "enabled": False,
    },
    "trustedProxy": {"headers": [], "useLeftmostIP": False},
    "batch": {"enabled": False, "maxRequests": 50, "timeout": 3, "maxBodySize": 0},
    "logs": {"maxDataSize": 0, "maxDays": 5, "minLevel": 0, "logIP": True, "logAuthId": False},
}

# Keys stored but never returned.
SECRETS = {("smtp", "password"), ("s3", "secret"), ("backups", "s3", "secret")}


def _required(value: Any) -> FieldError | None:
    if value in ("", None):
        return FieldError("validation_required", "Cannot be blank.")
    return None


def _at_least(low: int) -> Callable[[Any], FieldError | None]:
    def check(value: Any) -> FieldError | None:
        if value < low:
            return FieldError(
                "validation_min_greater_equal_than_required",
                f"Must be no less than {low}.",
                {"threshold": low},
            )
        return None

    return check


# Validation of individual settings, by path.
_CHECKS: dict[tuple[str, ...], Callable[[Any], FieldError | None]] = {
    ("meta", "appName"): _required,
    ("meta", "appURL"): lambda v: _required(v) or _url(v),
    ("meta", "senderName"): _required,
    ("meta", "senderAddress"): _required,
    ("batch", "maxRequests"): _at_least(0),
    ("batch", "timeout"): _at_least(0),
    ("batch", "maxBodySize"): _at_least(0),
    ("logs", "maxDays"): _at_least(0),
    ("logs", "maxDataSize"): _at_least(0),
    ("backups", "cronMaxKeep"): _at_least(1),
    ("smtp", "port"): _at_least(0),
    ("s3", "endpoint"): lambda v: _url(v),
    ("backups", "s3", "endpoint"): lambda v: _url(v),
}


class Settings:
    """Read and change the settings document."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def load(self, db: Executor | None = None) -> dict[str, Any]:
        """Every setting, secrets included (for the server's own use)."""
        stored = await (db or self.store).fetch_value(
            'SELECT "value" FROM "_params" WHERE "id" = ?', (SETTINGS_KEY,)
        )
        return _merge(copy.deepcopy(DEFAULTS), stored or {})

    async def public(self) -> dict[str, Any]:
        return without_secrets(await self.load())

    async def update(self, patch: dict[str, Any]) -> dict[str, Any]:
        _check_types(patch, DEFAULTS, ())
        async with self.store.transaction() as tx:
            current = await self.load(tx)
            updated = _merge(current, patch)
            errors = _validate(updated)
            if errors:
                raise ValidationError(errors, SAVE_FAILED)
            exists = await tx.fetch_value(
                'SELECT COUNT(*) FROM "_params" WHERE "id" = ?', (SETTINGS_KEY,)
            )
            if exists:
                await tx.execute(
                    'UPDATE "_params" SET "value" = ?, "updated" = ? WHERE "id" = ?',
                    (Json(updated), now_text(), SETTINGS_KEY),
                )
            else:
                now = now_text()
                await tx.execute(
                    'INSERT INTO "_params" ("id", "value", "created", "updated") '
                    "VALUES (?, ?, ?, ?)",
                    (SETTINGS_KEY, Json(updated), now, now),
                )
        return without_secrets(updated)


def without_secrets(settings: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(settings)
    for path in SECRETS:
        node = out
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)
    return out


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` merged into ``base``; objects merge key by key, everything else replaces."""
    for key, value in patch.items():
        if key not in base:
            continue  # unknown keys are ignored, as PocketBase does
        if isinstance(value, dict) and isinstance(base[key], dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _check_types(patch: Any, model: Any, path: tuple[str, ...]) -> None:
    """A value whose JSON type differs from the default's cannot load."""
    if isinstance(model, dict):
        if not isinstance(patch, dict):
            raise InvalidBodyError()
        for key, value in patch.items():
            if key in model:
                _check_types(value, model[key], (*path, key))
    elif isinstance(model, list):
        if not isinstance(patch, list):
            raise InvalidBodyError()
        if path == ("rateLimits", "rules"):
            for rule in patch:
                _check_types(rule, DEFAULTS["rateLimits"]["rules"][0], path)
        elif not all(isinstance(item, str) for item in patch):
            raise InvalidBodyError()
    elif isinstance(model, bool):
        if not isinstance(patch, bool):
            raise InvalidBodyError()
    elif isinstance(model, int):
        if isinstance(patch, bool) or not isinstance(patch, (int, float)):
            raise InvalidBodyError()
    elif isinstance(model, str) and not isinstance(patch, str):
        raise InvalidBodyError()


def _when_enabled(
    section: str | tuple[str, ...], key: str, check: Callable[[Any], FieldError | None]
) -> Callable[[dict[str, Any]], tuple[tuple[str, ...], FieldError] | None]:
    """A check of ``section.key`` that applies only while the section is enabled
    (``section`` may be a path: ``("backups", "s3")``)."""
    path = (section,) if isinstance(section, str) else section

    def run(settings: dict[str, Any]) -> tuple[tuple[str, ...], FieldError] | None:
        node = settings
        for part in path:
            node = node[part]
        if not node.get("enabled"):
            return None
        error = check(node[key])
        return None if error is None else ((*path, key), error)

    return run


def _url(value: Any) -> FieldError | None:
    if value and not is_url(str(value)):
        return FieldError("validation_is_url", "Must be a valid URL.")
    return None


def _positive(value: Any) -> FieldError | None:
    return FieldError("validation_required", "Cannot be blank.") if not value else None


_CONDITIONAL = (
    _when_enabled("batch", "maxRequests", _positive),
    _when_enabled("batch", "timeout", _positive),
    _when_enabled("smtp", "host", _required),
    _when_enabled("smtp", "port", _positive),
    *(
        _when_enabled(section, key, _required)
        for section in ("s3", ("backups", "s3"))
        for key in ("endpoint", "bucket", "region", "accessKey", "secret")
    ),
)


def _validate(settings: dict[str, Any]) -> dict[str, FieldErrors]:
    errors: dict[str, Any] = {}
    for conditional in _CONDITIONAL:
        found = conditional(settings)
        if found is not None:
            where, problem = found
            node = errors
            for part in where[:-1]:
                node = node.setdefault(part, {})
            node[where[-1]] = problem
    for path, check in _CHECKS.items():
        value: Any = settings
        for key in path:
            value = value[key]
        error = check(value)
        if error is not None:
            node = errors
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = error
    limits = rate_limit_errors(settings["rateLimits"])
    if limits:
        errors["rateLimits"] = limits
    return errors
