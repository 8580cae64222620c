"""Schema migrations: numbered SQL files, applied in order, recorded in the database.

Each migration runs inside one transaction together with the row that records it, so a
migration that fails leaves the database exactly as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import aiosqlite

from storage.clock import now_iso

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


class MigrationError(RuntimeError):
    """A migration failed; the database was rolled back to its previous state."""


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in `storage/migrations/`, ordered by version."""
    found = _collect(resources.files("storage") / "migrations")
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions: {versions}")
    return found


def load_migrations(folder: Path) -> list[Migration]:
    """Migrations from an arbitrary folder (used by tests)."""
    return _collect(folder)


def _collect(folder: Path | Traversable) -> list[Migration]:
    found = [
        Migration(int(m[1]), m[2], entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if (m := _NAME.match(entry.name))
    ]
    return sorted(found, key=lambda m: m.version)


async def applied_versions(conn: aiosqlite.Connection) -> set[int]:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migrations") as cur:
        return {int(row[0]) async for row in cur}


async def apply_migrations(
    conn: aiosqlite.Connection, migrations: list[Migration] | None = None
) -> list[str]:
    """Apply every pending migration; return the names applied (empty when up to date)."""
    pending_source = bundled_migrations() if migrations is None else migrations
    done = await applied_versions(conn)
    applied: list[str] = []
    for migration in pending_source:
        if migration.version in done:
            continue
        stamp = now_iso()
        record = (
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES "
            f"({migration.version}, '{migration.name}', '{stamp}');"
        )
        # executescript() commits any open transaction first and then runs the script
        # as-is, so the explicit BEGIN makes the whole file plus its record atomic.
        try:
            await conn.executescript(f"BEGIN;\n{migration.sql}\n;{record}\nCOMMIT;")
        except Exception as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name} failed: {exc}"
            ) from exc
        applied.append(f"{migration.version:04d}_{migration.name}")
    return applied
