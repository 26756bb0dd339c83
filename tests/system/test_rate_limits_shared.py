"""The rate-limit window is shared: requests spread over two workers pass exactly maxRequests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.support.servers import Server, run_cli

SU = ("root@example.com", "root-password")
MAX_REQUESTS = 25


async def test_window_shared_by_two_workers(data_dir: Path, db: str) -> None:
    assert run_cli("superuser", "upsert", *SU, data_dir=data_dir, db=db).returncode == 0
    with Server(data_dir, db, workers=2) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            token = (
                await client.post(
                    "/api/collections/_superusers/auth-with-password",
                    json={"identity": SU[0], "password": SU[1]},
                )
            ).json()["token"]
            rule = {"label": "/api/health", "audience": "", "duration": 120}
            settings = {
                "rateLimits": {"enabled": True, "rules": [{**rule, "maxRequests": MAX_REQUESTS}]}
            }
            response = await client.patch(
                "/api/settings", json=settings, headers={"Authorization": token}
            )
            assert response.status_code == 200, response.text
        await asyncio.sleep(1.2)  # the other worker re-reads the settings within 1 s

        async def one_client() -> list[int]:
            # a connection of its own, so the clients spread over both workers
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as own:
                return [(await own.get("/api/health")).status_code for _ in range(5)]

        results = [
            s for batch in await asyncio.gather(*(one_client() for _ in range(20))) for s in batch
        ]
        assert results.count(200) == MAX_REQUESTS
        assert results.count(429) == len(results) - MAX_REQUESTS
