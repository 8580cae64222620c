"""Who gets a reminder and when, end to end through the outbox and the local server: only
bound groups for `all`, a group's topic exclusion, quiet hours (held to 07:00, urgent goes
through), and /today."""

from __future__ import annotations

from datetime import datetime, timedelta

import aiosqlite

from bot.local_api import LocalBotApi
from handlers import reminders
from handlers.context import ResidentApplication
from handlers.reminders import texts as t
from storage.clock import utc_now
from tests.e2e.conftest import ADMIN, GROUP, RESIDENT, rows
from tests.e2e.test_reminders_support import (
    OTHER_GROUP,
    SECOND_GROUP,
    TZ,
    add_reminder,
    join,
    stop_ticks,
)

GARBAGE = "【垃圾分类提醒】今天 7:30 开始定时投放"
FIRE = "【消防安全提醒】电动车请到集中充电点充电"


def local(
    hour: int, minute: int = 0, second: int = 0, *, day: int = 1, year: int = 2025
) -> datetime:
    return datetime(year, 1, day, hour, minute, second, tzinfo=TZ)


async def test_all_reaches_bound_groups_only(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    stop_ticks(bot)
    await join(api, GROUP, bind_as="幸福小区")
    await join(api, OTHER_GROUP)  # the bot is a member, nobody bound it
    rid = await add_reminder(bot, "daily", "07:30", created=local(7), text=GARBAGE)
    await reminders.tick(bot, local(7, 30, 5))
    assert (await api.next_message(GROUP.id))["text"] == GARBAGE
    await api.expect_no_message(OTHER_GROUP.id, within=0.3)
    assert await rows(db, "SELECT target, total FROM notices") == [("all", 1)]

    # once staff bind it, the next day's occurrence reaches it too
    api.send_text(OTHER_GROUP, ADMIN, "/bindgroup 幸福小区")
    await api.next_message(OTHER_GROUP.id)
    result = await reminders.tick(bot, local(7, 30, 5, day=2))
    assert [(r, m) for r, m, _ in result.queued] == [(rid, local(7, 30, day=2))]
    assert (await api.next_message(OTHER_GROUP.id))["text"] == GARBAGE
    assert (await api.next_message(GROUP.id))["text"] == GARBAGE
    # chosen explicitly by id, an unbound group is still reached
    await join(api, SECOND_GROUP)
    await add_reminder(
        bot, "daily", "08:00", created=local(7, day=3), target=f"chat:{SECOND_GROUP.id}"
    )
    await reminders.tick(bot, local(8, 0, 5, day=3))
    assert (await api.next_message(SECOND_GROUP.id))["text"] == GARBAGE


async def test_group_excluded_from_a_topic_gets_nothing_of_it(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    stop_ticks(bot)
    await join(api, GROUP, bind_as="幸福小区")
    await join(api, OTHER_GROUP, bind_as="幸福小区 2号楼")
    api.send_text(OTHER_GROUP, ADMIN, "/reminders exclude 消防安全")
    assert (await api.next_message(OTHER_GROUP.id))["text"] == t.EXCLUDED.format(topic="消防安全")
    await add_reminder(bot, "daily", "19:00", created=local(18), text=FIRE, topic="消防安全")
    await add_reminder(bot, "daily", "19:00", created=local(18), text=GARBAGE)
    await reminders.tick(bot, local(19, 0, 5))
    assert (await api.next_message(OTHER_GROUP.id))["text"] == GARBAGE
    group_texts = {(await api.next_message(GROUP.id))["text"] for _ in range(2)}
    assert group_texts == {FIRE, GARBAGE}
    await api.expect_no_message(OTHER_GROUP.id, within=0.3)

    # included again: the next occurrence reaches it
    api.send_text(OTHER_GROUP, ADMIN, "/reminders include 消防安全")
    assert (await api.next_message(OTHER_GROUP.id))["text"] == t.INCLUDED.format(topic="消防安全")
    await reminders.tick(bot, local(19, 0, 5, day=2))
    received = {(await api.next_message(OTHER_GROUP.id))["text"] for _ in range(2)}
    assert received == {FIRE, GARBAGE}


async def test_quiet_hours_hold_until_seven_and_urgent_goes_through(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    # In the future, so the delivery worker (real clock) really holds the row.
    stop_ticks(bot)
    await join(api, GROUP, bind_as="幸福小区")
    calm = await add_reminder(bot, "daily", "22:30", created=local(12, year=2099), text=GARBAGE)
    await add_reminder(bot, "daily", "22:30", created=local(12, year=2099), text=FIRE, urgent=True)
    result = await reminders.tick(bot, local(22, 30, 5, year=2099))
    assert len(result.queued) == 2
    assert result.held == [(calm, local(22, 30, year=2099), local(7, day=2, year=2099))]
    assert (await api.next_message(GROUP.id))["text"] == FIRE
    await api.expect_no_message(GROUP.id, within=0.4)
    held = await rows(
        db,
        "SELECT o.not_before, o.status, o.priority FROM outbox o JOIN notices n"
        " ON n.id = o.notice_id WHERE n.urgent = 0",
    )
    assert [(datetime.fromisoformat(a), b, c) for a, b, c in held] == [
        (local(7, day=2, year=2099), "queued", 0)
    ]
    assert await rows(db, "SELECT status, send_after IS NOT NULL FROM reminder_occurrences"
                      " ORDER BY reminder_id") == [("queued", 1), ("queued", 0)]  # fmt: skip
    # the morning tick does not queue the held occurrence a second time
    assert (await reminders.tick(bot, local(7, 0, 5, day=2, year=2099))).queued == []
    assert await rows(db, "SELECT COUNT(*) FROM outbox WHERE kind = 'reminder'") == [(2,)]


async def test_today_lists_what_goes_out_today(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    stop_ticks(bot)
    today = utc_now().astimezone(TZ)
    midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
    early = await add_reminder(
        bot, "daily", "00:00", created=midnight - timedelta(minutes=1), text=GARBAGE
    )
    await add_reminder(bot, "daily", "23:59", created=midnight, text=FIRE, topic="消防安全")
    other_day = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[(today.weekday() + 1) % 7]
    await add_reminder(bot, "weekly", f"{other_day}@12:00", created=midnight, text="明天的")
    paused = await add_reminder(bot, "daily", "12:00", created=midnight, text="暂停的")
    api.send_text(api.private_chat(ADMIN), ADMIN, f"/reminders pause {paused}")
    await api.next_message(ADMIN.id)
    # the 00:00 one went out (to nobody yet: no bound group), the 23:59 one is to come
    result = await reminders.tick(bot, midnight + timedelta(seconds=30))
    assert [r for r, _, _ in result.queued] == [early]

    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/today")
    reply = (await api.next_message(chat.id))["text"]
    assert reply == (
        t.TODAY_TITLE.format(day=today.strftime("%m-%d"))
        + f"\n00:00 【垃圾分类】{GARBAGE}{t.TODAY_SENT}"
        + f"\n23:59 【消防安全】{FIRE}"
        + t.TODAY_SUBSCRIBE_HINT
    )
    # the words work in a group too (no subscribe hint there)
    await join(api, GROUP)
    api.send_text(GROUP, RESIDENT, "今天扔什么？")
    in_group = (await api.next_message(GROUP.id))["text"]
    assert in_group.endswith(FIRE)
    assert "00:00" in in_group
