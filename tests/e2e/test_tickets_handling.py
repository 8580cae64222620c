"""Tickets, end to end: 驳回 with a reason, reopening from the resident's notification
(within the window, and refused after it), illegal transitions, the morning 督办 list, and
a complaint staff file for a resident who phoned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.local_api import LocalBotApi, User
from handlers.context import ResidentApplication
from handlers.tickets import jobs
from handlers.tickets import texts as t
from knowledge.tickets.lifecycle import Action, IllegalTransition, RejectReason
from storage.clock import utc_now
from tests.e2e.conftest import ADMIN, RESIDENT, STAFF_CHAT, button_data, forge_press, rows
from tests.e2e.test_tickets_support import (
    context_of,
    draft,
    fast_limits,
    number_of,
    service,
    submit,
    to_summary,
)

pytestmark = pytest.mark.usefixtures(fast_limits.__name__)
REASON = RejectReason.NOT_OUR_DUTY.label


async def _reject(api: LocalBotApi, card: dict[str, Any], note: str) -> dict[str, Any]:
    """Staff press 驳回, pick the reason, write the note; returns the resident's notice."""
    admin = api.private_chat(ADMIN)
    api.press_button(STAFF_CHAT, ADMIN, card, button_data(card, t.BTN_REJECT))
    reasons = await api.next_message(STAFF_CHAT.id)
    api.press_button(STAFF_CHAT, ADMIN, reasons, button_data(reasons, REASON))
    assert REASON in (await api.next_message(admin.id))["text"]
    api.send_text(admin, ADMIN, note)
    assert (await api.next_message(admin.id))["text"].startswith("已驳回")
    return await api.next_message(api.private_chat(RESIDENT).id)


async def test_reject_needs_a_reason_and_a_note(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    admin = api.private_chat(ADMIN)
    number, card = await submit(api)
    db = bot.services.db
    # 驳回 offers the list of reasons; nothing changes until a reason and a note are given.
    api.press_button(STAFF_CHAT, ADMIN, card, button_data(card, t.BTN_REJECT))
    reasons = await api.next_message(STAFF_CHAT.id)
    assert [b["text"] for row in reasons["reply_markup"]["inline_keyboard"] for b in row] == [
        r.label for r in RejectReason
    ]
    # A reason no button offered is refused.
    mark = api.mark()
    bad = button_data(reasons, REASON).rsplit(":", 1)[0] + ":99"
    forge_press(api, STAFF_CHAT, ADMIN, reasons, bad)
    await api.wait_for_call(
        "answerCallbackQuery", lambda c: c.params.get("show_alert") is True, after=mark
    )
    api.press_button(STAFF_CHAT, ADMIN, reasons, button_data(reasons, REASON))
    assert REASON in (await api.next_message(admin.id))["text"]
    api.send_sticker(admin, ADMIN)  # the note must be text
    assert (await api.next_message(admin.id))["text"] == t.NEED_TEXT
    api.send_text(admin, ADMIN, "/cancel")
    assert (await api.next_message(admin.id))["text"] == t.NOTE_CANCELLED
    assert await rows(db, "SELECT status FROM tickets") == [("received",)]

    notice = await _reject(api, card, "属于供电公司管辖，已告知供电服务热线 95598")
    assert number in notice["text"]
    assert "已驳回" in notice["text"]
    assert f"原因：{REASON}" in notice["text"]
    assert "95598" in notice["text"]
    assert t.BTN_REOPEN in [
        b["text"] for row in notice["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert await rows(db, "SELECT status FROM tickets") == [("rejected",)]
    assert await rows(
        db, "SELECT action, reason, note FROM ticket_events WHERE action = 'reject'"
    ) == [
        ("reject", RejectReason.NOT_OUR_DUTY.value, "属于供电公司管辖，已告知供电服务热线 95598")
    ]
    assert "已驳回" in api.message(STAFF_CHAT.id, card["message_id"])["text"]


async def test_reopen_within_the_window_and_refused_after(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    chat = api.private_chat(RESIDENT)
    admin = api.private_chat(ADMIN)
    number, card = await submit(api)
    notice = await _reject(api, card, "经核实不属实")
    api.press_button(chat, RESIDENT, notice, button_data(notice, t.BTN_REOPEN))
    assert (await api.next_message(chat.id))["text"] == t.ASK_REOPEN_REASON.format(number=number)
    api.send_text(chat, RESIDENT, "今天晚上又看到有人拉电线充电")
    assert (await api.next_message(chat.id))["text"] == t.REOPENED.format(number=number)
    db = bot.services.db
    assert await rows(db, "SELECT status, reopen_count FROM tickets") == [("received", 1)]
    assert "已受理" in api.message(STAFF_CHAT.id, card["message_id"])["text"]

    # Staff resolve it; the resident is told, with the rating and 重新打开 buttons.
    api.press_button(STAFF_CHAT, ADMIN, card, button_data(card, t.BTN_RESOLVE))
    await api.next_message(admin.id)
    api.send_text(admin, ADMIN, "已拆除飞线")
    await api.next_message(admin.id)
    resolved = await api.next_message(chat.id)
    assert "已办结" in resolved["text"]

    # Eight days later (the clock goes in through the service's `now`): too late.
    svc = service(bot)
    (ticket_id,) = (await rows(db, "SELECT id FROM tickets"))[0]
    later = utc_now() + timedelta(days=8)
    with pytest.raises(IllegalTransition, match="已超过 7 天"):
        await svc.apply(
            ticket_id, Action.REOPEN, actor_id=RESIDENT.id, is_staff=False, note="x", now=later
        )
    # The morning job closes it, unrated; the old notification's button is refused at once.
    await jobs.close_unrated(context_of(bot), later)
    closed = await api.next_message(chat.id)
    assert "已关闭" in closed["text"]
    mark = api.mark()
    api.press_button(chat, RESIDENT, resolved, button_data(resolved, t.BTN_REOPEN))
    refused = await api.wait_for_call("answerCallbackQuery", after=mark)
    assert refused.params["show_alert"] is True
    assert refused.params["text"] == t.TOO_LATE_STATUS.format(number=number, status="已关闭")
    await api.expect_no_message(chat.id, within=0.2)
    assert await rows(db, "SELECT status FROM tickets") == [("closed",)]
    # A closed card has no buttons left.
    assert "reply_markup" not in api.message(STAFF_CHAT.id, card["message_id"])


async def test_illegal_transitions_are_refused(api: LocalBotApi, bot: ResidentApplication) -> None:
    chat = api.private_chat(RESIDENT)
    _number, card = await submit(api)
    await _reject(api, card, "重复反映，已并入另一工单")
    db = bot.services.db
    for label in (t.BTN_ACCEPT, t.BTN_ASSIGN_ME, t.BTN_RESOLVE, t.BTN_REPLY):
        mark = api.mark()
        api.press_button(STAFF_CHAT, ADMIN, card, button_data(card, label))
        refused = await api.wait_for_call("answerCallbackQuery", after=mark)
        assert refused.params["show_alert"] is True
        assert "当前为“已驳回”" in refused.params["text"]
    await api.expect_no_message(api.private_chat(ADMIN).id, within=0.1)  # no note asked
    # The resident cannot rate a rejected ticket either (a forged rating button).
    (ticket_id,) = (await rows(db, "SELECT id FROM tickets"))[0]
    notice = api.sent_messages(chat.id)[-1]
    query = forge_press(api, chat, RESIDENT, notice, f"tku:rate:{ticket_id}:0")
    refused = await api.wait_for_call(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == query
    )
    assert refused.params["show_alert"] is True
    assert "不能评价" in refused.params["text"]
    assert await rows(db, "SELECT status FROM tickets") == [("rejected",)]
    assert await rows(db, "SELECT count(*) FROM ticket_events") == [(2,)]  # submit, reject


async def test_overdue_list_at_its_time(api: LocalBotApi, bot: ResidentApplication) -> None:
    svc = service(bot)
    start = utc_now() - timedelta(days=1)
    late = await svc.submit(draft(), reporter_id=RESIDENT.id, reporter_name="张阿姨", now=start)
    mine = await svc.submit(
        draft("小区东门垃圾站三天没人清运，味道很大", "小区东门", category="sanitation"),
        reporter_id=RESIDENT.id,
        reporter_name="张阿姨",
        now=start,
    )
    await svc.apply(
        mine.ticket.id,
        Action.ASSIGN,
        actor_id=ADMIN.id,
        is_staff=True,
        assignee=ADMIN.id,
        now=start + timedelta(minutes=5),
    )
    fresh = await svc.submit(
        draft("楼下噪音很大，晚上十一点还在装修", "5号楼", category="noise"),
        reporter_id=RESIDENT.id,
        reporter_name="张阿姨",
    )
    # The job's own time (08:30 tomorrow-ish): called directly with a fixed 'now'.
    await jobs.send_digest(context_of(bot), utc_now())
    digest = await api.next_message(STAFF_CHAT.id)
    assert "超时工单 1 件" in digest["text"]
    assert late.ticket.number in digest["text"]
    assert t.LATE_RESPONSE in digest["text"]  # the urgent category's 2 h first response
    assert fresh.ticket.number not in digest["text"]
    assert mine.ticket.number not in digest["text"]  # responded, 5 days to resolve
    # Six days on, the assigned one is late too, and its assignee is reminded.
    await jobs.send_digest(context_of(bot), utc_now() + timedelta(days=6))
    digest = await api.next_message(STAFF_CHAT.id)
    assert "超时工单 3 件" in digest["text"]
    reminder = await api.next_message(api.private_chat(ADMIN).id)
    assert reminder["text"].startswith("提醒：您名下有 1 件超时工单")
    assert mine.ticket.number in reminder["text"]
    assert t.LATE_RESOLVE in reminder["text"]


async def test_staff_file_for_a_resident_with_an_account(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    admin = api.private_chat(ADMIN)
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/start")  # the resident has talked to the bot before
    await api.next_message(chat.id)
    summary = await to_summary(api, ADMIN, start=f"/file_ticket {RESIDENT.id}")
    api.press_button(admin, ADMIN, summary, button_data(summary, "确认提交"))
    number = number_of(await api.next_message(admin.id))
    told = await api.next_message(chat.id)
    assert told["text"] == t.FILED_FOR_NOTICE.format(number=number)
    card = await api.next_message(STAFF_CHAT.id)
    assert f"ID {RESIDENT.id}" in card["text"]
    assert await rows(bot.services.db, "SELECT reporter_id, filed_by, channel FROM tickets") == [
        (RESIDENT.id, ADMIN.id, "phone")
    ]
    api.press_button(STAFF_CHAT, ADMIN, card, button_data(card, t.BTN_ACCEPT))
    assert "处理中" in (await api.next_message(chat.id))["text"]


async def test_ticket_by_its_short_number(api: LocalBotApi, bot: ResidentApplication) -> None:
    """/ticket 1 finds today's first ticket (before: 没有找到工单 1); a resident who may
    not see a ticket is not shown it by its short number either."""
    number, _card = await submit(api)
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, f"/ticket {int(number.rsplit('-', 1)[1])}")
    assert number in (await api.next_message(admin.id))["text"]
    stranger = User(id=1777, first_name="路人", language_code="zh-hans")
    api.send_text(api.private_chat(stranger), stranger, "/ticket 1")
    reply = (await api.next_message(stranger.id))["text"]
    assert number not in reply
    assert reply == t.TICKET_NOT_FOUND.format(number="1")
