"""Concurrent ``views+`` updates through two worker processes never lose a count."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.support.servers import Server, run_cli

SU = ("root@example.com", "root-password")


async def test_concurrent_increments_across_workers(data_dir: Path, db: str) -> None:
    assert run_cli("superuser", "upsert", *SU, data_dir=data_dir, db=db).returncode == 0
    with Server(data_dir, db, workers=2) as server:
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:
            token = (
                await client.post(
                    "/api/collections/_superusers/auth-with-password",
                    json={"identity": SU[0], "password": SU[1]},
                )
            ).json()["token"]
            su = {"Authorization": token}
            collection = {
                "name": "counters",
                "fields": [{"name": "views", "type": "number"}],
                "updateRule": "",
                "viewRule": "",
            }
            assert (await client.post("/api/collections", json=collection, headers=su)).is_success
            record = (
                await client.post("/api/collections/counters/records", json={}, headers=su)
            ).json()
            url = f"/api/collections/counters/records/{record['id']}"

            async def one_client() -> None:
                # a connection of its own, so the 20 clients spread over both workers
                async with httpx.AsyncClient(base_url=server.url, timeout=30) as own:
                    for _ in range(10):
                        response = await own.patch(url, json={"views+": 1})
                        assert response.status_code == 200, response.text

            await asyncio.gather(*(one_client() for _ in range(20)))
            assert (await client.get(url)).json()["views"] == 200
