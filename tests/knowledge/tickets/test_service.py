"""TicketService over a real SQLite file: limits, blocks, the lifecycle, merges, jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from knowledge.tickets.categories import load_catalog
from knowledge.tickets.lifecycle import (
    Action,
    IllegalTransition,
    Rating,
    RatingOutcome,
    RejectReason,
    Status,
)
from knowledge.tickets.service import (
    Cofund,
    ComplaintDraft,
    Location,
    Refusal,
    TicketRefused,
    TicketService,
    Urgency,
)
from storage.db import open_database

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
STAFF = 100


@pytest.fixture
async def svc(tmp_path: Path) -> AsyncIterator[TicketService]:
    conn = await open_database(tmp_path / "t.db")
    try:
        yield TicketService(conn, load_catalog(), daily_limit=3)
    finally:
        await conn.close()


def draft(text: str = "3号楼楼道里停了很多电动车在充电", **kw: object) -> ComplaintDraft:
    values: dict[str, object] = {
        "category": "fire_hazard",
        "description": text,
        "location": Location(text="3号楼一单元"),
    }
    values.update(kw)
    return ComplaintDraft(**values)  # type: ignore[arg-type]


async def test_numbers_and_deadlines(svc: TicketService) -> None:
    a = await svc.submit(draft(), reporter_id=1, reporter_name="张三", now=T0)
    b = await svc.submit(draft(), reporter_id=2, reporter_name="李四", now=T0)
    # 16:30 UTC is already the next day in Shanghai: a new sequence.
    c = await svc.submit(draft(), reporter_id=2, reporter_name="李四", now=T0.replace(hour=16))
    assert [x.ticket.number for x in (a, b, c)] == [
        "TS-20261120-0001",
        "TS-20261120-0002",
        "TS-20261121-0001",
    ]
    assert a.ticket.first_response_due == T0 + timedelta(hours=2)  # urgent
    assert a.event.action == "submit"
    assert a.notify == ()
    assert await svc.by_number(" ts-20261120-0002 ") == b.ticket


async def test_short_numbers_find_the_tickets_they_may_mean(svc: TicketService) -> None:
    a = await svc.submit(draft(), reporter_id=1, reporter_name="张三", now=T0)
    b = await svc.submit(draft(), reporter_id=2, reporter_name="李四", now=T0)
    c = await svc.submit(draft(), reporter_id=2, reporter_name="李四", now=T0.replace(hour=16))
    assert await svc.by_short_number("2") == [b.ticket]
    assert await svc.by_short_number("０００２") == [b.ticket]  # full-width digits
    assert await svc.by_short_number("1") == [c.ticket, a.ticket]  # newest first
    assert await svc.by_short_number("20261120-1") == [a.ticket]
    assert await svc.by_short_number("ts20261121-0001") == [c.ticket]
    for nothing in ["3", "0", "12345", "abc", "", "TS-2026-1"]:
        assert await svc.by_short_number(nothing) == [], nothing


async def test_daily_limit_and_block(svc: TicketService) -> None:
    for _ in range(3):
        await svc.submit(draft(), reporter_id=1, reporter_name="张三", now=T0)
    with pytest.raises(TicketRefused) as refused:
        await svc.submit(draft(), reporter_id=1, reporter_name="张三", now=T0)
    assert refused.value.refusal is Refusal.DAILY_LIMIT
    assert "3" in str(refused.value)
    await svc.submit(draft(), reporter_id=1, reporter_name="张三", now=T0 + timedelta(days=1))
    assert await svc.block(5, staff_id=STAFF, reason="刷屏")
    with pytest.raises(TicketRefused) as blocked:
        await svc.submit(draft(), reporter_id=5, reporter_name="x", now=T0)
    assert blocked.value.refusal is Refusal.BLOCKED
    async with svc._db.execute("SELECT action, target FROM audit_log") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("tickets.block", "5")]
    assert await svc.unblock(5, staff_id=STAFF)
    await svc.submit(draft(), reporter_id=5, reporter_name="x", now=T0)


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"description": "字" * 1001}, Refusal.TOO_LONG),
        ({"description": "  "}, Refusal.EMPTY),
        ({"photos": tuple("abcdef")}, Refusal.TOO_MANY_PHOTOS),
        ({"category": "nope"}, Refusal.UNKNOWN_CATEGORY),
    ],
)
async def test_bad_drafts(svc: TicketService, change: dict[str, Any], refusal: Refusal) -> None:
    with pytest.raises(TicketRefused) as refused:
        await svc.submit(draft(**change), reporter_id=1, reporter_name="x", now=T0)
    assert refused.value.refusal is refusal


async def test_full_loop_with_partial_rating(svc: TicketService) -> None:
    t = (await svc.submit(draft(), reporter_id=1, reporter_name="张三", now=T0)).ticket
    await svc.follow(t.id, 2)
    with pytest.raises(TicketRefused, match="工作人员"):
        await svc.apply(t.id, Action.ACCEPT, actor_id=1, is_staff=False, now=T0)
    accepted = await svc.apply(t.id, Action.ACCEPT, actor_id=STAFF, is_staff=True, now=T0)
    assert accepted.ticket.status == Status.IN_PROGRESS
    assert accepted.notify == (1, 2)
    assigned = await svc.apply(
        t.id, Action.ASSIGN, actor_id=STAFF, is_staff=True, assignee=101, now=T0
    )
    assert assigned.ticket.assignee_id == 101
    assert assigned.ticket.first_response_at == T0
    done = await svc.apply(
        t.id,
        Action.RESOLVE,
        actor_id=101,
        is_staff=True,
        note="已清理",
        now=T0 + timedelta(hours=3),
    )
    assert done.ticket.resolved_at == T0 + timedelta(hours=3)
    with pytest.raises(TicketRefused, match="提交人"):
        await svc.apply(
            t.id, Action.RATE, actor_id=2, is_staff=False, rating=Rating(RatingOutcome.SOLVED, 5)
        )
    rated = await svc.apply(
        t.id,
        Action.RATE,
        actor_id=1,
        is_staff=False,
        rating=Rating(RatingOutcome.PARTLY, 3, "还有两辆"),
        now=T0 + timedelta(hours=4),
    )
    assert rated.ticket.status == Status.ASSIGNED  # back to its assignee
    assert rated.ticket.reopen_count == 1
    assert rated.ticket.resolved_at is None
    assert rated.notify == (2,)
    assert "部分解决" in rated.event.note
    history = await svc.history(rated.ticket)
    assert [e.action for e in history] == ["submit", "accept", "assign", "resolve", "rate"]
    assert await svc.can_view(t, 2, is_staff=False)
    assert not await svc.can_view(t, 3, is_staff=False)
    assert await svc.can_view(t, 3, is_staff=True)


async def test_reject_and_reopen(svc: TicketService) -> None:
    t = (await svc.submit(draft(), reporter_id=1, reporter_name="张三", now=T0)).ticket
    with pytest.raises(IllegalTransition):
        await svc.apply(t.id, Action.REJECT, actor_id=STAFF, is_staff=True, note="x")
    rejected = await svc.apply(
        t.id,
        Action.REJECT,
        actor_id=STAFF,
        is_staff=True,
        reason=RejectReason.NOT_OUR_DUTY,
        note="归物业",
        now=T0,
    )
    assert rejected.event.reason == "not_our_duty"
    reopened = await svc.apply(
        t.id,
        Action.REOPEN,
        actor_id=1,
        is_staff=False,
        note="物业不管",
        now=T0 + timedelta(days=2),
    )
    assert reopened.ticket.status == Status.RECEIVED
    assert reopened.ticket.resolve_due == T0 + timedelta(days=2, hours=24)


async def test_auto_close_after_window(svc: TicketService) -> None:
    t = (await svc.submit(draft(), reporter_id=1, reporter_name="张三", now=T0)).ticket
    await svc.apply(t.id, Action.RESOLVE, actor_id=STAFF, is_staff=True, now=T0)
    assert await svc.auto_close_due(T0 + timedelta(days=6)) == []
    closed = await svc.auto_close_due(T0 + timedelta(days=7, seconds=1))
    assert [c.ticket.status for c in closed] == [Status.CLOSED]
    assert closed[0].event.actor_role == "system"
    assert closed[0].notify == (1,)


async def test_duplicates_follow_and_merge(svc: TicketService) -> None:
    first = (await svc.submit(draft(), reporter_id=1, reporter_name="张三", now=T0)).ticket
    similar = draft("三号楼楼道电瓶车堆满了在充电", location=Location(text="3栋"))
    found = await svc.similar_open(similar)
    assert [c.ticket.id for c in found] == [first.id]
    elsewhere = draft("三号楼楼道电瓶车堆满了在充电", location=Location(text="5栋"))
    assert await svc.similar_open(elsewhere) == []
    followed = await svc.follow(first.id, 2)
    assert followed.added
    assert followed.cosigners == 1
    assert not (await svc.follow(first.id, 1)).added  # the reporter does not co-sign
    second = (await svc.submit(similar, reporter_id=3, reporter_name="王五", now=T0)).ticket
    await svc.follow(second.id, 4)
    merged = await svc.merge(first.id, second.id, staff_id=STAFF, now=T0)
    assert set(merged.new_followers) == {3, 4}
    assert merged.survivor.follower_count == 3
    assert merged.closed.ticket.status == Status.CLOSED
    assert merged.closed.ticket.merged_into == first.id
    mine = await svc.my_tickets(3)
    assert [(m.ticket.id, m.following) for m in mine] == [(second.id, False), (first.id, True)]


async def test_overdue_and_stats(svc: TicketService) -> None:
    fire = (await svc.submit(draft(), reporter_id=1, reporter_name="a", now=T0)).ticket
    noise = (
        await svc.submit(
            draft("楼上装修很吵", category="noise"), reporter_id=2, reporter_name="b", now=T0
        )
    ).ticket
    late = await svc.overdue(T0 + timedelta(hours=3))
    assert [(o.ticket.id, o.kind) for o in late] == [(fire.id, "first_response")]
    await svc.apply(
        noise.id, Action.RESOLVE, actor_id=STAFF, is_staff=True, now=T0 + timedelta(hours=2)
    )
    await svc.apply(
        noise.id,
        Action.RATE,
        actor_id=2,
        is_staff=False,
        rating=Rating(RatingOutcome.SOLVED, 5),
        now=T0 + timedelta(hours=3),
    )
    stats = await svc.stats(T0 + timedelta(hours=3))
    assert stats.week.total == 2
    assert stats.month.total == 2
    assert stats.week.by_category == {"fire_hazard": 1, "noise": 1}
    assert stats.week.median_resolution == timedelta(hours=2)
    assert stats.week.satisfaction == 1.0
    assert stats.week.mean_stars == 5.0
    assert stats.overdue_now == 1
    assert stats.week.overdue == 1


async def test_needs_and_forget(svc: TicketService) -> None:
    first = await svc.submit_needs(1, None, ["lift", "lighting"], Urgency.HIGH, "", Cofund.YES)
    again = await svc.submit_needs(1, None, ["lift"], Urgency.LOW, "", Cofund.NO)
    assert again.replaced is not None
    assert again.replaced.id == first.need.id
    with pytest.raises(TicketRefused):
        await svc.submit_needs(1, None, ["spaceport"], Urgency.LOW, "", Cofund.NO)
    t = (
        await svc.submit(draft(phone="13800000001"), reporter_id=1, reporter_name="张三", now=T0)
    ).ticket
    key = await svc.resident_key(1)
    assert key.startswith("R")
    assert key == await svc.resident_key(1) != await svc.resident_key(2)
    await svc.forget_user(1)
    after = await svc.get(t.id)
    assert after is not None
    assert after.reporter_id is None
    assert after.phone is None
    assert after.description == t.description


async def test_staff_files_for_a_caller(svc: TicketService) -> None:
    change = await svc.file_for_resident(
        draft(), staff_id=STAFF, resident_name="赵大爷", resident_phone="13900000000", now=T0
    )
    assert change.ticket.channel == "phone"
    assert change.ticket.reporter_id is None
    assert change.ticket.filed_by == STAFF
    assert change.event.actor_role == "staff"
    assert svc.suggest_category("楼道里电瓶车在充电") == "fire_hazard"
