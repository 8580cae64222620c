"""Policy Q&A against hostile or broken input: huge text, forged buttons, blocked chats."""

from __future__ import annotations

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.qa import texts as t
from tests.e2e.conftest import NEIGHBOUR, RESIDENT, STAFF_CHAT, rows
from tests.e2e.test_kb_support import (
    FAQ_QUESTION,
    SOURCE_MARK,
    apologies,
    ask,
    assert_answer,
    assert_decline,
    callback_answer,
    count,
    forge_press,
    press,
    question_rows,
)

HUGE = {
    "faq-question-then-filler": FAQ_QUESTION + "社区楼道电梯维修资金垃圾分类" * 3600,
    "one-character": "啊" * 50_000,
    "ascii-and-newlines": ("lorem ipsum dolor sit amet\n" * 2000)[:50_000],
}


@pytest.mark.parametrize("question", list(HUGE.values()), ids=list(HUGE))
async def test_huge_question_is_answered_or_declined_and_stored_cut(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection, question: str
) -> None:
    assert len(question) >= 50_000
    chat = api.private_chat(RESIDENT)

    # next_message's timeout is the bound: a normal reply, not a minute of ranking.
    reply = await ask(api, chat, RESIDENT, question)

    if SOURCE_MARK in reply["text"]:
        assert_answer(reply)
    else:
        assert_decline(reply)
    assert apologies(api) == []
    ((stored, answered),) = await rows(db, "SELECT question, answered FROM kb_questions")
    assert len(stored) <= 4096
    assert question.startswith(stored)
    assert answered == (SOURCE_MARK in reply["text"])


async def test_huge_question_can_still_be_handed_off(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, "啊" * 50_000)

    alert = await press(api, chat, RESIDENT, reply, t.BTN_HUMAN)

    assert alert.get("text") == t.HUMAN_DONE
    notice = await api.next_message(STAFF_CHAT.id)
    assert len(notice["text"]) <= 4096
    assert apologies(api) == []


FORGED = {
    "kb:fb:999999:1:1": t.STALE_BUTTON,  # no such question
    "kb:src:999999": t.ORIGINAL_GONE,  # no such passage
    "kb:more:abc:1": t.STALE_BUTTON,  # not a number
    "kb:hu:": t.STALE_BUTTON,  # empty id
    "kb:fb:1:2:7": t.STALE_BUTTON,  # a vote that is neither 👍 nor 👎
    "kb:fb:1:2": t.STALE_BUTTON,  # a field missing
    "kb:fb:-1:2:1": t.STALE_BUTTON,  # negative id
    "kb:more:1:0": t.STALE_BUTTON,  # rank 0 is the first answer, never offered by 其他答案
    "kb:more:1:99999999999999999999": t.STALE_BUTTON,  # beyond any integer column
    "kb:hu:99999999999999999999999": t.STALE_BUTTON,
    "kb:src:1:2": t.STALE_BUTTON,  # one id too many: forged
    "kb:zz:1": t.STALE_BUTTON,  # unknown action
}


@pytest.mark.parametrize(("data", "expected"), list(FORGED.items()), ids=list(FORGED))
async def test_forged_callback_data_is_refused_without_side_effects(
    api: LocalBotApi,
    bot: ResidentApplication,
    db: aiosqlite.Connection,
    data: str,
    expected: str | None,
) -> None:
    chat = api.private_chat(RESIDENT)
    # A real question #1 exists, so forged data naming it is tested against a live row.
    reply = await ask(api, chat, RESIDENT, FAQ_QUESTION)
    assert [r[0] for r in await question_rows(db)] == [1]

    answer = await callback_answer(api, forge_press(api, chat, RESIDENT, reply, data))

    assert answer.get("show_alert") is True
    if expected is not None:
        assert answer.get("text") == expected
    else:
        assert answer.get("text")
    assert await count(db, "kb_feedback") == 0
    assert [r[5] for r in await question_rows(db)] == ["answered"]
    await api.expect_no_message(chat.id, within=0.3)
    await api.expect_no_message(STAFF_CHAT.id, within=0.0)
    assert apologies(api) == []
    # The bot is still answering.
    assert_answer(await ask(api, chat, RESIDENT, FAQ_QUESTION))


async def test_forged_feedback_for_a_passage_never_shown_is_refused(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, FAQ_QUESTION)
    (row,) = await question_rows(db)

    answer = await callback_answer(
        api, forge_press(api, chat, RESIDENT, reply, f"kb:fb:{row[0]}:987654321:1")
    )

    assert await count(db, "kb_feedback") == 0
    assert answer.get("text") == t.STALE_BUTTON


async def test_blocked_chat_does_not_crash_and_others_are_answered(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    blocked = api.private_chat(RESIDENT)
    api.block_chat(blocked.id)
    mark = api.mark()

    api.send_text(blocked, RESIDENT, FAQ_QUESTION)
    failed = await api.wait_for_call(
        "sendMessage", lambda c: c.params.get("chat_id") == blocked.id, after=mark
    )

    assert failed.error is not None
    assert failed.error["error_code"] == 403
    other = api.private_chat(NEIGHBOUR)
    assert_answer(await ask(api, other, NEIGHBOUR, FAQ_QUESTION))
    assert apologies(api) == []
    # The question was still recorded, and the chat remembered as unreachable.
    assert [(r[1], r[5]) for r in await question_rows(db)] == [
        (RESIDENT.id, "answered"),
        (NEIGHBOUR.id, "answered"),
    ]
    assert await rows(db, "SELECT status FROM chats WHERE chat_id = ?", blocked.id) == [
        ("blocked",)
    ]


async def test_handoff_works_when_the_staff_chat_is_unreachable(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    api.block_chat(STAFF_CHAT.id)
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, FAQ_QUESTION)

    alert = await press(api, chat, RESIDENT, reply, t.BTN_HUMAN)

    assert alert.get("text") == t.HUMAN_DONE
    assert (await api.next_message(chat.id))["text"] == t.HUMAN_DONE
    await api.wait_for_call("sendMessage", lambda c: c.params.get("chat_id") == STAFF_CHAT.id)
    assert [r[5] for r in await question_rows(db)] == ["handoff"]
    assert apologies(api) == []
