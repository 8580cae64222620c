"""The tickets repository on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from storage import tickets_repo as repo
from storage.db import open_database

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "t.db")
    try:
        yield connection
    finally:
        await connection.close()


def _new(number: str, **overrides: object) -> repo.NewTicket:
    values: dict[str, object] = {
        "number": number,
        "category": "noise",
        "description": "楼上半夜装修",
        "community": None,
        "building": "3",
        "location_text": "3号楼",
        "household_id": None,
        "latitude": None,
        "longitude": None,
        "phone": "13800000001",
        "anonymous": False,
        "reporter_id": 7,
        "reporter_name": "张三",
        "filed_by": None,
        "channel": "bot",
        "status": "received",
        "created_at": T0,
        "first_response_due": T0 + timedelta(hours=24),
        "resolve_due": T0 + timedelta(days=5),
        "photos": ("a", "b"),
    }
    values.update(overrides)
    return repo.NewTicket(**values)  # type: ignore[arg-type]


async def test_numbers_count_per_day(conn: aiosqlite.Connection) -> None:
    async with repo.transaction(conn):
        assert await repo.next_number(conn, "20261120") == 1
        assert await repo.next_number(conn, "20261120") == 2
        assert await repo.next_number(conn, "20261121") == 1


async def test_number_is_unique(conn: aiosqlite.Connection) -> None:
    await repo.insert_ticket(conn, _new("TS-20261120-0001"))
    with pytest.raises(aiosqlite.IntegrityError):
        await repo.insert_ticket(conn, _new("TS-20261120-0001"))


async def test_round_trip_with_photos_and_followers(conn: aiosqlite.Connection) -> None:
    tid = await repo.insert_ticket(conn, _new("TS-20261120-0001"))
    assert await repo.add_follower(conn, tid, 8, T0)
    assert not await repo.add_follower(conn, tid, 8, T0)
    ticket = await repo.get_ticket(conn, tid)
    assert ticket is not None
    assert ticket.photos == ("a", "b")
    assert ticket.follower_count == 1
    assert ticket.created_at == T0
    assert ticket.created_at.tzinfo is not None
    assert await repo.get_by_number(conn, "TS-20261120-0001") == ticket
    assert await repo.followers(conn, tid) == [8]
    assert [t.id for t in await repo.tickets_of_user(conn, 8, 10)] == [tid]
    assert await repo.remove_follower(conn, tid, 8)


async def test_update_and_events(conn: aiosqlite.Connection) -> None:
    tid = await repo.insert_ticket(conn, _new("TS-20261120-0001"))
    await repo.update_ticket(conn, tid, {"status": "assigned", "first_response_at": T0})
    event = await repo.insert_event(
        conn,
        tid,
        at=T0,
        action="assign",
        actor_id=1,
        actor_role="staff",
        from_status="received",
        to_status="assigned",
        assignee_id=2,
    )
    assert await repo.events(conn, tid) == [event]
    ticket = await repo.get_ticket(conn, tid)
    assert ticket is not None
    assert ticket.status == "assigned"
    assert ticket.first_response_at == T0
    with pytest.raises(ValueError, match="not updatable"):
        await repo.update_ticket(conn, tid, {"number": "x"})


async def test_transaction_rolls_back(conn: aiosqlite.Connection) -> None:
    async def failing() -> None:
        async with repo.transaction(conn):
            await repo.insert_ticket(conn, _new("TS-20261120-0001"))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        await failing()
    assert await repo.get_by_number(conn, "TS-20261120-0001") is None


async def test_overdue_and_open_like(conn: aiosqlite.Connection) -> None:
    late = await repo.insert_ticket(conn, _new("TS-20261120-0001"))
    second = await repo.insert_ticket(conn, _new("TS-20261120-0002", building="5"))
    await repo.insert_ticket(conn, _new("TS-20261120-0003", status="resolved"))
    overdue = await repo.list_tickets(conn, overdue_at=T0 + timedelta(hours=25), limit=None)
    assert {t.id for t in overdue} == {late, second}  # the resolved one is not overdue
    alike = await repo.open_like(conn, "noise", building="3", community=None, location_text="")
    assert [t.id for t in alike] == [late]
    assert await repo.count_reported_since(conn, 7, T0) == 3


async def test_needs_replace_per_household_and_keep_history(conn: aiosqlite.Connection) -> None:
    from storage import households_repo
    from storage.households_repo import HouseholdValues

    cid = await households_repo.ensure_community(conn, "幸福小区")
    from decimal import Decimal

    await households_repo.write_households(
        conn,
        cid,
        inserts=[HouseholdValues("3", "1", "101", Decimal(80), (), (), None, False)],
    )
    (home,) = await households_repo.all_households(conn)
    async with repo.transaction(conn):
        first, none = await repo.save_need(
            conn,
            household_id=home.id,
            user_id=1,
            items=["lift"],
            urgency="high",
            text="",
            cofund="yes",
            at=T0,
        )
    assert none is None
    async with repo.transaction(conn):
        second, replaced = await repo.save_need(
            conn,
            household_id=home.id,
            user_id=2,  # another member of the household
            items=["lighting"],
            urgency="normal",
            text="",
            cofund="no",
            at=T0,
        )
    assert replaced is not None
    assert replaced.id == first.id
    assert replaced.replaced_by == second.id
    assert [n.id for n in await repo.current_needs(conn)] == [second.id]
    history = await repo.need_history(conn, household_id=home.id, user_id=None)
    assert [(n.id, n.current) for n in history] == [(first.id, False), (second.id, True)]


async def test_forget_user_keeps_content(conn: aiosqlite.Connection) -> None:
    tid = await repo.insert_ticket(conn, _new("TS-20261120-0001"))
    other = await repo.insert_ticket(conn, _new("TS-20261120-0002", reporter_id=9))
    await repo.add_follower(conn, other, 7, T0)
    await repo.forget_user(conn, 7)
    ticket = await repo.get_ticket(conn, tid)
    assert ticket is not None
    assert (ticket.reporter_id, ticket.reporter_name, ticket.phone) == (None, "", None)
    assert ticket.description == "楼上半夜装修"
    assert await repo.followers(conn, other) == []


async def test_blocks_and_secret(conn: aiosqlite.Connection) -> None:
    assert await repo.block_user(conn, 5, 1, T0, "刷屏")
    assert not await repo.block_user(conn, 5, 1, T0, "again")
    block = await repo.get_block(conn, 5)
    assert block is not None
    assert block.reason == "刷屏"
    assert await repo.unblock_user(conn, 5)
    assert await repo.get_block(conn, 5) is None
    secret = await repo.deployment_secret(conn, "k")
    assert len(secret) == 32
    assert await repo.deployment_secret(conn, "k") == secret
