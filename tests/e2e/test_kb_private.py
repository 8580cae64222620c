"""Policy Q&A in a private chat: answer, feedback, original text, more answers, hand-off."""

from __future__ import annotations

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.qa import texts as t
from tests.e2e.conftest import NEIGHBOUR, RESIDENT, STAFF_CHAT, button_data, rows
from tests.e2e.test_kb_support import (
    FAQ_QUESTION,
    SOURCE_MARK,
    ask,
    assert_answer,
    callback_answer,
    count,
    letters,
    press,
    question_rows,
)


async def test_question_gets_answer_with_source_and_buttons(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, FAQ_QUESTION)

    assert_answer(reply)
    (row,) = await question_rows(db)
    qid, user_id, chat_id, question, answered, status = row
    assert (user_id, chat_id, question, answered, status) == (
        RESIDENT.id,
        chat.id,
        FAQ_QUESTION,
        1,
        "answered",
    )
    # The buttons point at this question.
    assert button_data(reply, t.BTN_HUMAN) == f"kb:hu:{qid}"
    assert button_data(reply, t.BTN_MORE) == f"kb:more:{qid}:1"


async def test_thumbs_up_then_down_changes_the_one_vote(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, FAQ_QUESTION)
    (row,) = await question_rows(db)
    qid = row[0]

    up = await press(api, chat, RESIDENT, reply, t.BTN_UP)
    assert up.get("text") == t.THANKS_UP
    assert await rows(db, "SELECT question_id, user_id, helpful FROM kb_feedback") == [
        (qid, RESIDENT.id, 1)
    ]

    down = await press(api, chat, RESIDENT, reply, t.BTN_DOWN)
    assert down.get("text") == t.THANKS_DOWN
    assert await rows(db, "SELECT question_id, user_id, helpful FROM kb_feedback") == [
        (qid, RESIDENT.id, 0)
    ]
    # Feedback is acknowledged with a toast, not a new message.
    await api.expect_no_message(chat.id, within=0.3)


async def test_view_original_sends_the_whole_section(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, FAQ_QUESTION)
    body = assert_answer(reply)

    await press(api, chat, RESIDENT, reply, t.BTN_SOURCE)
    original = await api.next_message(chat.id)

    assert original["text"].startswith("📄")
    passage_id = int(button_data(reply, t.BTN_SOURCE).rsplit(":", 1)[1])
    ((full,),) = await rows(
        db, "SELECT COALESCE(full_text, text) FROM kb_passages WHERE id = ?", passage_id
    )
    _, original_body = original["text"].split("\n\n", 1)
    assert letters(original_body) == letters(full)
    assert letters(body) in letters(original_body)
    assert SOURCE_MARK not in original["text"]


async def test_more_answers_sends_the_next_answer_with_its_own_buttons(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    first = await ask(api, chat, RESIDENT, FAQ_QUESTION)
    (row,) = await question_rows(db)
    qid = row[0]

    await press(api, chat, RESIDENT, first, t.BTN_MORE)
    second = await api.next_message(chat.id)

    assert_answer(second)
    assert second["text"] != first["text"]
    assert button_data(second, t.BTN_MORE) == f"kb:more:{qid}:2"
    assert button_data(second, t.BTN_SOURCE) != button_data(first, t.BTN_SOURCE)
    # Still one question: "more" re-ranks the stored question, it does not ask again.
    assert await count(db, "kb_questions") == 1


async def test_more_answers_ends_with_no_more_alert(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    # A staff FAQ on a topic nothing else mentions, so the answer list is short.
    await bot.services.knowledge().add_faq("小区蓝莓派对在哪举行", "在三号楼前广场举行。")
    chat = api.private_chat(RESIDENT)
    message = await ask(api, chat, RESIDENT, "蓝莓派对")
    assert_answer(message)

    for _ in range(9):
        alert = await press(api, chat, RESIDENT, message, t.BTN_MORE)
        if alert.get("text") == t.NO_MORE:
            break
        message = await api.next_message(chat.id)
        assert_answer(message)
    else:
        pytest.fail("其他答案 never ran out of answers")
    assert alert.get("show_alert") is True
    await api.expect_no_message(chat.id, within=0.3)


async def test_more_answers_after_the_tenth_says_no_more(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    if len(bot.services.knowledge().ask(FAQ_QUESTION, k=11).results) < 10:
        pytest.skip("the bundled FAQ no longer yields 10 results for this question")
    chat = api.private_chat(RESIDENT)
    message = await ask(api, chat, RESIDENT, FAQ_QUESTION)
    alerts = []
    for _ in range(10):
        alert = await press(api, chat, RESIDENT, message, t.BTN_MORE)
        alerts.append(alert.get("text"))
        if alert.get("text"):
            break
        message = await api.next_message(chat.id)
        assert_answer(message)
    assert alerts[-1] == t.NO_MORE


async def test_human_button_hands_off_and_notifies_staff_chat(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, FAQ_QUESTION)

    alert = await press(api, chat, RESIDENT, reply, t.BTN_HUMAN)

    assert alert.get("text") == t.HUMAN_DONE
    told = await api.next_message(chat.id)
    assert told["text"] == t.HUMAN_DONE
    notice = await api.next_message(STAFF_CHAT.id)
    assert FAQ_QUESTION in notice["text"]
    assert str(RESIDENT.id) in notice["text"]
    (row,) = await question_rows(db)
    assert row[5] == "handoff"
    ((handoff_at,),) = await rows(db, "SELECT handoff_at FROM kb_questions")
    assert handoff_at


async def test_human_button_twice_says_already_handed_off(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, FAQ_QUESTION)
    await press(api, chat, RESIDENT, reply, t.BTN_HUMAN)
    await api.next_message(STAFF_CHAT.id)
    api.skip_messages(chat.id)

    again = await press(api, chat, RESIDENT, reply, t.BTN_HUMAN)

    assert again.get("text") == t.HUMAN_ALREADY
    assert "已经转给工作人员" in again["text"]
    assert again.get("show_alert") is True
    await api.expect_no_message(STAFF_CHAT.id, within=0.3)
    await api.expect_no_message(chat.id, within=0.1)


async def test_typing_human_hands_off_the_latest_question(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    await ask(api, chat, RESIDENT, "垃圾分几类")
    await ask(api, chat, RESIDENT, FAQ_QUESTION)

    reply = await ask(api, chat, RESIDENT, "转人工")

    assert reply["text"] == t.HUMAN_DONE
    notice = await api.next_message(STAFF_CHAT.id)
    assert FAQ_QUESTION in notice["text"]
    statuses = [(r[3], r[5]) for r in await question_rows(db)]
    # The typed words are not a question of their own; only the latest one is handed off.
    assert statuses == [("垃圾分几类", "answered"), (FAQ_QUESTION, "handoff")]


async def test_typing_human_without_a_question_asks_for_one(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(NEIGHBOUR)
    reply = await ask(api, chat, NEIGHBOUR, "转人工")

    assert reply["text"] == t.HUMAN_DESCRIBE
    assert await count(db, "kb_questions") == 0
    await api.expect_no_message(STAFF_CHAT.id, within=0.3)


async def test_feedback_press_is_answered_even_when_repeated(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, FAQ_QUESTION)
    ids = [api.press_button(chat, RESIDENT, reply, button_data(reply, t.BTN_UP)) for _ in range(3)]
    for query_id in ids:
        assert (await callback_answer(api, query_id)).get("text") == t.THANKS_UP
    assert await count(db, "kb_feedback") == 1


async def test_typing_human_again_after_handoff_says_already(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, FAQ_QUESTION)
    await press(api, chat, RESIDENT, reply, t.BTN_HUMAN)
    await api.next_message(chat.id)  # HUMAN_DONE

    again = await ask(api, chat, RESIDENT, "转人工")

    assert again["text"] == t.HUMAN_ALREADY
