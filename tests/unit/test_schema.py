"""DDL per dialect and the translation of PocketBase's CREATE INDEX syntax."""

from __future__ import annotations

import pytest

from ferrybase.core.collections import Collection, superusers_collection
from ferrybase.core.fields import Field
from ferrybase.core.schema import column_type, create_table, translate_index
from ferrybase.filter.dialect import POSTGRES, SQLITE


@pytest.mark.parametrize(
    ("sql", "sqlite", "postgres"),
    [
        (
            "CREATE UNIQUE INDEX `idx_email_x` ON `users` (`email`) WHERE `email` != ''",
            'CREATE UNIQUE INDEX "idx_email_x" ON "users" ("email") WHERE "email" != \'\'',
            'CREATE UNIQUE INDEX "idx_email_x" ON "users" ("email") WHERE "email" != \'\'',
        ),
        (
            "CREATE INDEX `idx_posts_created` ON `posts` (`created` DESC, `title`)",
            'CREATE INDEX "idx_posts_created" ON "posts" ("created" DESC, "title")',
            'CREATE INDEX "idx_posts_created" ON "posts" ("created" DESC, "title")',
        ),
        (
            "create unique index idx_n on things (name collate nocase)",
            'CREATE UNIQUE INDEX "idx_n" ON "things" ("name" COLLATE NOCASE)',
            'CREATE UNIQUE INDEX "idx_n" ON "things" (LOWER("name"))',
        ),
    ],
)
def test_translate_index(sql: str, sqlite: str, postgres: str) -> None:
    assert translate_index(sql, SQLITE) == sqlite
    assert translate_index(sql, POSTGRES) == postgres


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE users",
        "CREATE INDEX x ON t (a); DROP TABLE t",
        "CREATE INDEX x ON t (a) WHERE 1=1 OR (SELECT 1)",
        'CREATE INDEX `x"` ON t (a)',
        "CREATE INDEX x ON t (a COLLATE rtrim)",
        "CREATE INDEX x ON t (lower(a))",
    ],
)
def test_translate_index_refuses_anything_else(sql: str) -> None:
    with pytest.raises(ValueError):
        translate_index(sql, SQLITE)


@pytest.mark.parametrize(
    ("field", "sqlite", "postgres"),
    [
        (Field("t", "text"), "TEXT NOT NULL DEFAULT ''", "TEXT COLLATE \"C\" NOT NULL DEFAULT ''"),
        (Field("n", "number"), "NUMERIC NOT NULL DEFAULT 0", "DOUBLE PRECISION NOT NULL DEFAULT 0"),
        (Field("b", "bool"), "BOOLEAN NOT NULL DEFAULT FALSE", "BOOLEAN NOT NULL DEFAULT FALSE"),
        (Field("j", "json"), "JSON DEFAULT NULL", "JSONB DEFAULT NULL"),
        (
            Field("s", "select", options={"maxSelect": 3, "values": ["a"]}),
            "JSON NOT NULL DEFAULT '[]'",
            "JSONB NOT NULL DEFAULT '[]'",
        ),
        (
            Field("r", "relation", options={"maxSelect": 1}),
            "TEXT NOT NULL DEFAULT ''",
            "TEXT COLLATE \"C\" NOT NULL DEFAULT ''",
        ),
        (
            Field("g", "geoPoint"),
            'JSON NOT NULL DEFAULT \'{"lon":0,"lat":0}\'',
            'JSONB NOT NULL DEFAULT \'{"lon":0,"lat":0}\'',
        ),
    ],
)
def test_column_types(field: Field, sqlite: str, postgres: str) -> None:
    assert column_type(field, SQLITE) == sqlite
    assert column_type(field, POSTGRES) == postgres


def test_create_table_has_a_rowid_on_postgres_only() -> None:
    collection = superusers_collection()
    sqlite = create_table(collection, SQLITE)
    postgres = create_table(collection, POSTGRES)
    assert '"_rowid" BIGSERIAL' in postgres[0]
    assert "_rowid" not in sqlite[0]
    assert sqlite[0].startswith('CREATE TABLE "_superusers" ("id" TEXT PRIMARY KEY NOT NULL')
    assert len(sqlite) == 3  # the table and its two unique indexes


def test_bad_collection_names_never_reach_sql() -> None:
    with pytest.raises(ValueError):
        create_table(Collection(name='x"; DROP TABLE _params; --'), SQLITE)
