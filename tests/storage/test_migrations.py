"""Schema migrations on a real SQLite file: once, idempotent, atomic, and from the CLI."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import aiosqlite
import pytest

from storage.db import open_database
from storage.migrations import (
    Migration,
    MigrationError,
    apply_migrations,
    bundled_migrations,
    load_migrations,
)
from tests.subprocess_env import bot_env

ROOT = Path(__file__).resolve().parents[2]


async def fetch(conn: aiosqlite.Connection, sql: str, *params: object) -> list[tuple[object, ...]]:
    async with conn.execute(sql, params) as cur:
        return [tuple(r) async for r in cur]


async def tables(conn: aiosqlite.Connection) -> set[str]:
    found = await fetch(conn, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(r[0]) for r in found}


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "m.db", migrate=False)
    yield connection
    await connection.close()


def test_bundled_migrations_are_numbered_from_one_without_gaps() -> None:
    found = bundled_migrations()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert found[0].name == "foundation"
    assert all(m.sql.strip() for m in found)


def test_load_migrations_from_a_folder_ignores_other_files(tmp_path: Path) -> None:
    (tmp_path / "0002_second.sql").write_text("CREATE TABLE b (x);", encoding="utf-8")
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE a (x);", encoding="utf-8")
    (tmp_path / "README.md").write_text("not a migration", encoding="utf-8")
    (tmp_path / "3_bad_name.sql").write_text("CREATE TABLE c (x);", encoding="utf-8")
    assert [(m.version, m.name) for m in load_migrations(tmp_path)] == [
        (1, "first"),
        (2, "second"),
    ]


async def test_open_database_migrates_once_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "bot.db"  # the parent folder is created
    expected = [(m.version, m.name) for m in bundled_migrations()]

    first = await open_database(path)
    try:
        recorded = await fetch(
            first, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
        )
        assert [(r[0], r[1]) for r in recorded] == expected
        assert {"staff", "audit_log", "chats", "ptb_user_data", "outbox"} <= await tables(first)
        assert (await fetch(first, "PRAGMA journal_mode")) == [("wal",)]
        assert (await fetch(first, "PRAGMA foreign_keys")) == [(1,)]
        await first.execute(
            "INSERT INTO staff (user_id, added_by, added_at) VALUES (901, 900, 'now')"
        )
    finally:
        await first.close()

    second = await open_database(path)
    try:
        again = await fetch(
            second, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
        )
        assert again == recorded  # nothing re-applied, timestamps untouched
        assert await apply_migrations(second) == []
        assert await fetch(second, "SELECT user_id FROM staff") == [(901,)]  # data kept
    finally:
        await second.close()


async def test_memory_database_is_migrated() -> None:
    conn = await open_database(":memory:")
    try:
        count = await fetch(conn, "SELECT count(*) FROM schema_migrations")
        assert count == [(len(bundled_migrations()),)]
    finally:
        await conn.close()


async def test_apply_migrations_returns_what_it_applied(conn: aiosqlite.Connection) -> None:
    names = [f"{m.version:04d}_{m.name}" for m in bundled_migrations()]
    assert await apply_migrations(conn) == names
    assert await apply_migrations(conn) == []


@pytest.mark.parametrize(
    "broken_sql",
    [
        "CREATE TABLE second_table (id INTEGER PRIMARY KEY);\nCREAT TABLE oops (x);",
        "CREATE TABLE second_table (id INTEGER PRIMARY KEY);\nINSERT INTO missing VALUES (1);",
        "CREATE TABLE second_table (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO second_table VALUES (1);\nINSERT INTO second_table VALUES (1);",
        "CREATE TABLE second_table (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO first_table (name) VALUES ('kept?');\nSELECT * FROM nowhere;",
    ],
    ids=["syntax", "missing-table", "constraint", "data-change"],
)
async def test_failing_migration_leaves_the_database_as_it_was(
    tmp_path: Path, broken_sql: str
) -> None:
    path = tmp_path / "atomic.db"
    migrations = [
        Migration(1, "first", "CREATE TABLE first_table (id INTEGER PRIMARY KEY, name TEXT);"),
        Migration(2, "second", broken_sql),
        Migration(3, "third", "CREATE TABLE third_table (x);"),
    ]
    conn = await open_database(path, migrate=False)
    try:
        with pytest.raises(MigrationError, match="0002_second"):
            await apply_migrations(conn, migrations=migrations)
        assert not conn.in_transaction
        assert await tables(conn) == {"schema_migrations", "first_table"}
        assert await fetch(conn, "SELECT version FROM schema_migrations") == [(1,)]
        assert await fetch(conn, "SELECT count(*) FROM first_table") == [(0,)]
        # The connection is still usable, and the same failure repeats rather than
        # half-applying on a second attempt.
        with pytest.raises(MigrationError):
            await apply_migrations(conn, migrations=migrations)
        assert await fetch(conn, "SELECT version FROM schema_migrations") == [(1,)]
    finally:
        await conn.close()

    # What is on disk agrees.
    reopened = await open_database(path, migrate=False)
    try:
        assert await tables(reopened) == {"schema_migrations", "first_table"}
        assert await fetch(reopened, "SELECT version FROM schema_migrations") == [(1,)]
        # Once fixed, the rest applies.
        fixed = [
            migrations[0],
            Migration(2, "second", "CREATE TABLE second_table (id INTEGER PRIMARY KEY);"),
            migrations[2],
        ]
        assert await apply_migrations(reopened, migrations=fixed) == [
            "0002_second",
            "0003_third",
        ]
        assert {"second_table", "third_table"} <= await tables(reopened)
    finally:
        await reopened.close()


async def test_migration_ending_in_a_comment_still_applies(conn: aiosqlite.Connection) -> None:
    migrations = [Migration(1, "commented", "CREATE TABLE t (x); -- trailing comment")]
    assert await apply_migrations(conn, migrations=migrations) == ["0001_commented"]
    assert "t" in await tables(conn)


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = bot_env(tmp_path / "cli.db")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_db_migrate_applies_then_reports_up_to_date(tmp_path: Path) -> None:
    first = _cli(tmp_path, "db", "migrate")
    assert first.returncode == 0, first.stderr
    names = [f"{m.version:04d}_{m.name}" for m in bundled_migrations()]
    assert first.stdout.strip() == "已应用 / applied: " + ", ".join(names)

    second = _cli(tmp_path, "db", "migrate")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "已是最新 / up to date"

    with closing(sqlite3.connect(tmp_path / "cli.db")) as db:
        count = db.execute("SELECT count(*) FROM schema_migrations").fetchall()
    assert count == [(len(names),)]
