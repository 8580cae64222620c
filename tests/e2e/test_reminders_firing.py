"""Reminders through the real Application: a tick with an injected clock, quiet hours,
restart without duplicates, missed occurrences inside and outside the grace period, and
subscribe / one-tap unsubscribe. Every occurrence goes through the outbox."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers import reminders
from handlers import texts as common
from handlers.context import ResidentApplication
from handlers.reminders import texts as t
from handlers.reminders.service import reminder_service
from knowledge.notices.schedules import parse_schedule
from storage import chats_repo
from storage import reminders_repo as repo
from tests.e2e.conftest import ADMIN, GROUP, RESIDENT, button_data, buttons, forge_press, rows
from tests.e2e.test_reminders_support import stop_ticks

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def bot(bot: ResidentApplication) -> ResidentApplication:
    """The running bot without its real-clock tick job (first run 1 s after start): these
    tests tick with a fixed clock, and a real tick in between would fire or skip the
    occurrences the test is about (seen on a loaded machine)."""
    stop_ticks(bot)
    return bot


def local(hour: int, minute: int = 0, second: int = 0, day: int = 1) -> datetime:
    return datetime(2025, 1, day, hour, minute, second, tzinfo=TZ)


async def bound_group(db: aiosqlite.Connection) -> None:
    await chats_repo.upsert_chat(db, GROUP.id, GROUP.type, GROUP.title, "member")
    await chats_repo.bind_chat(db, GROUP.id, "幸福小区", "幸福小区", None)


async def daily(bot: ResidentApplication, spec: str, *, created: datetime, **kw: str) -> int:
    return await reminder_service(bot.services).add(
        schedule=parse_schedule("daily", spec, TZ),
        target=kw.get("target", "all"),
        topic=kw.get("topic", "垃圾分类"),
        text="【垃圾分类提醒】今天 7:30 开始定时投放",
        created_by=ADMIN.id,
        now=created,
    )


async def test_reminder_fires_at_its_time_once(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await bound_group(db)
    rid = await daily(bot, "07:30", created=local(7))
    assert (await reminders.tick(bot, local(7, 29, 50))).queued == []
    result = await reminders.tick(bot, local(7, 30, 10))
    assert [(r, m) for r, m, _ in result.queued] == [(rid, local(7, 30))]
    sent = await api.next_message(GROUP.id)
    assert sent["text"].startswith("【垃圾分类提醒】")
    # the next tick, and a "restarted" service on the same database, queue nothing more
    assert (await reminders.tick(bot, local(7, 30, 40))).queued == []
    assert (await reminder_service(bot.services).tick(local(7, 31))).queued == []
    assert await rows(db, "SELECT COUNT(*) FROM outbox WHERE kind = 'reminder'") == [(1,)]
    assert await rows(db, "SELECT status, late FROM reminder_occurrences") == [("queued", 0)]
    await api.expect_no_message(GROUP.id, within=0.3)


async def test_quiet_hours_hold_until_morning(
    bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await bound_group(db)
    await daily(bot, "22:30", created=local(12))
    result = await reminders.tick(bot, local(22, 30, 5))
    assert [h[2] for h in result.held] == [local(7, day=2)]
    ((not_before, status),) = await rows(
        db, "SELECT not_before, status FROM outbox WHERE kind = 'reminder'"
    )
    assert (datetime.fromisoformat(not_before), status) == (local(7, day=2), "queued")


async def test_missed_while_down_inside_and_outside_grace(
    bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await bound_group(db)
    inside = await daily(bot, "07:30", created=local(7))
    outside = await daily(bot, "06:30", created=local(6))
    # the bot was down from 06:00 to 08:10: 07:30 is 40 min late (sent), 06:30 100 min (not)
    result = await reminders.tick(bot, local(8, 10))
    assert [(r, m) for r, m, _ in result.queued] == [(inside, local(7, 30))]
    assert result.late == [(inside, local(7, 30))]
    assert result.skipped == [(outside, local(6, 30))]
    occurrences = await rows(
        db, "SELECT reminder_id, status, late FROM reminder_occurrences ORDER BY reminder_id"
    )
    assert occurrences == [(inside, "queued", 1), (outside, "skipped", 0)]
    assert await rows(db, "SELECT COUNT(*) FROM outbox WHERE kind = 'reminder'") == [(1,)]


async def test_crash_between_record_and_queue_is_recovered_once(
    bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await bound_group(db)
    rid = await daily(bot, "07:30", created=local(7))
    # as if the process died right after recording the occurrence
    await repo.record_occurrence(db, rid, local(7, 30), status=repo.PENDING)
    result = await reminders.tick(bot, local(7, 31))
    assert [(r, m) for r, m, _ in result.queued] == [(rid, local(7, 30))]
    await reminders.tick(bot, local(7, 32))
    assert await rows(db, "SELECT COUNT(*) FROM notices WHERE kind = 'reminder'") == [(1,)]


async def test_subscribe_receive_and_unsubscribe_with_one_tap(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/subscribe")
    panel = await api.next_message(chat.id)
    assert "订阅提醒" in panel["text"]
    api.press_button(chat, RESIDENT, panel, button_data(panel, "垃圾分类"))
    await api.wait_for_call("editMessageText")
    assert await rows(db, "SELECT user_id, topic FROM subscriptions") == [
        (RESIDENT.id, "垃圾分类")
    ]

    await daily(bot, "07:30", created=local(7), target="subscribers:垃圾分类")
    await reminders.tick(bot, local(7, 30, 5))
    reminder = await api.next_message(chat.id)
    assert t.FOOTER.format(topic="垃圾分类") in reminder["text"]
    assert [b["text"] for b in buttons(reminder)] == [t.FOOTER_BUTTON.format(topic="垃圾分类")]
    api.press_button(chat, RESIDENT, reminder, buttons(reminder)[0]["callback_data"])
    assert (await api.next_message(chat.id))["text"] == t.UNSUBSCRIBED_FOOTER.format(
        topic="垃圾分类"
    )
    assert await rows(db, "SELECT COUNT(*) FROM subscriptions") == [(0,)]


async def test_group_exclusion_and_non_staff_refused(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await bound_group(db)
    api.send_text(GROUP, RESIDENT, "/reminders exclude 垃圾分类")
    assert (await api.next_message(GROUP.id))["text"] == common.NOT_STAFF
    api.send_text(GROUP, ADMIN, "/reminders exclude 垃圾分类")
    assert (await api.next_message(GROUP.id))["text"] == t.EXCLUDED.format(topic="垃圾分类")
    await daily(bot, "07:30", created=local(7))
    await reminders.tick(bot, local(7, 30, 5))
    assert await rows(db, "SELECT total FROM notices") == [(0,)]

    resident = api.private_chat(RESIDENT)
    api.send_text(resident, RESIDENT, "/reminders")
    assert (await api.next_message(resident.id))["text"] == common.NOT_STAFF
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/reminders")
    listing = await api.next_message(admin.id)
    assert "下次" in listing["text"]
    forge_press(api, resident, RESIDENT, listing, "rem:delok:1")
    answered = await api.wait_for_call("answerCallbackQuery")
    assert answered is not None
    assert await rows(db, "SELECT COUNT(*) FROM reminders") == [(1,)]
