"""Acknowledged writes survive ``kill -9`` at a random moment, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from pathlib import Path

import httpx

from tests.support.servers import Server, run_cli

SU = ("root@example.com", "root-password")
RECORDS = "/api/collections/_superusers/records"


async def _token(client: httpx.AsyncClient, url: str) -> str:
    response = await client.post(
        f"{url}/api/collections/_superusers/auth-with-password",
        json={"identity": SU[0], "password": SU[1]},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


async def test_acknowledged_writes_survive_sigkill(data_dir: Path, db: str) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    print(f"seed={seed}")
    assert run_cli("superuser", "upsert", *SU, data_dir=data_dir, db=db).returncode == 0
    acknowledged: dict[str, str] = {}  # id -> email
    server = Server(data_dir, db, workers=2).start()
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            token = await _token(client, server.url)
            stop = asyncio.Event()
            flowing = asyncio.Event()

            async def writer(n: int) -> None:
                i = 0
                while not stop.is_set():
                    email = f"w{n}-{i}@example.com"
                    i += 1
                    body = {
                        "email": email,
                        "password": "password-1",
                        "passwordConfirm": "password-1",
                    }
                    try:
                        response = await client.post(
                            server.url + RECORDS, json=body, headers={"Authorization": token}
                        )
                    except httpx.HTTPError:
                        return  # the server died under us: this write was never acknowledged
                    if response.status_code == 200:
                        acknowledged[response.json()["id"]] = email
                        if len(acknowledged) >= 20:
                            flowing.set()

            writers = [asyncio.create_task(writer(n)) for n in range(12)]
            # Kill at a random moment once writes are flowing, however slow the machine is.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(flowing.wait(), timeout=60)
            await asyncio.sleep(rng.random() * 0.5)
            server.signal(signal.SIGKILL)
            killed_at = time.monotonic()
            stop.set()
            await asyncio.gather(*writers)
            assert time.monotonic() - killed_at < 15
    finally:
        server.kill()

    assert len(acknowledged) >= 20, "the load never got going"
    with Server(data_dir, db) as restarted:
        async with httpx.AsyncClient(timeout=10) as client:
            token = await _token(client, restarted.url)
            for record_id, email in acknowledged.items():
                response = await client.get(
                    f"{restarted.url}{RECORDS}/{record_id}", headers={"Authorization": token}
                )
                assert response.status_code == 200, (seed, record_id)
                assert response.json()["email"] == email
