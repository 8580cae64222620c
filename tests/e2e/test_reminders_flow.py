"""Staff's guided /reminders add, end to end: template or own text → schedule → target →
topic → confirm; 取消 and /cancel; a restart in the middle (the flow resumes); stale and
forged flow buttons refused."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers import texts as common
from handlers.context import ResidentApplication
from handlers.reminders import add_flow
from handlers.reminders import texts as t
from tests.e2e.conftest import ADMIN, RESIDENT, button_data, buttons, forge_press, rows
from tests.e2e.test_foundation_helpers import answer_of, eventually

REMINDER_COLUMNS = "schedule_kind, spec, target, topic, template, created_by, enabled"


async def test_template_flow_from_the_list_creates_the_reminder(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(ADMIN)
    api.send_text(chat, ADMIN, "/reminders")
    listing = await api.next_message(chat.id)
    assert listing["text"] == t.LIST_EMPTY
    api.press_button(chat, ADMIN, listing, button_data(listing, t.BUTTON_ADD))
    templates = await api.next_message(chat.id)
    assert templates["text"] == t.ADD_CHOOSE_TEMPLATE
    # the self-written notice template has no schedule, so it is not offered as a button
    assert "社区通知（自拟）" not in [b["text"] for b in buttons(templates)]
    api.press_button(chat, ADMIN, templates, button_data(templates, "垃圾定时投放"))
    chosen = await api.next_message(chat.id)
    assert chosen["text"].startswith("已选模板「垃圾定时投放」")
    ask_schedule = await api.next_message(chat.id)
    assert "第 2 步" in ask_schedule["text"]
    suggested = t.BUTTON_SUGGESTED.format(schedule="每天 07:00")
    api.press_button(chat, ADMIN, ask_schedule, button_data(ask_schedule, suggested))
    ask_target = await api.next_message(chat.id)
    assert ask_target["text"] == t.ADD_ASK_TARGET
    api.press_button(chat, ADMIN, ask_target, button_data(ask_target, t.TARGET_CHOICES[1]))
    ask_topic = await api.next_message(chat.id)
    assert ask_topic["text"] == t.ADD_ASK_TOPIC
    api.press_button(chat, ADMIN, ask_topic, button_data(ask_topic, "垃圾分类"))
    summary = await api.next_message(chat.id)
    assert "第 5 步" in summary["text"]
    assert "发给：所有已绑定的群＋订阅「垃圾分类」的居民" in summary["text"]
    assert "时间：每天 07:00" in summary["text"]
    assert "22:00-07:00" in summary["text"]  # what quiet hours do to it
    assert await rows(db, "SELECT COUNT(*) FROM reminders") == [(0,)]

    api.press_button(chat, ADMIN, summary, button_data(summary, t.BUTTON_CONFIRM))
    done = await api.next_message(chat.id)
    assert done["text"].startswith("已创建提醒 #1，下次发送：")
    assert done["text"].endswith("07:00。")
    assert await rows(db, f"SELECT {REMINDER_COLUMNS} FROM reminders") == [
        ("daily", "07:00", "all+subscribers:垃圾分类", "垃圾分类", "garbage_dropoff", ADMIN.id, 1)
    ]
    assert await rows(
        db, "SELECT actor_id, action, target FROM audit_log WHERE action LIKE 'rem%'"
    ) == [(ADMIN.id, "reminder.add", "1")]
    # the finished flow's ✅ pressed again creates nothing more
    api.press_button(chat, ADMIN, summary, button_data(summary, t.BUTTON_CONFIRM))
    assert (await api.next_message(chat.id))["text"] == t.ADD_EXPIRED
    assert await rows(db, "SELECT COUNT(*) FROM reminders") == [(1,)]


async def test_own_text_typed_schedule_and_target_then_cancel_button(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(ADMIN)
    api.send_text(chat, ADMIN, "/reminders add")
    templates = await api.next_message(chat.id)
    api.press_button(chat, ADMIN, templates, button_data(templates, t.BUTTON_OWN_TEXT))
    assert "请发送提醒的文字" in (await api.next_message(chat.id))["text"]
    api.send_sticker(chat, ADMIN)
    assert (await api.next_message(chat.id))["text"] == t.ADD_NEED_TEXT
    api.send_text(chat, ADMIN, "x" * 3501)
    assert "太长了" in (await api.next_message(chat.id))["text"]
    api.send_text(chat, ADMIN, "【消防安全提醒】周四下午消防演练，请配合。")
    ask_schedule = await api.next_message(chat.id)
    assert "第 2 步" in ask_schedule["text"]
    assert buttons(ask_schedule) == []  # no suggested time for own text
    api.send_text(chat, ADMIN, "明天吧")
    assert (await api.next_message(chat.id))["text"] == t.ADD_BAD_SCHEDULE
    api.send_text(chat, ADMIN, "一次 2020-01-01 08:00")
    assert (await api.next_message(chat.id))["text"] == t.ADD_PAST_SCHEDULE
    api.send_text(chat, ADMIN, "每周一和周四 晚上7点")  # as staff write it
    assert (await api.next_message(chat.id))["text"] == t.ADD_ASK_TARGET
    api.send_text(chat, ADMIN, "小区")
    assert (await api.next_message(chat.id))["text"] == t.ADD_BAD_TARGET
    api.send_text(chat, ADMIN, "building:幸福小区/3")
    ask_topic = await api.next_message(chat.id)
    api.press_button(chat, ADMIN, ask_topic, button_data(ask_topic, "消防安全"))
    summary = await api.next_message(chat.id)
    assert "时间：每周一、四 19:00" in summary["text"]
    assert "发给：幸福小区3号楼的群" in summary["text"]
    api.press_button(chat, ADMIN, summary, button_data(summary, t.BUTTON_CANCEL))
    assert (await api.next_message(chat.id))["text"] == t.ADD_CANCELLED
    assert await rows(db, "SELECT COUNT(*) FROM reminders") == [(0,)]
    # the summary's ✅ after 取消: nothing is created
    api.press_button(chat, ADMIN, summary, button_data(summary, t.BUTTON_CONFIRM))
    assert (await api.next_message(chat.id))["text"] == t.ADD_EXPIRED
    assert await rows(db, "SELECT COUNT(*) FROM reminders") == [(0,)]


async def test_cancel_command_mid_flow_and_the_next_flow_starts_clean(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(ADMIN)
    api.send_text(chat, ADMIN, "/reminders add")
    templates = await api.next_message(chat.id)
    api.press_button(chat, ADMIN, templates, button_data(templates, "灭火器自查"))
    await api.next_message(chat.id)
    await api.next_message(chat.id)  # 第 2 步
    api.send_text(chat, ADMIN, "/cancel")
    assert (await api.next_message(chat.id))["text"] == t.ADD_CANCELLED

    async def draft_gone() -> bool:
        data = await rows(db, "SELECT data FROM ptb_user_data WHERE user_id = ?", ADMIN.id)
        return not data or add_flow.DRAFT not in json.loads(data[0][0])

    await eventually(draft_gone, what="the draft dropped")
    # a schedule typed now is not taken by a flow that is over (it is a question now)
    api.send_text(chat, ADMIN, "每天 08:00")
    assert (await api.next_message(chat.id))["text"] != t.ADD_ASK_TARGET
    assert await rows(db, "SELECT COUNT(*) FROM reminders") == [(0,)]


async def test_forged_and_stale_flow_buttons_are_refused(
    api: LocalBotApi,
    bot: ResidentApplication,
    db: aiosqlite.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # a resident forging the flow's buttons: refused, as for every staff button
    resident = api.private_chat(RESIDENT)
    api.send_text(resident, RESIDENT, "/reminders add")
    refusal = await api.next_message(resident.id)
    assert refusal["text"] == common.NOT_STAFF
    for data in ("remadd:new", "remadd:tpl:0", "remadd:ok"):
        query = forge_press(api, resident, RESIDENT, refusal, data)
        assert (await answer_of(api, query)).params.get("text") == common.NOT_STAFF
    await api.expect_no_message(resident.id, within=0.2)

    # staff mid-flow: a forged ✅ before the summary was shown creates nothing (the
    # template already gave a topic, a schedule and target were chosen: not confirmed)
    chat = api.private_chat(ADMIN)
    api.send_text(chat, ADMIN, "/reminders add")
    templates = await api.next_message(chat.id)
    api.press_button(chat, ADMIN, templates, button_data(templates, "消防通道畅通"))
    await api.next_message(chat.id)
    ask_schedule = await api.next_message(chat.id)
    api.press_button(chat, ADMIN, ask_schedule, buttons(ask_schedule)[0]["callback_data"])
    ask_target = await api.next_message(chat.id)
    api.press_button(chat, ADMIN, ask_target, button_data(ask_target, t.TARGET_CHOICES[0]))
    ask_topic = await api.next_message(chat.id)
    forge_press(api, chat, ADMIN, ask_topic, "remadd:ok")
    assert (await api.next_message(chat.id))["text"] == t.ADD_EXPIRED
    # out-of-range and malformed data: refused with an alert, nothing created
    for data in ("remadd:tpl:99", "remadd:tpl:9", "remadd:top:7", "remadd:tgt", "remadd:z:1"):
        query = forge_press(api, chat, ADMIN, ask_topic, data)
        await answer_of(api, query)
    await api.wait_for_call("sendMessage", lambda c: c.params.get("text") == t.ADD_EXPIRED)
    assert await rows(db, "SELECT COUNT(*) FROM reminders") == [(0,)]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_restart_mid_flow_resumes_where_it_was(
    api: LocalBotApi, restart: Callable[[], Any]
) -> None:
    chat = api.private_chat(ADMIN)
    async with restart() as app:
        api.send_text(chat, ADMIN, "/reminders add")
        templates = await api.next_message(chat.id)
        api.press_button(chat, ADMIN, templates, button_data(templates, "电动车充电安全"))
        await api.next_message(chat.id)
        ask_schedule = await api.next_message(chat.id)
        db = app.services.db

        async def saved() -> bool:
            state = await rows(
                db, "SELECT state FROM ptb_conversations WHERE name = 'reminders_add'"
            )
            data = await rows(db, "SELECT data FROM ptb_user_data WHERE user_id = ?", ADMIN.id)
            draft = json.loads(data[0][0]).get(add_flow.DRAFT, {}) if data else {}
            steps = [json.loads(s[0]) for s in state]
            return steps == [add_flow.SCHEDULE] and draft.get("template") == "ebike_charging"

        await eventually(saved, timeout=2, what="the draft and its step in the database")

    # A new process on the same database: the flow goes on from step 2.
    async with restart() as app:
        await api.expect_no_message(chat.id, within=0.2)  # nothing replayed
        # The keyboard sent before the restart still works.
        suggested = t.BUTTON_SUGGESTED.format(schedule="每周一、四 19:00")
        api.press_button(chat, ADMIN, ask_schedule, button_data(ask_schedule, suggested))
        ask_target = await api.next_message(chat.id)
        api.press_button(chat, ADMIN, ask_target, button_data(ask_target, t.TARGET_CHOICES[2]))
        ask_topic = await api.next_message(chat.id)
        api.press_button(chat, ADMIN, ask_topic, button_data(ask_topic, "消防安全"))
        summary = await api.next_message(chat.id)
        assert "电动车" in summary["text"]
        api.press_button(chat, ADMIN, summary, button_data(summary, t.BUTTON_CONFIRM))
        assert (await api.next_message(chat.id))["text"].startswith("已创建提醒 #1")
        assert await rows(app.services.db, f"SELECT {REMINDER_COLUMNS} FROM reminders") == [
            ("weekly", "MON,THU@19:00", "subscribers:消防安全", "消防安全", "ebike_charging",
             ADMIN.id, 1)
        ]  # fmt: skip
