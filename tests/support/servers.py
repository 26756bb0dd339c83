"""Real ``ferrybase`` processes for system tests: start on a free port, wait, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

FERRYBASE = [sys.executable, "-m", "ferrybase"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run_cli(*args: str, data_dir: Path, db: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FERRYBASE_DIR": str(data_dir), "FERRYBASE_DB": db}
    return subprocess.run(
        [*FERRYBASE, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


class Server:
    """``ferrybase serve`` in a process group of its own (so kill reaches the workers)."""

    def __init__(self, data_dir: Path, db: str = "", workers: int = 1) -> None:
        self.data_dir, self.db, self.workers = data_dir, db, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "FERRYBASE_HTTP": f"127.0.0.1:{self.port}",
            "FERRYBASE_DIR": str(self.data_dir),
            "FERRYBASE_DB": self.db,
            "FERRYBASE_WORKERS": str(self.workers),
        }
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*FERRYBASE, "serve"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not become healthy:\n{self.log.read_text()}")

    def signal(self, sig: int) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
