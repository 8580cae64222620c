"""One step-by-step flow at a time (handlers/flows.py): inside a flow, what would start
another one gets a hint and the flow keeps its place; /help still answers; after /cancel
the other flow starts."""

from __future__ import annotations

import aiosqlite

from bot.local_api import LocalBotApi
from handlers import texts
from handlers.consult import texts as consult_texts
from handlers.context import ResidentApplication
from handlers.tickets import texts as t
from tests.e2e.conftest import ADMIN, RESIDENT, button_data, buttons, rows
from tests.e2e.test_kb_support import FAQ_QUESTION, SOURCE_MARK

BUSY_COMPLAINT = texts.FLOW_BUSY.format(flow=texts.FLOW_LABELS["tickets_complaint"])


async def test_another_flow_waits_until_this_one_is_done_or_cancelled(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/complain")
    assert (await api.next_message(chat.id))["text"] == t.ASK_DESCRIPTION

    for other in ["/renovate", "/subscribe", "/start renovate", "/broadcast"]:
        api.send_text(chat, RESIDENT, other)
        assert (await api.next_message(chat.id))["text"] == BUSY_COMPLAINT, other
    for odd in ["/", "/ ", "/@", "/RENOVATE@resident_test_bot"]:
        api.send_text(chat, RESIDENT, odd)
    api.send_text(chat, RESIDENT, "/help")  # not a flow: answered as always
    replies = []
    while not (replies and replies[-1].startswith(texts.HELP_RESIDENT)):
        replies.append((await api.next_message(chat.id))["text"])
    assert BUSY_COMPLAINT in replies  # the upper-case, addressed /renovate

    # the complaint kept its place: the description is taken as the description
    api.send_text(chat, RESIDENT, "楼道里的灯坏了一个多星期了，晚上下楼很危险")
    assert (await api.next_message(chat.id))["text"].startswith(t.ASK_CATEGORY)

    api.send_text(chat, RESIDENT, "/cancel")
    assert (await api.next_message(chat.id))["text"] == t.CANCELLED
    api.send_text(chat, RESIDENT, "/renovate")
    assert (await api.next_message(chat.id))["text"].startswith(t.RENOVATE_INTRO)
    assert await rows(db, "SELECT count(*) FROM tickets") == [(0,)]


async def test_a_menu_button_for_another_flow_gets_an_alert(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/start")
    menu = await api.next_message(chat.id)
    api.send_text(chat, RESIDENT, "/complain")
    assert (await api.next_message(chat.id))["text"] == t.ASK_DESCRIPTION
    query_id = api.press_button(chat, RESIDENT, menu, "menu:renovate")
    call = await api.wait_for_call(
        "answerCallbackQuery", lambda c: c.params.get("callback_query_id") == query_id
    )
    assert call.params.get("text") == BUSY_COMPLAINT
    assert call.params.get("show_alert") is True
    await api.expect_no_message(chat.id, within=0.3)


async def test_a_flow_registered_earlier_does_not_start_while_a_later_one_is_open(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    """The binding flow comes before the complaint flow among the handlers: its entry
    points (/bind, the 申请绑定 button) are still answered by the open complaint's hint."""
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/bind")
    intro = await api.next_message(chat.id)
    api.send_text(chat, RESIDENT, "/complain")
    assert (await api.next_message(chat.id))["text"] == t.ASK_DESCRIPTION
    api.send_text(chat, RESIDENT, "/bind")
    assert (await api.next_message(chat.id))["text"] == BUSY_COMPLAINT
    query_id = api.press_button(chat, RESIDENT, intro, button_data(intro, "申请绑定"))
    call = await api.wait_for_call(
        "answerCallbackQuery", lambda c: c.params.get("callback_query_id") == query_id
    )
    assert call.params.get("text") == BUSY_COMPLAINT
    api.send_text(chat, RESIDENT, "楼道里的灯坏了一个多星期了，晚上下楼很危险")
    assert (await api.next_message(chat.id))["text"].startswith(t.ASK_CATEGORY)


async def test_staff_drafting_a_notice_is_not_pulled_into_a_consultation(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    chat = api.private_chat(ADMIN)
    busy = texts.FLOW_BUSY.format(flow=texts.FLOW_LABELS["notices_broadcast"])
    api.send_text(chat, ADMIN, "/broadcast")
    asked_for_content = (await api.next_message(chat.id))["text"]
    api.send_text(chat, ADMIN, "/consult")
    assert (await api.next_message(chat.id))["text"] == busy
    # a one-off subcommand is no new flow: answered, and the draft keeps its place
    api.send_text(chat, ADMIN, "/consult list")
    assert (await api.next_message(chat.id))["text"] == consult_texts.LIST_EMPTY
    api.send_text(chat, ADMIN, "/cancel")
    await api.next_message(chat.id)
    api.send_text(chat, ADMIN, "/consult")
    assert (await api.next_message(chat.id))["text"] == consult_texts.ASK_TITLE
    api.send_text(chat, ADMIN, "/consult list")  # inside the consultation's own flow too
    assert (await api.next_message(chat.id))["text"] == consult_texts.LIST_EMPTY
    api.send_text(chat, ADMIN, "3号楼加装电梯")
    assert (await api.next_message(chat.id))["text"] == consult_texts.ASK_SCOPE
    assert asked_for_content != busy


async def test_text_at_a_staff_step_that_takes_a_button_gets_a_hint(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    """Before, the consultation's rule step passed typed text on to the Q&A: a decline,
    and the staff member's own text queued in /unanswered."""
    chat = api.private_chat(ADMIN)
    api.send_text(chat, ADMIN, "/consult")
    await api.next_message(chat.id)
    api.send_text(chat, ADMIN, "3号楼加装电梯")
    await api.next_message(chat.id)
    api.send_text(chat, ADMIN, "幸福小区/3号楼")
    rules = await api.next_message(chat.id)
    assert buttons(rules)
    api.send_text(chat, ADMIN, "双三分之二")
    assert (await api.next_message(chat.id))["text"] == texts.PRESS_A_BUTTON
    assert await rows(db, "SELECT count(*) FROM kb_questions") == [(0,)]
    api.press_button(chat, ADMIN, rules, buttons(rules)[0]["callback_data"])
    assert "选项" in (await api.next_message(chat.id))["text"]


async def test_a_resident_typing_a_buttons_label_gets_a_hint_and_a_question_an_answer(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    """The renovation needs' first step takes presses: 选好了 typed there was declined as
    a question and queued for staff; now it gets the hint. A question typed there is
    still answered, so a flow left open never keeps a resident's questions unanswered."""
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/renovate")
    assert (await api.next_message(chat.id))["text"].startswith(t.RENOVATE_INTRO)
    api.send_text(chat, RESIDENT, "选好了")
    assert (await api.next_message(chat.id))["text"] == texts.PRESS_A_BUTTON
    api.send_text(chat, RESIDENT, FAQ_QUESTION)
    assert SOURCE_MARK in (await api.next_message(chat.id))["text"]
    assert await rows(db, "SELECT question FROM kb_questions") == [(FAQ_QUESTION,)]
