"""Runtime configuration: one frozen value built from flags or environment variables.

Every command-line flag has an environment twin (``--http`` / ``FERRYBASE_HTTP``); the
server's worker processes rebuild the same :class:`Config` from the environment that the
``serve`` command exported, so both always agree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HTTP = "127.0.0.1:8090"
DEFAULT_DIR = "fb_data"
# PocketBase's limit for a request body (the default of its body-limit middleware).
DEFAULT_MAX_BODY = 32 << 20

ENV_HTTP = "FERRYBASE_HTTP"
ENV_DIR = "FERRYBASE_DIR"
ENV_DB = "FERRYBASE_DB"
ENV_WORKERS = "FERRYBASE_WORKERS"
ENV_DEV = "FERRYBASE_DEV"
ENV_FEED_RETENTION = "FERRYBASE_FEED_RETENTION"
DEFAULT_FEED_RETENTION = 3600.0


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Config:
    """Everything the composition root needs to build an app."""

    http: str = DEFAULT_HTTP
    dir: Path = field(default_factory=lambda: Path(DEFAULT_DIR))
    db: str = ""
    workers: int = field(default_factory=default_workers)
    dev: bool = False
    max_body_size: int = DEFAULT_MAX_BODY
    feed_retention: float = DEFAULT_FEED_RETENTION
    """Seconds the change feed keeps a change (for realtime resumes)."""

    @property
    def database_url(self) -> str:
        """The store to open: ``postgresql://...`` or ``sqlite:///<dir>/data.db``."""
        if self.db:
            return self.db
        return f"sqlite:///{(self.dir / 'data.db').resolve()}"

    @property
    def host(self) -> str:
        return split_address(self.http)[0]

    @property
    def port(self) -> int:
        return split_address(self.http)[1]

    def to_env(self) -> dict[str, str]:
        """The environment that makes :meth:`from_env` rebuild this config."""
        return {
            ENV_HTTP: self.http,
            ENV_DIR: str(self.dir),
            ENV_DB: self.db,
            ENV_WORKERS: str(self.workers),
            ENV_DEV: "1" if self.dev else "",
            ENV_FEED_RETENTION: str(self.feed_retention),
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        workers = env.get(ENV_WORKERS, "")
        return cls(
            http=env.get(ENV_HTTP) or DEFAULT_HTTP,
            dir=Path(env.get(ENV_DIR) or DEFAULT_DIR),
            db=env.get(ENV_DB, ""),
            workers=int(workers) if workers else default_workers(),
            dev=env.get(ENV_DEV, "").lower() in ("1", "true", "yes"),
            feed_retention=float(env.get(ENV_FEED_RETENTION) or DEFAULT_FEED_RETENTION),
        )


def split_address(address: str) -> tuple[str, int]:
    """``"127.0.0.1:8090"`` -> ``("127.0.0.1", 8090)``; ``":8090"`` binds every interface."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"invalid --http address {address!r}: expected HOST:PORT")
    host = host.strip("[]") or "0.0.0.0"  # noqa: S104 - an explicit ":PORT" asks for all interfaces
    return host, int(port)
