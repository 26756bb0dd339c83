"""Rate limiting with PocketBase's rules, counted in the database.

The settings' ``rateLimits`` section holds rules ``{label, audience, duration, maxRequests}``.
A request carries a list of labels, most specific first (``posts:create``, ``*:create``,
``POST /api/collections/posts/records``, ``/api/collections/posts/records``); the first label
with a rule of a matching audience decides, and a rule whose label ends with ``/`` matches
every path under it (PocketBase's ``FindRateLimitRule``).

Each (limiter key, client IP) owns a fixed window, as PocketBase's ``rateClient``: the first
request opens a window of ``duration`` seconds, at most ``maxRequests`` pass inside it, and
the first request at or after its end opens the next one. Refused requests do not extend it.

The windows live in the ``_rateLimits`` table so every worker and node shares them. One
statement both counts and answers (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), so two
processes can never both let request ``maxRequests + 1`` through: the row is locked (PostgreSQL)
or the database is (SQLite) while it is counted. Window times are whole seconds of the clock
of the process counting (nodes need synchronised clocks). Each process prunes ended windows
once a minute.

Settings are re-read at most every :data:`SETTINGS_TTL` seconds (and at once in the process
that changed them), so another worker or node follows a change within that bound. A digest of
the settings is part of every key, so a settings change starts fresh windows, as PocketBase's
reload does (a change undone within a window finds that window again).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ferrybase.core.ports import Store
from ferrybase.errors import FieldError

AUDIENCE_ALL = ""
AUDIENCE_GUEST = "@guest"
AUDIENCE_AUTH = "@auth"
GUEST_AUDIENCES = (AUDIENCE_ALL, AUDIENCE_GUEST)
AUTH_AUDIENCES = (AUDIENCE_ALL, AUDIENCE_AUTH)

SETTINGS_TTL = 1.0
PRUNE_EVERY = 60

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Counts one request and returns the count of its window. Refused requests leave the count
# at maxRequests + 1, so it never grows without bound. The existing row's values are read
# through the table alias, before the update (both stores).
_HIT = (
    'INSERT INTO "_rateLimits" AS t ("key", "reset", "hits") VALUES (?, ?, 1) '
    'ON CONFLICT ("key") DO UPDATE SET '
    '"hits" = CASE WHEN t."reset" <= ? THEN 1 WHEN t."hits" > ? THEN t."hits" '
    'ELSE t."hits" + 1 END, '
    '"reset" = CASE WHEN t."reset" <= ? THEN ? ELSE t."reset" END '
    'RETURNING "hits"'
)
_PRUNE = 'DELETE FROM "_rateLimits" WHERE "reset" <= ?'


@dataclass(frozen=True)
class RateLimitRule:
    label: str
    audience: str
    duration: int
    max_requests: int


@dataclass(frozen=True)
class RateLimitConfig:
    """The ``rateLimits`` and ``trustedProxy`` settings, parsed once per load."""

    enabled: bool = False
    rules: tuple[RateLimitRule, ...] = ()
    excluded: tuple[_Network, ...] = ()
    proxy_headers: tuple[str, ...] = ()
    use_leftmost_ip: bool = False
    # Part of every counter's key: changed settings start fresh windows, as PocketBase
    # drops its limiters whenever the settings are saved.
    fingerprint: str = ""
    _prefix_rules: tuple[RateLimitRule, ...] = field(default=(), repr=False)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> RateLimitConfig:
        section = settings.get("rateLimits") or {}
        proxy = settings.get("trustedProxy") or {}
        rules = tuple(
            RateLimitRule(
                str(r.get("label", "")),
                str(r.get("audience", "")),
                int(r.get("duration") or 0),
                int(r.get("maxRequests") or 0),
            )
            for r in section.get("rules") or ()
        )
        document = orjson.dumps(settings, option=orjson.OPT_SORT_KEYS)
        digest = hashlib.blake2b(document, digest_size=6).hexdigest()
        return cls(
            enabled=bool(section.get("enabled")),
            rules=rules,
            excluded=tuple(_networks(section.get("excludedIPs") or ())),
            proxy_headers=tuple(str(h) for h in proxy.get("headers") or ()),
            use_leftmost_ip=bool(proxy.get("useLeftmostIP")),
            fingerprint=digest,
            _prefix_rules=tuple(r for r in rules if r.label.endswith("/")),
        )

    def find_rule(self, labels: Sequence[str], audiences: Sequence[str]) -> RateLimitRule | None:
        """The rule of the first label that has one, exact labels before path prefixes."""
        for label in labels:
            for rule in self.rules:
                if rule.label == label and rule.audience in audiences:
                    return rule
            with_slash = label + "/"
            for rule in self._prefix_rules:
                if with_slash.startswith(rule.label) and rule.audience in audiences:
                    return rule
        return None

    def is_excluded(self, ip: str) -> bool:
        if not self.excluded or not ip:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.excluded)

    def client_ip(self, headers: Callable[[str], list[str]], remote: str) -> str:
        """PocketBase's ``RealIP``: the last value of the first trusted proxy header present,
        its rightmost parsable address (or leftmost, if so configured); else the peer."""
        for name in self.proxy_headers:
            values = headers(name)
            if not values or not values[-1]:
                continue
            candidates = values[-1].split(",")
            if not self.use_leftmost_ip:
                candidates.reverse()
            for candidate in candidates:
                try:
                    return ipaddress.ip_address(candidate.strip()).exploded
                except ValueError:
                    continue
        return remote


def ip_in_list(items: Sequence[Any], ip: str) -> bool:
    """Whether ``ip`` is one of the addresses or inside one of the subnets listed
    (PocketBase's ``isIPInList``: ``superuserIPs``); entries that are neither are skipped."""
    if not items or not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in _networks(items))


def _networks(items: Sequence[Any]) -> list[_Network]:
    out: list[_Network] = []
    for item in items:
        try:
            out.append(ipaddress.ip_network(str(item), strict=False))
        except ValueError:
            continue  # PocketBase ignores entries that are neither an address nor a subnet
    return out


def path_labels(method: str, path: str) -> list[str]:
    return [f"{method} {path}", path]


def collection_labels(collection: str, tags: Sequence[str], method: str, path: str) -> list[str]:
    """``posts:create``, ``*:create``, then the path labels (PocketBase's order)."""
    return [
        *(f"{collection}:{tag}" for tag in tags),
        *(f"*:{tag}" for tag in tags),
        *path_labels(method, path),
    ]


class RateLimiter:
    """The settings cache and the shared counters of one process.

    ``load_settings`` reads the whole settings document (``core.settings.load``); without it
    :meth:`config` says disabled and only :meth:`allow` is of use (fixed internal limits, such
    as the attempts at one OTP).
    """

    def __init__(
        self,
        store: Store,
        load_settings: Callable[[], Awaitable[Mapping[str, Any]]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.load_settings = load_settings
        self.clock = clock
        self._config = RateLimitConfig()
        self._loaded_at = -SETTINGS_TTL
        self._next_prune = 0

    async def config(self) -> RateLimitConfig:
        now = time.monotonic()
        if self.load_settings is not None and now - self._loaded_at >= SETTINGS_TTL:
            self._config = RateLimitConfig.from_settings(await self.load_settings())
            self._loaded_at = now
        return self._config

    def invalidate(self) -> None:
        """Re-read the settings on the next request (this process changed them)."""
        self._loaded_at = -SETTINGS_TTL

    async def allow(self, key: str, rule: RateLimitRule) -> bool:
        """Count one request of ``key`` under ``rule``; False once the window is used up."""
        now = int(self.clock())
        params = (key, now + rule.duration, now, rule.max_requests, now, now + rule.duration)
        if self.store.dialect.is_postgres:
            hits = await self.store.fetch_value(_HIT, params)  # one round trip, autocommit
        else:
            async with self.store.transaction() as tx:  # the writer connection
                hits = await tx.fetch_value(_HIT, params)
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY
            await self.store.execute(_PRUNE, (now,))
        return int(hits) <= rule.max_requests


# PocketBase's label format: "METHOD /path", "/path", "name:tag", "*:tag" or a plain tag.
_LABEL = re.compile(r"^(\w+ /[\w/-]*|/[\w/-]*|\w+:\w+|\*:\w+|\w+)$", re.ASCII)
_BLANK = FieldError("validation_required", "Cannot be blank.")
_AT_LEAST_ONE = FieldError(
    "validation_min_greater_equal_than_required", "Must be no less than 1.", {"threshold": 1}
)


def rate_limit_errors(section: Mapping[str, Any]) -> dict[str, Any]:
    """PocketBase's validation errors of a ``rateLimits`` section (empty when it is valid)."""
    errors: dict[str, Any] = {}
    rules = section.get("rules") or []
    if section.get("enabled") and not rules:
        errors["rules"] = _BLANK
    elif conflict := _conflicting_rule(rules):
        errors["rules"] = conflict
    else:
        by_index = {str(i): e for i, rule in enumerate(rules) if (e := _rule_errors(rule))}
        if by_index:
            errors["rules"] = by_index
    ips: dict[str, FieldError] = {}
    for i, item in enumerate(section.get("excludedIPs") or []):
        if not item:
            ips[str(i)] = _BLANK
        elif not _networks([item]):
            ips[str(i)] = FieldError(
                "validation_invlaid_ip_or_subnet", "Invalid IP or CIDR subnet."
            )  # sic: PocketBase's code
    if ips:
        errors["excludedIPs"] = ips
    return errors


def _conflicting_rule(rules: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The first rule whose ``label@@audience`` is a prefix of an earlier one's, or the reverse."""
    seen: list[str] = []
    for i, rule in enumerate(rules):
        label = str(rule.get("label", ""))
        key = f"{label}@@{rule.get('audience', '')}"
        if any(k.startswith(key) or key.startswith(k) for k in seen):
            message = (
                f"Rate limit rule configuration with label {label} already exists or "
                "conflicts with another rule."
            )
            error = FieldError("validation_conflicting_rate_limit_rule", message, {"label": label})
            return {str(i): {"label": error}}
        seen.append(key)
    return None


def _rule_errors(rule: Mapping[str, Any]) -> dict[str, FieldError]:
    errors: dict[str, FieldError] = {}
    label = str(rule.get("label", ""))
    if not label:
        errors["label"] = _BLANK
    elif not _LABEL.match(label):
        errors["label"] = FieldError("validation_match_invalid", "Must be in a valid format.")
    for key in ("maxRequests", "duration"):
        value = int(rule.get(key) or 0)
        if value == 0:
            errors[key] = _BLANK
        elif value < 1:
            errors[key] = _AT_LEAST_ONE
    if rule.get("audience", "") not in (AUDIENCE_ALL, AUDIENCE_GUEST, AUDIENCE_AUTH):
        errors["audience"] = FieldError("validation_in_invalid", "Must be a valid value.")
    return errors
