"""Tickets, end to end: a complaint from a group deep link to a ticket number, then the
staff card through accept → assign → resolve, and the resident's rating."""

from __future__ import annotations

import pytest

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.tickets import texts as t
from tests.e2e.conftest import ADMIN, GROUP, RESIDENT, STAFF_CHAT, button_data, forge_press, rows
from tests.e2e.test_tickets_support import fast_limits

pytestmark = pytest.mark.usefixtures(fast_limits.__name__)

DESCRIPTION = "3号楼楼道里有人给电动车充电，电线从窗户拉出来"


async def file_complaint(api: LocalBotApi, *, photos: int = 0) -> dict[str, object]:
    """The resident goes through every step; returns the summary message."""
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/start complain")
    assert (await api.next_message(chat.id))["text"] == t.ASK_DESCRIPTION
    api.send_text(chat, RESIDENT, DESCRIPTION)
    categories = await api.next_message(chat.id)
    assert "⭐消防隐患" in [
        b["text"] for row in categories["reply_markup"]["inline_keyboard"] for b in row
    ]
    api.press_button(chat, RESIDENT, categories, button_data(categories, "消防隐患"))
    ask_photos = await api.next_message(chat.id)
    for _ in range(photos):
        api.send_photo(chat, RESIDENT)
        await api.next_message(chat.id)
    api.press_button(chat, RESIDENT, ask_photos, button_data(ask_photos, t.BTN_NEXT))
    where = await api.next_message(chat.id)
    api.press_button(chat, RESIDENT, where, button_data(where, t.BTN_LOCATION_TEXT))
    await api.next_message(chat.id)
    api.send_text(chat, RESIDENT, "3号楼2单元楼道")
    ask_phone = await api.next_message(chat.id)
    api.press_button(chat, RESIDENT, ask_phone, button_data(ask_phone, t.BTN_SKIP))
    ask_anon = await api.next_message(chat.id)
    assert "工作人员仍然能看到" in ask_anon["text"]
    api.press_button(chat, RESIDENT, ask_anon, button_data(ask_anon, t.BTN_ANONYMOUS))
    return await api.next_message(chat.id)


async def test_group_deep_link_to_ticket_number(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    api.send_text(GROUP, RESIDENT, "/complain")
    link = await api.next_message(GROUP.id)
    assert link["text"] == t.GO_PRIVATE
    assert link["reply_markup"]["inline_keyboard"][0][0]["url"].endswith("?start=complain")

    summary = await file_complaint(api, photos=2)
    assert "照片：2 张" in summary["text"]
    assert "对其他居民匿名：是" in summary["text"]
    chat = api.private_chat(RESIDENT)
    api.press_button(chat, RESIDENT, summary, button_data(summary, "确认提交"))
    done = await api.next_message(chat.id)
    assert done["text"].startswith("已提交，工单编号：TS-")
    number = done["text"].split("：", 1)[1].split("\n", 1)[0]
    card = await api.next_message(STAFF_CHAT.id)
    assert number in card["text"]
    assert DESCRIPTION in card["text"]
    # nothing personal went to the group
    assert all(DESCRIPTION not in m.get("text", "") for m in api.sent_messages(GROUP.id))
    assert await rows(bot.services.db, "SELECT status FROM tickets WHERE number = ?", number) == [
        ("received",)
    ]


async def test_edit_before_confirm_and_cancel(api: LocalBotApi, bot: ResidentApplication) -> None:
    chat = api.private_chat(RESIDENT)
    summary = await file_complaint(api)
    api.press_button(chat, RESIDENT, summary, button_data(summary, "改描述"))
    await api.next_message(chat.id)
    api.send_text(chat, RESIDENT, "楼道堆了很多纸箱，挡住了消防通道")
    again = await api.next_message(chat.id)
    assert "楼道堆了很多纸箱" in again["text"]
    api.send_text(chat, RESIDENT, "/cancel")
    assert (await api.next_message(chat.id))["text"] == t.CANCELLED
    assert await rows(bot.services.db, "SELECT count(*) FROM tickets") == [(0,)]


async def test_staff_accept_assign_resolve_and_partly_rating(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    chat = api.private_chat(RESIDENT)
    admin = api.private_chat(ADMIN)
    summary = await file_complaint(api)
    api.press_button(chat, RESIDENT, summary, button_data(summary, "确认提交"))
    await api.next_message(chat.id)
    card = await api.next_message(STAFF_CHAT.id)

    # a resident pressing a forged staff button is refused, nothing changes
    forge_press(api, STAFF_CHAT, RESIDENT, card, button_data(card, t.BTN_ACCEPT))
    await api.wait_for_call("answerCallbackQuery", lambda c: c.params.get("show_alert") is True)

    api.press_button(STAFF_CHAT, ADMIN, card, button_data(card, t.BTN_ACCEPT))
    note = await api.next_message(chat.id)
    assert "处理中" in note["text"]
    api.press_button(STAFF_CHAT, ADMIN, card, button_data(card, t.BTN_ASSIGN_ME))
    assert "已派单" in (await api.next_message(chat.id))["text"]
    # accept again from 已派单 goes to 处理中 (legal); accepting twice from 处理中 is refused
    api.press_button(STAFF_CHAT, ADMIN, card, button_data(card, t.BTN_ACCEPT))
    await api.next_message(chat.id)
    mark = api.mark()
    api.press_button(STAFF_CHAT, ADMIN, card, button_data(card, t.BTN_ACCEPT))
    refused = await api.wait_for_call(
        "answerCallbackQuery", lambda c: "不能" in str(c.params.get("text")), after=mark
    )
    assert refused.params["show_alert"] is True

    api.press_button(STAFF_CHAT, ADMIN, card, button_data(card, t.BTN_RESOLVE))
    assert "办结" in (await api.next_message(admin.id))["text"]
    api.send_text(admin, ADMIN, "已清理飞线，并张贴了安全提示")
    assert (await api.next_message(admin.id))["text"].startswith("已办结")
    resolved = await api.next_message(chat.id)
    assert "已清理飞线" in resolved["text"]
    assert "已办结" in api.message(STAFF_CHAT.id, card["message_id"])["text"]  # edited in place

    api.press_button(chat, RESIDENT, resolved, button_data(resolved, "部分解决"))
    stars = await api.next_message(chat.id)
    api.press_button(chat, RESIDENT, stars, button_data(stars, "⭐⭐⭐"))
    ask = await api.next_message(chat.id)
    api.press_button(chat, RESIDENT, ask, button_data(ask, t.BTN_SKIP))
    reopened = await api.next_message(chat.id)
    assert "重新打开" in reopened["text"]
    assert await rows(bot.services.db, "SELECT status, reopen_count FROM tickets") == [
        ("assigned", 1)
    ]


@pytest.mark.parametrize("limit", [1])
async def test_blocked_resident_refused(
    api: LocalBotApi, bot: ResidentApplication, limit: int
) -> None:
    admin = api.private_chat(ADMIN)
    chat = api.private_chat(RESIDENT)
    api.send_text(admin, ADMIN, f"/block {RESIDENT.id} 恶意刷单")
    assert (await api.next_message(admin.id))["text"] == t.BLOCKED_DONE.format(user_id=RESIDENT.id)
    api.send_text(chat, RESIDENT, "/complain")
    refused = await api.next_message(chat.id)
    assert refused["text"] != t.ASK_DESCRIPTION
    api.send_text(admin, ADMIN, f"/unblock {RESIDENT.id}")
    assert (await api.next_message(admin.id))["text"] == t.UNBLOCKED_DONE.format(
        user_id=RESIDENT.id
    )
    api.send_text(chat, RESIDENT, "/complain")
    assert (await api.next_message(chat.id))["text"] == t.ASK_DESCRIPTION
    assert limit == 1
