"""The household register on a real SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import aiosqlite
import pytest

from storage import households_repo as repo
from storage.db import open_database
from storage.households_repo import AuditEntry, HouseholdValues


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "t.db")
    yield connection
    await connection.close()


def room(building: str, unit: str, number: str, area: str = "85.50") -> HouseholdValues:
    return HouseholdValues(
        building, unit, number, Decimal(area), ("张三", "李四"), ("13800000001",), None, False
    )


async def seed(conn: aiosqlite.Connection) -> int:
    cid = await repo.ensure_community(conn, "幸福小区")
    await repo.write_households(
        conn,
        cid,
        inserts=[
            room("10", "1", "101"),
            room("2", "1", "1001"),
            room("2", "1", "201"),
            room("2", "", "301"),
            room("A", "2", "101", "0.01"),
        ],
        audit=[AuditEntry(0, "roster.import", "幸福小区", "test")],
    )
    return cid


async def test_round_trip_exact_values(conn: aiosqlite.Connection) -> None:
    await seed(conn)
    h = await repo.find_household(conn, "幸福小区", "10", "1", "101")
    assert h is not None
    assert h.area == Decimal("85.50")
    assert h.owners == ("张三", "李四")
    assert h.phones == ("13800000001",)
    assert h.owner_key is None
    assert h.unsold is False
    assert await repo.get_household(conn, h.id) == h
    tiny = await repo.find_household(conn, "幸福小区", "A", "2", "101")
    assert tiny is not None
    assert tiny.area == Decimal("0.01")
    assert await repo.find_household(conn, "幸福小区", "10", "1", "102") is None
    assert await repo.get_household(conn, 9999) is None


async def test_lists_in_natural_order(conn: aiosqlite.Connection) -> None:
    await seed(conn)
    assert await repo.list_communities(conn) == ["幸福小区"]
    assert await repo.list_buildings(conn, "幸福小区") == ["2", "10", "A"]
    assert await repo.list_units(conn, "幸福小区", "2") == ["", "1"]
    rooms = await repo.list_rooms(conn, "幸福小区", "2", "1")
    assert [h.room for h in rooms] == ["201", "1001"]
    everything = await repo.all_households(conn)
    assert [(h.building, h.unit, h.room) for h in everything] == [
        ("2", "", "301"),
        ("2", "1", "201"),
        ("2", "1", "1001"),
        ("10", "1", "101"),
        ("A", "2", "101"),
    ]
    assert len(await repo.all_households(conn, "幸福小区", "2")) == 3
    assert await repo.all_households(conn, "别的小区") == []


async def test_find_community_exact_or_loose(conn: aiosqlite.Connection) -> None:
    await seed(conn)
    assert await repo.find_community(conn, "幸福小区") == "幸福小区"
    assert await repo.find_community(conn, " 幸福 小区 ") == "幸福小区"
    assert await repo.find_community(conn, "阳光小区") is None
    assert await repo.find_community(conn, "") is None


async def test_update_delete_and_audit(conn: aiosqlite.Connection) -> None:
    cid = await seed(conn)
    h = await repo.find_household(conn, "幸福小区", "10", "1", "101")
    assert h is not None
    changed = HouseholdValues("10", "1", "101", Decimal("90.00"), ("王五",), (), "K1", True)
    await repo.write_households(conn, cid, updates=[(h.id, changed)], deletes=[])
    after = await repo.get_household(conn, h.id)
    assert after is not None
    assert (after.area, after.owners, after.phones, after.owner_key, after.unsold) == (
        Decimal("90.00"),
        ("王五",),
        (),
        "K1",
        True,
    )
    await repo.write_households(conn, cid, deletes=[h.id])
    assert await repo.get_household(conn, h.id) is None
    async with conn.execute("SELECT action, target FROM audit_log") as cur:
        assert [tuple(r) async for r in cur] == [("roster.import", "幸福小区")]


async def test_a_failed_batch_writes_nothing(conn: aiosqlite.Connection) -> None:
    cid = await seed(conn)
    duplicate = room("10", "1", "101")
    with pytest.raises(aiosqlite.IntegrityError):
        await repo.write_households(conn, cid, inserts=[room("9", "1", "101"), duplicate])
    assert await repo.find_household(conn, "幸福小区", "9", "1", "101") is None


async def test_link_counts_and_owner_key(conn: aiosqlite.Connection) -> None:
    await seed(conn)
    a = await repo.find_household(conn, "幸福小区", "10", "1", "101")
    b = await repo.find_household(conn, "幸福小区", "2", "1", "201")
    assert a is not None
    assert b is not None
    for user, status in ((1, "active"), (2, "active"), (3, "pending"), (4, "removed")):
        await conn.execute(
            "INSERT INTO household_links (household_id, user_id, role, status, via, created_at)"
            " VALUES (?, ?, 'owner', ?, 'code', '2025-01-01T00:00:00+00:00')",
            (a.id, user, status),
        )
    assert await repo.link_counts(conn) == {a.id: 2}
    assert await repo.link_counts(conn, repo.LIVE_LINK_STATES) == {a.id: 3}
    changed = await repo.set_owner_key(conn, [a.id, b.id], "O1", AuditEntry(0, "merge"))
    assert changed == 2
    a2, b2 = await repo.get_household(conn, a.id), await repo.get_household(conn, b.id)
    assert a2 is not None
    assert b2 is not None
    assert a2.owner_key == b2.owner_key == "O1"
