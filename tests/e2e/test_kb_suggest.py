"""A declined question whose best passage comes close gets it “仅供参考”, with the answer
buttons; the question stays open for staff. Further off, the plain decline stays."""

from __future__ import annotations

from typing import Any

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.qa import texts as t
from handlers.qa.resident import format_answer
from knowledge.qa.service import SearchResult
from tests.e2e.conftest import (
    ADMIN,
    NEIGHBOUR,
    RESIDENT,
    STAFF_CHAT,
    button_data,
    forge_press,
    rows,
)
from tests.e2e.test_kb_support import (
    ANSWER_BUTTONS,
    apologies,
    ask,
    assert_decline,
    callback_answer,
    count,
    labels,
    press,
    question_rows,
)
from tests.knowledge.qa.test_suggest import find_suggested_question


def _suggested(bot: ResidentApplication) -> tuple[str, list[SearchResult]]:
    """A question the bot's knowledge base declines with a suggestion, and its results."""
    kb = bot.services.knowledge()
    question = find_suggested_question(kb)
    return question, kb.ask(question, k=2).results


def _passage(message: dict[str, Any]) -> int:
    return int(button_data(message, t.BTN_SOURCE).rsplit(":", 1)[1])


async def _stored(db: aiosqlite.Connection) -> list[tuple[Any, ...]]:
    return await rows(
        db, "SELECT answered, status, top_passage, top_source FROM kb_questions ORDER BY id"
    )


async def test_suggestion_is_marked_tentative_with_answer_buttons_and_stays_open(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    question, results = _suggested(bot)
    chat = api.private_chat(RESIDENT)

    reply = await ask(api, chat, RESIDENT, question)

    assert reply["text"] == t.SUGGEST.format(answer=format_answer(results[0]))
    assert reply["text"].startswith(t.DECLINE_HEAD)
    assert "仅供参考" in reply["text"]
    assert labels(reply) == ANSWER_BUTTONS
    assert _passage(reply) == results[0].passage_id
    (row,) = await question_rows(db)
    assert button_data(reply, t.BTN_MORE) == f"kb:more:{row[0]}:1"
    assert await _stored(db) == [(0, "unanswered", results[0].passage_id, results[0].source)]
    # Staff still see it among the questions the bot could not answer.
    listing = await ask(api, api.private_chat(ADMIN), ADMIN, "/unanswered")
    assert question in listing["text"]
    # ... with what the resident was shown.
    shown = t.UNANSWERED_SUGGESTED.format(source=results[0].source[:80])
    assert shown in listing["text"].splitlines()
    assert apologies(api) == []


async def test_thumbs_up_on_a_suggestion_is_stored_and_the_question_stays_open(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    question, results = _suggested(bot)
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, question)
    (row,) = await question_rows(db)

    up = await press(api, chat, RESIDENT, reply, t.BTN_UP)

    assert up.get("text") == t.THANKS_UP
    assert await rows(db, "SELECT question_id, user_id, passage_id, helpful FROM kb_feedback") == [
        (row[0], RESIDENT.id, results[0].passage_id, 1)
    ]
    assert [r[1] for r in await _stored(db)] == ["unanswered"]
    await api.expect_no_message(chat.id, within=0.3)


async def test_more_answers_under_a_suggestion_is_also_marked_tentative(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    question, results = _suggested(bot)
    chat = api.private_chat(RESIDENT)
    first = await ask(api, chat, RESIDENT, question)
    (row,) = await question_rows(db)

    await press(api, chat, RESIDENT, first, t.BTN_MORE)
    second = await api.next_message(chat.id)

    assert second["text"] == t.MORE_SUGGEST.format(answer=format_answer(results[1]))
    assert labels(second) == ANSWER_BUTTONS
    assert _passage(second) == results[1].passage_id
    assert button_data(second, t.BTN_MORE) == f"kb:more:{row[0]}:2"
    # Feedback on the second passage counts too: it was offered for this question.
    down = await press(api, chat, RESIDENT, second, t.BTN_DOWN)
    assert down.get("text") == t.THANKS_DOWN
    assert await rows(db, "SELECT passage_id, helpful FROM kb_feedback") == [
        (results[1].passage_id, 0)
    ]
    assert await count(db, "kb_questions") == 1


async def test_human_button_under_a_suggestion_hands_off(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    question, _ = _suggested(bot)
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, question)

    alert = await press(api, chat, RESIDENT, reply, t.BTN_HUMAN)

    assert alert.get("text") == t.HUMAN_DONE
    assert (await api.next_message(chat.id))["text"] == t.HUMAN_DONE
    notice = await api.next_message(STAFF_CHAT.id)
    assert question in notice["text"]
    assert [r[1] for r in await _stored(db)] == ["handoff"]


@pytest.mark.parametrize(
    "question",
    [
        "asdfghjkl qwerty",
        "驾照到期了怎么换证",
        "啊" * 50_000,
        ("驾照到期了怎么换证？" * 5000)[:50_000],
    ],
    ids=["nonsense", "off-topic", "huge-filler", "huge-off-topic"],
)
async def test_far_off_questions_get_the_plain_decline(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection, question: str
) -> None:
    assert not bot.services.knowledge().ask(question).suggested
    chat = api.private_chat(RESIDENT)

    reply = await ask(api, chat, RESIDENT, question)

    assert_decline(reply)
    assert await _stored(db) == [(0, "unanswered", None, None)]
    assert apologies(api) == []


async def test_huge_question_starting_with_a_suggested_one_is_suggested_once(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    question, _ = _suggested(bot)
    huge = (question + "。" + "啊" * 50_000)[:50_000]
    results = bot.services.knowledge().ask(huge, k=1).results
    chat = api.private_chat(RESIDENT)

    reply = await ask(api, chat, RESIDENT, huge)

    if bot.services.knowledge().ask(huge).suggested:
        assert reply["text"] == t.SUGGEST.format(answer=format_answer(results[0]))
    else:
        assert reply["text"].startswith(t.DECLINE_HEAD)
    assert len(reply["text"]) <= 4096
    ((stored,),) = await rows(db, "SELECT question FROM kb_questions")
    assert len(stored) <= 4096
    assert apologies(api) == []


FORGED = {
    "passage-never-shown": "kb:fb:{qid}:987654321:1",
    "vote-neither-up-nor-down": "kb:fb:{qid}:{pid}:7",
    "more-rank-zero": "kb:more:{qid}:0",
    "more-field-missing": "kb:more:{qid}",
    "feedback-on-another-chats-question": "kb:fb:{other}:{pid}:1",
    "more-on-another-chats-question": "kb:more:{other}:1",
    "human-for-another-chats-question": "kb:hu:{other}",
}


@pytest.mark.parametrize("template", list(FORGED.values()), ids=list(FORGED))
async def test_forged_callback_data_on_a_suggestion_is_refused(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection, template: str
) -> None:
    question, results = _suggested(bot)
    # NEIGHBOUR's question, asked in their own private chat.
    await ask(api, api.private_chat(NEIGHBOUR), NEIGHBOUR, question)
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, question)
    other, qid = (r[0] for r in await question_rows(db))
    data = template.format(qid=qid, pid=results[0].passage_id, other=other)

    answer = await callback_answer(api, forge_press(api, chat, RESIDENT, reply, data))

    assert answer.get("text") == t.STALE_BUTTON
    assert answer.get("show_alert") is True
    assert await count(db, "kb_feedback") == 0
    assert [r[1] for r in await _stored(db)] == ["unanswered", "unanswered"]
    await api.expect_no_message(chat.id, within=0.3)
    await api.expect_no_message(STAFF_CHAT.id, within=0.0)
    assert apologies(api) == []


async def test_plain_decline_offers_no_feedback_or_more_answers(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    """No passage was shown, so forged 👍 or 其他答案 for one is refused."""
    question = "驾照到期了怎么换证"
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, question)
    assert_decline(reply)
    ((qid, *_),) = await question_rows(db)
    ranked = bot.services.knowledge().ask(question, k=3).results
    pid = ranked[0].passage_id if ranked else 1

    for data in (f"kb:fb:{qid}:{pid}:1", f"kb:more:{qid}:1"):
        answer = await callback_answer(api, forge_press(api, chat, RESIDENT, reply, data))
        assert answer.get("text") == t.STALE_BUTTON

    assert await count(db, "kb_feedback") == 0
    await api.expect_no_message(chat.id, within=0.3)
