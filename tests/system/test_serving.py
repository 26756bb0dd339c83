"""Serving: SIGTERM drains in-flight requests, several workers share one database."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson

from tests.support.servers import Server, run_cli

SU = ("root@example.com", "root-password")
AUTH = "/api/collections/_superusers/auth-with-password"


async def test_sigterm_drains_in_flight_requests(data_dir: Path) -> None:
    assert run_cli("superuser", "upsert", *SU, data_dir=data_dir).returncode == 0
    server = Server(data_dir, workers=2).start()
    body = orjson.dumps({"identity": SU[0], "password": SU[1]})
    sent_all = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        # The request is in flight (its body still arriving) when SIGTERM lands.
        for byte in body:
            yield bytes([byte])
            await asyncio.sleep(1.5 / len(body))
        sent_all.set()

    try:
        async with httpx.AsyncClient(timeout=20) as client:
            request = asyncio.create_task(
                client.post(
                    server.url + AUTH,
                    content=slow_body(),
                    headers={"Content-Type": "application/json", "Content-Length": str(len(body))},
                )
            )
            await asyncio.sleep(0.4)
            assert not sent_all.is_set()
            server.signal(signal.SIGTERM)
            response = await request
            assert response.status_code == 200, response.text
            assert response.json()["record"]["email"] == SU[0]
        assert await asyncio.to_thread(server.wait, 30) == 0
        # and it no longer accepts connections
        async with httpx.AsyncClient(timeout=2) as client:
            try:
                await client.get(server.url + "/api/health")
            except httpx.ConnectError:
                pass
            else:
                raise AssertionError("the server still answers after SIGTERM")
    finally:
        server.kill()


async def test_workers_share_the_database(data_dir: Path, db: str) -> None:
    assert run_cli("superuser", "upsert", *SU, data_dir=data_dir, db=db).returncode == 0
    with Server(data_dir, db, workers=2) as server:
        limits = httpx.Limits(max_keepalive_connections=0)  # new connections spread over workers
        async with httpx.AsyncClient(timeout=10, limits=limits) as client:
            token = (
                await client.post(server.url + AUTH, json={"identity": SU[0], "password": SU[1]})
            ).json()["token"]
            auth = {"Authorization": token}
            # A record written through one connection is readable through every other.
            created = []
            for i in range(8):
                body = {
                    "email": f"u{i}@example.com",
                    "password": "pw-123456",
                    "passwordConfirm": "pw-123456",
                }
                response = await client.post(
                    server.url + "/api/collections/_superusers/records", json=body, headers=auth
                )
                assert response.status_code == 200, response.text
                created.append(response.json()["id"])
            for record_id in created:
                for _ in range(3):
                    response = await client.get(
                        f"{server.url}/api/collections/_superusers/records/{record_id}",
                        headers=auth,
                    )
                    assert response.status_code == 200
    assert "worker-2" in server.log.read_text()
