"""Staff display names (storage/staff_repo.py, migration 0015) on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from storage import household_links_repo, staff_repo
from storage.db import open_database


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "s.db")
    try:
        yield connection
    finally:
        await connection.close()


def _pairs(names: list[staff_repo.StaffName]) -> list[tuple[int, str]]:
    return [(n.user_id, n.display_name) for n in names]


async def test_names_are_set_changed_and_listed(conn: aiosqlite.Connection) -> None:
    assert await staff_repo.staff_names(conn) == []
    assert await staff_repo.set_staff_name(conn, 901, "网格员小张")
    assert await staff_repo.set_staff_name(conn, 900, "李主任")
    first = await staff_repo.staff_names(conn)
    assert _pairs(first) == [(900, "李主任"), (901, "网格员小张")]
    assert all(n.updated_at for n in first)

    # The same name again writes nothing; a new one replaces it.
    assert not await staff_repo.set_staff_name(conn, 901, "网格员小张")
    assert await staff_repo.staff_names(conn) == first
    assert await staff_repo.set_staff_name(conn, 901, "张伟")
    assert _pairs(await staff_repo.staff_names(conn)) == [(900, "李主任"), (901, "张伟")]


async def test_a_name_outlives_removal_from_staff(conn: aiosqlite.Connection) -> None:
    assert await staff_repo.add_staff(conn, 901, added_by=900)
    await staff_repo.set_staff_name(conn, 901, "网格员小张")
    assert await staff_repo.remove_staff(conn, 901)
    assert await staff_repo.list_staff(conn) == []
    assert _pairs(await staff_repo.staff_names(conn)) == [(901, "网格员小张")]
    # Added back later: the name is still there, and is still theirs.
    assert await staff_repo.add_staff(conn, 901, added_by=900)
    assert _pairs(await staff_repo.staff_names(conn)) == [(901, "网格员小张")]


async def test_one_name_is_read_and_forgotten(conn: aiosqlite.Connection) -> None:
    assert await staff_repo.staff_name(conn, 901) is None
    await staff_repo.set_staff_name(conn, 901, "网格员小张🙂")
    await staff_repo.set_staff_name(conn, 900, "李主任")
    assert await staff_repo.staff_name(conn, 901) == "网格员小张🙂"

    # /leave deletes it with everything else stored about the user.
    await household_links_repo.forget_user(conn, 901, "2026-12-01T00:00:00+00:00")
    assert await staff_repo.staff_name(conn, 901) is None
    # Only theirs: another staff member's name stays.
    assert _pairs(await staff_repo.staff_names(conn)) == [(900, "李主任")]
    # Stored again later (they act as staff again): a fresh row.
    assert await staff_repo.set_staff_name(conn, 901, "网格员小张🙂")
    assert await staff_repo.staff_name(conn, 901) == "网格员小张🙂"
