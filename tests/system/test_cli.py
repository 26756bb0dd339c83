"""The command line: --version and the superuser group, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx

from ferrybase import __version__
from tests.support.servers import Server, run_cli

AUTH = "/api/collections/_superusers/auth-with-password"


def test_version(data_dir: Path) -> None:
    result = run_cli("--version", data_dir=data_dir)
    assert result.returncode == 0
    assert result.stdout.strip() == f"ferrybase version {__version__}"


def test_superuser_commands_then_sign_in(data_dir: Path, db: str) -> None:
    upsert = run_cli(
        "superuser", "upsert", "root@example.com", "first-password", data_dir=data_dir, db=db
    )
    assert upsert.returncode == 0, upsert.stderr
    assert 'Successfully saved superuser "root@example.com"!' in upsert.stdout
    # upsert again: the password changes
    again = run_cli(
        "superuser", "upsert", "root@example.com", "second-password", data_dir=data_dir, db=db
    )
    assert again.returncode == 0, again.stderr
    created = run_cli(
        "superuser", "create", "two@example.com", "two-password", data_dir=data_dir, db=db
    )
    assert created.returncode == 0, created.stderr
    duplicate = run_cli(
        "superuser", "create", "two@example.com", "two-password", data_dir=data_dir, db=db
    )
    assert duplicate.returncode != 0
    assert "Value must be unique" in duplicate.stderr
    bad = run_cli("superuser", "upsert", "not-an-email", "long-enough-pw", data_dir=data_dir, db=db)
    assert bad.returncode != 0 and "valid email" in bad.stderr
    short = run_cli("superuser", "upsert", "root@example.com", "short", data_dir=data_dir, db=db)
    assert short.returncode != 0 and "at least 8" in short.stderr

    with Server(data_dir, db) as server:
        ok = httpx.post(
            server.url + AUTH, json={"identity": "root@example.com", "password": "second-password"}
        )
        assert ok.status_code == 200
        old = httpx.post(
            server.url + AUTH, json={"identity": "root@example.com", "password": "first-password"}
        )
        assert old.status_code == 400

    deleted = run_cli("superuser", "delete", "two@example.com", data_dir=data_dir, db=db)
    assert deleted.returncode == 0, deleted.stderr
    missing = run_cli("superuser", "delete", "two@example.com", data_dir=data_dir, db=db)
    assert missing.returncode != 0


def test_serve_starts_on_an_empty_database_and_sees_cli_changes(data_dir: Path, db: str) -> None:
    with Server(data_dir, db) as server:
        assert httpx.get(server.url + "/api/health").json()["code"] == 200
        # superuser upsert works against the database of a running server, as in PocketBase
        result = run_cli(
            "superuser", "upsert", "live@example.com", "live-password", data_dir=data_dir, db=db
        )
        assert result.returncode == 0, result.stderr
        signed_in = httpx.post(
            server.url + AUTH, json={"identity": "live@example.com", "password": "live-password"}
        )
        assert signed_in.status_code == 200
        assert signed_in.json()["record"]["email"] == "live@example.com"


def test_unusable_databases_are_one_line_errors_without_secrets(data_dir: Path) -> None:
    for args in (
        ("serve", "--db", "mysql://user:secretpw@x/db"),
        (
            "superuser",
            "upsert",
            "a@b.co",
            "12345678",
            "--db",
            "postgresql://u:secretpw@127.0.0.1:1/x",
        ),
    ):
        result = run_cli(*args, data_dir=data_dir)
        assert result.returncode == 1
        assert result.stderr.startswith("Error: cannot open ")
        assert "Traceback" not in result.stderr and "secretpw" not in result.stderr
        assert ":***@" in result.stderr
