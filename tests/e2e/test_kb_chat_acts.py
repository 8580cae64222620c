"""Thanks, greetings and 我要报修 get their own reply, never a decline, and never reach
staff's queue; a declined message that tells of a problem also offers the complaint flow."""

from __future__ import annotations

import aiosqlite

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.qa import texts as t
from handlers.tickets import texts as tickets_texts
from tests.e2e.conftest import ADMIN, GROUP, RESIDENT, buttons
from tests.e2e.test_kb_support import ask, labels, press, question_rows


async def test_thanks_acknowledgements_and_greetings_are_not_questions(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    assert (await ask(api, chat, RESIDENT, "谢谢"))["text"] == t.THANKS_REPLY
    assert (await ask(api, chat, RESIDENT, "謝謝您！！"))["text"] == t.THANKS_REPLY
    ack = await ask(api, chat, RESIDENT, "好的")
    assert ack["text"] == t.ACK_REPLY
    assert buttons(ack) == []
    hello = await ask(api, chat, RESIDENT, "在吗？")
    assert hello["text"] == t.GREETING_REPLY
    assert labels(hello) == [t.BTN_REPORT]
    assert await question_rows(db) == []
    admin = api.private_chat(ADMIN)
    assert (await ask(api, admin, ADMIN, "/unanswered"))["text"] == t.UNANSWERED_EMPTY


async def test_thanks_around_a_question_is_still_a_question(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, "谢谢，驾照到期了怎么换证")
    assert reply["text"].startswith(t.DECLINE_HEAD)
    assert [r[3] for r in await question_rows(db)] == ["谢谢，驾照到期了怎么换证"]


async def test_i_want_to_report_opens_the_complaint_flow(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, "我要报修")
    assert reply["text"] == t.REPORT_REPLY
    assert labels(reply) == [t.BTN_REPORT]
    await press(api, chat, RESIDENT, reply, t.BTN_REPORT)
    assert (await api.next_message(chat.id, timeout=5))["text"] == tickets_texts.ASK_DESCRIPTION
    assert await question_rows(db) == []


async def test_in_a_group_the_report_button_opens_the_private_chat(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    api.send_text(GROUP, RESIDENT, "@resident_test_bot 我要投诉物业")
    reply = await api.next_message(GROUP.id, timeout=10)
    assert reply["text"] == t.REPORT_REPLY
    (button,) = buttons(reply)
    assert button["text"] == t.BTN_REPORT
    assert "callback_data" not in button
    assert button["url"].endswith("?start=complain")
    assert await question_rows(db) == []


async def test_a_declined_problem_also_offers_the_complaint_flow(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, "隔壁单位的空调外机滴水，滴到我家窗台上坏了")
    assert reply["text"].startswith(t.DECLINE_HEAD)
    assert labels(reply)[-2:] == [t.BTN_HUMAN, t.BTN_REPORT]
    await press(api, chat, RESIDENT, reply, t.BTN_REPORT)
    assert (await api.next_message(chat.id, timeout=5))["text"] == tickets_texts.ASK_DESCRIPTION
    (row,) = await question_rows(db)
    assert row[4] == 0  # the question stays in staff's queue, declined


async def test_asking_after_ones_own_report_points_to_my_tickets(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    """No passage answers it (the FAQ's renovation entry matched 投诉 + 噪音): 我的工单
    does, and staff's queue stays empty."""
    chat = api.private_chat(RESIDENT)
    for asked in ["前几天投诉的噪音有人管没", "之前报的事有结果没"]:
        reply = await ask(api, chat, RESIDENT, asked)
        assert reply["text"] == t.MY_TICKETS_REPLY
        assert labels(reply) == [t.BTN_MY_TICKETS]
    await press(api, chat, RESIDENT, reply, t.BTN_MY_TICKETS)
    assert (await api.next_message(chat.id, timeout=5))["text"] == tickets_texts.MY_EMPTY
    assert await question_rows(db) == []
