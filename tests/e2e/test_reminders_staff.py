"""Staff's /reminders list buttons, end to end: pause, resume, delete (asked first), a test
sent to the presser; forged presses refused."""

from __future__ import annotations

import aiosqlite

from bot.local_api import LocalBotApi
from handlers import texts as common
from handlers.context import ResidentApplication
from handlers.reminders import texts as t
from storage.clock import utc_now
from tests.e2e.conftest import ADMIN, RESIDENT, STAFF_CHAT, button_data, buttons, forge_press, rows
from tests.e2e.test_foundation_helpers import answer_of
from tests.e2e.test_reminders_support import add_reminder, stop_ticks

TEXT = "【消防安全提醒】楼道里不要堆放纸箱杂物。"


async def enabled(db: aiosqlite.Connection, rid: int) -> bool:
    ((value,),) = await rows(db, "SELECT enabled FROM reminders WHERE id = ?", rid)
    return bool(value)


async def test_pause_resume_test_and_delete_buttons(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    stop_ticks(bot)
    rid = await add_reminder(bot, "daily", "09:00", created=utc_now(), text=TEXT, topic="消防安全")
    chat = api.private_chat(ADMIN)
    api.send_text(chat, ADMIN, "/reminders")
    listing = await api.next_message(chat.id)
    assert listing["text"].startswith(t.LIST_TITLE.format(count=1))
    assert f"#{rid} ▶️【消防安全】每天 09:00" in listing["text"]
    assert "下次：" in listing["text"]
    assert "09:00" in listing["text"]

    api.press_button(chat, ADMIN, listing, button_data(listing, t.BUTTON_PAUSE.format(id=rid)))
    assert (await api.next_message(chat.id))["text"] == t.PAUSED.format(id=rid)
    assert not await enabled(db, rid)
    # the old list's ⏸ again: nothing changes, and it says so
    api.press_button(chat, ADMIN, listing, button_data(listing, t.BUTTON_PAUSE.format(id=rid)))
    assert (await api.next_message(chat.id))["text"] == t.ALREADY.format(id=rid)

    api.send_text(chat, ADMIN, "/reminders")
    paused = await api.next_message(chat.id)
    assert t.STATE_OFF in paused["text"]
    assert t.NEXT_PAUSED in paused["text"]
    api.press_button(chat, ADMIN, paused, button_data(paused, t.BUTTON_RESUME.format(id=rid)))
    resumed = (await api.next_message(chat.id))["text"]
    assert resumed.startswith(f"提醒 #{rid} 已恢复，下次：")
    assert "09:00" in resumed
    assert await enabled(db, rid)

    # a test to myself: the reminder as a resident sees it in private, now
    api.press_button(chat, ADMIN, paused, button_data(paused, t.BUTTON_TEST.format(id=rid)))
    assert (await api.next_message(chat.id))["text"].startswith("测试已排队")
    test = await api.next_message(chat.id)
    assert test["text"].startswith(TEXT)
    assert t.FOOTER.format(topic="消防安全") in test["text"]
    assert [b["text"] for b in buttons(test)] == [t.FOOTER_BUTTON.format(topic="消防安全")]
    assert await rows(db, "SELECT ref, total FROM notices") == [(f"reminder-test:{rid}", 1)]
    # like every notice, the test ends with its delivery report to the sender
    assert "送达报告" in (await api.next_message(chat.id))["text"]

    # delete asks first; 不删了 keeps it, 确认删除 deletes it (the question is edited)
    api.press_button(chat, ADMIN, paused, button_data(paused, t.BUTTON_DELETE.format(id=rid)))
    ask = await api.next_message(chat.id)
    assert ask["text"].startswith(f"确定删除提醒 #{rid}？")
    api.press_button(chat, ADMIN, ask, button_data(ask, t.BUTTON_KEEP))
    await api.wait_for_call("editMessageText", lambda c: c.params.get("text") == t.KEPT)
    assert await rows(db, "SELECT COUNT(*) FROM reminders") == [(1,)]
    api.press_button(chat, ADMIN, paused, button_data(paused, t.BUTTON_DELETE.format(id=rid)))
    ask = await api.next_message(chat.id)
    api.press_button(chat, ADMIN, ask, button_data(ask, t.BUTTON_DELETE_OK.format(id=rid)))
    await api.wait_for_call(
        "editMessageText", lambda c: c.params.get("text") == t.DELETED.format(id=rid)
    )
    assert await rows(db, "SELECT COUNT(*) FROM reminders") == [(0,)]
    assert await rows(
        db, "SELECT action FROM audit_log WHERE action LIKE 'reminder.%' ORDER BY id"
    ) == [("reminder.pause",), ("reminder.resume",), ("reminder.delete",)]
    # a button of the deleted reminder
    api.press_button(chat, ADMIN, paused, button_data(paused, t.BUTTON_TEST.format(id=rid)))
    assert (await api.next_message(chat.id))["text"] == t.NOT_FOUND.format(id=rid)


async def test_commands_in_the_staff_group(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    stop_ticks(bot)
    rid = await add_reminder(bot, "weekly", "MON,THU@19:00", created=utc_now())
    api.send_text(STAFF_CHAT, ADMIN, f"/reminders pause {rid}")
    assert (await api.next_message(STAFF_CHAT.id))["text"] == t.PAUSED.format(id=rid)
    api.send_text(STAFF_CHAT, ADMIN, "/reminders resume 999")
    assert (await api.next_message(STAFF_CHAT.id))["text"] == t.NOT_FOUND.format(id=999)
    api.send_text(STAFF_CHAT, ADMIN, "/reminders frobnicate 1")
    assert (await api.next_message(STAFF_CHAT.id))["text"] == t.USAGE
    assert not await enabled(db, rid)


async def test_forged_presses_are_refused(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    stop_ticks(bot)
    rid = await add_reminder(bot, "daily", "09:00", created=utc_now())
    resident = api.private_chat(RESIDENT)
    api.send_text(resident, RESIDENT, "/reminders")
    refusal = await api.next_message(resident.id)
    assert refusal["text"] == common.NOT_STAFF
    for action in ("pause", "delok", "test"):
        query = forge_press(api, resident, RESIDENT, refusal, f"rem:{action}:{rid}")
        answer = await answer_of(api, query)
        assert answer.params.get("text") == common.NOT_STAFF
    await api.expect_no_message(resident.id, within=0.2)
    assert await enabled(db, rid)
    assert await rows(db, "SELECT COUNT(*) FROM notices") == [(0,)]

    # staff, but data no button carries: an alert, nothing done
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/reminders")
    listing = await api.next_message(admin.id)
    for data in (f"rem:explode:{rid}", "rem:pause", f"rem:pause:{rid}:1", "rem:pause:-1"):
        answer = await answer_of(api, forge_press(api, admin, ADMIN, listing, data))
        assert answer.params.get("text") == t.ADD_EXPIRED
    await api.expect_no_message(admin.id, within=0.2)
    assert await enabled(db, rid)
