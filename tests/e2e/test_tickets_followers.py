"""Tickets, end to end: the duplicate prompt. 同一个问题，关注它 makes the neighbour a
follower (told of every change, 同问 N 人 on the staff card); 不是，继续提交 files anew."""

from __future__ import annotations

import pytest

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.tickets import texts as t
from tests.e2e.conftest import (
    ADMIN,
    NEIGHBOUR,
    RESIDENT,
    STAFF_CHAT,
    button_data,
    forge_press,
    rows,
)
from tests.e2e.test_tickets_support import fast_limits, number_of, submit, to_summary

pytestmark = pytest.mark.usefixtures(fast_limits.__name__)
SAME = "3号楼楼道里有人拉电线给电动车充电，很危险"


async def test_follow_the_same_problem(api: LocalBotApi, bot: ResidentApplication) -> None:
    number, card = await submit(api)
    assert "同问 0 人" in card["text"]
    chat = api.private_chat(NEIGHBOUR)
    summary = await to_summary(api, NEIGHBOUR, SAME)
    api.press_button(chat, NEIGHBOUR, summary, button_data(summary, "确认提交"))
    prompt = await api.next_message(chat.id)
    assert number in prompt["text"]
    assert "同问 0 人" in prompt["text"]
    api.press_button(chat, NEIGHBOUR, prompt, button_data(prompt, t.BTN_FOLLOW))
    assert (await api.next_message(chat.id))["text"] == t.FOLLOWED.format(number=number)
    assert "同问 1 人" in api.message(STAFF_CHAT.id, card["message_id"])["text"]
    db = bot.services.db
    assert await rows(db, "SELECT count(*) FROM tickets") == [(1,)]
    assert await rows(db, "SELECT user_id FROM ticket_followers") == [(NEIGHBOUR.id,)]

    # Staff accept: reporter and follower are both told; the follower gets no buttons.
    api.press_button(STAFF_CHAT, ADMIN, card, button_data(card, t.BTN_ACCEPT))
    assert "您的工单" in (await api.next_message(api.private_chat(RESIDENT).id))["text"]
    told = await api.next_message(chat.id)
    assert told["text"].startswith(f"您关注的工单 {number} 有新进展：处理中")
    # /my lists it under 我关注的.
    api.send_text(chat, NEIGHBOUR, "/my")
    mine = (await api.next_message(chat.id))["text"]
    assert t.MY_FOLLOWED_HEAD in mine
    assert number in mine


async def test_not_the_same_problem_files_a_new_ticket(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    number, _card = await submit(api)
    chat = api.private_chat(NEIGHBOUR)
    summary = await to_summary(api, NEIGHBOUR, SAME)
    api.press_button(chat, NEIGHBOUR, summary, button_data(summary, "确认提交"))
    prompt = await api.next_message(chat.id)
    # Only the offered ticket may be followed (a forged id changes nothing).
    query = forge_press(api, chat, NEIGHBOUR, prompt, "tkc:follow:999")
    refused = await api.wait_for_call(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == query
    )
    assert refused.params["text"] == t.STALE_STEP
    api.press_button(chat, NEIGHBOUR, prompt, button_data(prompt, t.BTN_NOT_SAME))
    other = number_of(await api.next_message(chat.id))
    assert other != number
    assert other in (await api.next_message(STAFF_CHAT.id))["text"]
    assert await rows(bot.services.db, "SELECT count(*) FROM ticket_followers") == [(0,)]
    assert await rows(bot.services.db, "SELECT reporter_id FROM tickets ORDER BY id") == [
        (RESIDENT.id,),
        (NEIGHBOUR.id,),
    ]
