"""Private ballots and reminders end to end: `/consultnotify on` opts an owner in; the
ballot reaches them in private (through the broadcast outbox) and they vote there; the
daily reminder, run with a fixed 'now', goes only to opted-in owners who have not voted,
at most once a day."""

from __future__ import annotations

from datetime import datetime, timedelta

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers.consult import texts as t
from handlers.consult.ballot import send_reminders
from handlers.context import ResidentApplication
from storage.clock import utc_now
from tests.e2e.conftest import GROUP, NEIGHBOUR, RESIDENT, button_data, buttons, rows
from tests.e2e.test_consult_helpers import (
    LATE_OWNER,
    TITLE,
    link,
    press,
    publish,
    register_and_group,
)

pytestmark = pytest.mark.usefixtures("fast_consult_sync")


async def test_private_ballot_vote_and_daily_reminders(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    ids = await register_and_group(api, db)
    await link(db, ids["3-1-101"], RESIDENT)
    await link(db, ids["3-1-102"], NEIGHBOUR)
    await link(db, ids["3-2-201"], LATE_OWNER)  # an owner who never opts in
    resident, neighbour = api.private_chat(RESIDENT), api.private_chat(NEIGHBOUR)
    late = api.private_chat(LATE_OWNER)
    for chat, user in ((resident, RESIDENT), (neighbour, NEIGHBOUR)):
        api.send_text(chat, user, "/consultnotify on")
        assert (await api.next_message(chat.id))["text"] == t.NOTIFY_ON

    cid = await publish(bot.services.database, hours=120)
    ballot = await api.next_message(GROUP.id, timeout=5)
    assert f"#{cid}" in ballot["text"]
    private_ballot = await api.next_message(resident.id, timeout=5)
    assert private_ballot["text"].startswith(f"【业主意见征询 #{cid}】{TITLE}")
    assert private_ballot["text"].endswith(t.PRIVATE_FOOTER)
    assert [b["text"] for b in buttons(private_ballot)] == ["同意", "不同意", "弃权"]
    assert button_data(private_ballot, "同意") == f"cv:v:{cid}:0"
    assert f"#{cid}" in (await api.next_message(neighbour.id, timeout=5))["text"]

    # the owner votes in private: the answer, then the receipt in the same chat
    assert await press(api, resident, RESIDENT, private_ballot, "弃权") == (
        t.VOTED_ALERT.format(option="弃权")
    )
    receipt = await api.next_message(resident.id)
    assert "幸福小区3号楼1单元101室" in receipt["text"]
    assert "意见：弃权" in receipt["text"]
    assert await rows(db, "SELECT household_id, option, user_id, via_chat FROM consult_votes") == [
        (ids["3-1-101"], "弃权", RESIDENT.id, resident.id)
    ]
    await api.expect_no_message(late.id, within=0.2)  # not opted in: no private ballot

    # reminders at a fixed time within the voting period: tomorrow 10:00 local time
    tz = bot.services.settings.timezone
    at = (utc_now().astimezone(tz) + timedelta(days=1)).replace(hour=10, minute=0, second=0)
    assert await send_reminders(bot.bot, bot.services, at) == 1
    reminder = await api.next_message(neighbour.id)
    assert reminder["text"].startswith(f"提醒：征询 #{cid}「{TITLE}」将于 ")
    assert button_data(reminder, "同意") == f"cv:v:{cid}:0"
    await api.expect_no_message(resident.id, within=0.1)  # voted
    await api.expect_no_message(late.id, within=0.1)  # not opted in
    # at most one a day: again the same day, and later that day, nothing
    assert await send_reminders(bot.bot, bot.services, at) == 0
    assert await send_reminders(bot.bot, bot.services, at + timedelta(minutes=30)) == 0
    await api.expect_no_message(neighbour.id, within=0.1)
    # the next day, again; after opting out, never
    assert await send_reminders(bot.bot, bot.services, at + timedelta(days=1)) == 1
    assert (await api.next_message(neighbour.id))["text"] == reminder["text"]
    api.send_text(neighbour, NEIGHBOUR, "/consultnotify off")
    assert (await api.next_message(neighbour.id))["text"] == t.NOTIFY_OFF
    assert await send_reminders(bot.bot, bot.services, at + timedelta(days=2)) == 0
    # after the deadline, no reminders either
    api.send_text(neighbour, NEIGHBOUR, "/consultnotify on")
    await api.next_message(neighbour.id)
    closes = (await rows(db, "SELECT closes_at FROM consultations WHERE id = ?", cid))[0][0]
    after = datetime.fromisoformat(closes) + timedelta(minutes=1)
    assert await send_reminders(bot.bot, bot.services, after) == 0
    await api.expect_no_message(neighbour.id, within=0.1)


async def test_owners_voting_at_the_same_moment_all_count(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    """Three owners press their private ballots at once: their updates run concurrently
    (different chats), and each vote's transaction waits its turn on the one connection
    (before, a second BEGIN during the first failed and that vote was lost to an error)."""
    ids = await register_and_group(api, db)
    owners = [(RESIDENT, "3-1-101"), (NEIGHBOUR, "3-1-102"), (LATE_OWNER, "3-2-201")]
    for user, address in owners:
        await link(db, ids[address], user)
        chat = api.private_chat(user)
        api.send_text(chat, user, "/consultnotify on")
        assert (await api.next_message(chat.id))["text"] == t.NOTIFY_ON
    cid = await publish(bot.services.database, hours=120)
    await api.next_message(GROUP.id, timeout=5)
    ballots = [await api.next_message(api.private_chat(u).id, timeout=5) for u, _ in owners]
    queries = [
        api.press_button(api.private_chat(u), u, b, button_data(b, "不同意" if i else "同意"))
        for i, ((u, _), b) in enumerate(zip(owners, ballots, strict=True))
    ]
    answers = [await api.wait_for_call(
        "answerCallbackQuery", lambda c, q=q: c.params.get("callback_query_id") == q
    ) for q in queries]  # fmt: skip
    assert [a.params.get("text") for a in answers] == [
        t.VOTED_ALERT.format(option="同意"),
        t.VOTED_ALERT.format(option="不同意"),
        t.VOTED_ALERT.format(option="不同意"),
    ]
    stored = await rows(
        db, "SELECT seq, household_id FROM consult_votes WHERE consultation_id = ? ORDER BY seq",
        cid,
    )  # fmt: skip
    assert [s for s, _ in stored] == [1, 2, 3]
    assert sorted(h for _, h in stored) == sorted(ids[a] for _, a in owners)
