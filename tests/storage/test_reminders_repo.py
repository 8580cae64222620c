"""Reminders, occurrences and subscriptions on a real SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from storage import reminders_repo as repo
from storage import subscriptions_repo as subs
from storage.db import open_database

T0 = datetime(2025, 1, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "t.db")
    yield connection
    await connection.close()


async def add(conn: aiosqlite.Connection) -> int:
    return await repo.insert_reminder(
        conn,
        schedule_kind="daily",
        spec="07:00",
        timezone="Asia/Shanghai",
        target="all",
        topic="垃圾分类",
        text="投放提醒",
        created_by=900,
        checked_until=T0,
    )


async def test_reminder_round_trip_pause_resume_delete(conn: aiosqlite.Connection) -> None:
    rid = await add(conn)
    reminder = await repo.get_reminder(conn, rid)
    assert reminder is not None
    assert (reminder.enabled, reminder.grace_seconds, reminder.checked_until) == (
        True,
        3600,
        "2025-01-01T00:00:00+00:00",
    )
    assert await repo.set_enabled(conn, rid, False)
    assert not await repo.set_enabled(conn, rid, False)  # already paused
    assert await repo.list_reminders(conn, enabled_only=True) == []
    assert await repo.set_enabled(conn, rid, True, checked_until=T0 + timedelta(days=2))
    resumed = await repo.get_reminder(conn, rid)
    assert resumed is not None
    assert resumed.checked_until == "2025-01-03T00:00:00+00:00"
    await repo.advance_checked(conn, rid, T0)  # never backwards
    again = await repo.get_reminder(conn, rid)
    assert again is not None
    assert again.checked_until == resumed.checked_until
    assert await repo.delete_reminder(conn, rid)
    assert await repo.get_reminder(conn, rid) is None


async def test_an_occurrence_is_recorded_once(conn: aiosqlite.Connection) -> None:
    rid = await add(conn)
    first = await repo.record_occurrence(conn, rid, T0, status=repo.PENDING)
    assert first is not None
    assert await repo.record_occurrence(conn, rid, T0, status=repo.PENDING) is None
    assert [o.id for o in await repo.pending_occurrences(conn)] == [first]
    await repo.mark_queued(conn, first, 42, late=True)
    (occurrence,) = await repo.occurrences_of(conn, rid)
    assert (occurrence.status, occurrence.notice_id, occurrence.late) == ("queued", 42, True)
    assert await repo.pending_occurrences(conn) == []
    await repo.delete_reminder(conn, rid)
    assert await repo.occurrences_of(conn, rid) == []  # history goes with it


async def test_occurrences_between_and_notice_for_ref(conn: aiosqlite.Connection) -> None:
    rid = await add(conn)
    await repo.record_occurrence(conn, rid, T0, status=repo.SKIPPED, detail="missed")
    await repo.record_occurrence(conn, rid, T0 + timedelta(days=1), status=repo.PENDING)
    found = await repo.occurrences_between(conn, T0, T0 + timedelta(hours=1))
    assert [(o.status, o.detail) for o in found] == [("skipped", "missed")]
    assert await repo.notice_for_ref(conn, "reminder:1@x") is None


async def test_subscriptions_and_exclusions(conn: aiosqlite.Connection) -> None:
    assert await subs.subscribe(conn, 2, "垃圾分类")
    assert await subs.subscribe(conn, 1, "垃圾分类")
    assert not await subs.subscribe(conn, 1, "垃圾分类")
    await subs.subscribe(conn, 1, "消防安全")
    assert await subs.subscribers(conn, "垃圾分类") == [1, 2]
    assert await subs.topics_of(conn, 1) == ["垃圾分类", "消防安全"]
    assert await subs.subscriber_counts(conn) == {"垃圾分类": 2, "消防安全": 1}
    assert await subs.unsubscribe(conn, 1, "垃圾分类")
    assert not await subs.unsubscribe(conn, 1, "垃圾分类")
    assert await subs.unsubscribe_all(conn, 1) == 1
    assert await subs.subscribers(conn, "消防安全") == []

    assert await subs.exclude_topic(conn, -100, "垃圾分类", 900)
    assert not await subs.exclude_topic(conn, -100, "垃圾分类", 900)
    assert await subs.excluded_chats(conn, "垃圾分类") == {-100}
    assert subs.without_excluded([-100, -200], {-100}) == [-200]
    await subs.follow_migration(conn, -100, -1001)
    assert await subs.excluded_topics(conn, -1001) == ["垃圾分类"]
    assert await subs.include_topic(conn, -1001, "垃圾分类")
    assert await subs.excluded_chats(conn, "垃圾分类") == set()
