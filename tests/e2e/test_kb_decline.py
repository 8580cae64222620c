"""Questions the bot cannot answer are declined plainly, recorded, and can go to staff."""

from __future__ import annotations

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.qa import texts as t
from tests.e2e.conftest import RESIDENT, STAFF_CHAT, rows
from tests.e2e.test_kb_support import ask, assert_decline, count, press, question_rows


@pytest.mark.parametrize(
    "question",
    ["asdfghjkl qwerty", "驾照到期了怎么换证"],
    ids=["nonsense", "off-topic"],
)
async def test_unanswerable_question_is_declined_and_recorded(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection, question: str
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, question)

    assert_decline(reply)
    (row,) = await question_rows(db)
    assert row[1:] == (RESIDENT.id, chat.id, question, 0, "unanswered")
    assert await rows(db, "SELECT top_passage FROM kb_questions") == [(None,)]


async def test_declined_question_can_be_handed_to_staff(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, "驾照到期了怎么换证")

    alert = await press(api, chat, RESIDENT, reply, t.BTN_HUMAN)

    assert alert.get("text") == t.HUMAN_DONE
    notice = await api.next_message(STAFF_CHAT.id)
    assert "驾照到期了怎么换证" in notice["text"]
    (row,) = await question_rows(db)
    assert row[5] == "handoff"


@pytest.mark.parametrize("text", ["/ask", "/ask   ", "/ask@resident_test_bot"])
async def test_ask_without_a_question_explains_usage(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection, text: str
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, text)

    assert reply["text"] == t.ASK_EMPTY
    assert await count(db, "kb_questions") == 0


async def test_ask_command_in_private_answers(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    reply = await ask(api, chat, RESIDENT, "/ask 驾照到期了怎么换证")

    assert_decline(reply)
    (row,) = await question_rows(db)
    # The command itself is not part of the stored question.
    assert row[3] == "驾照到期了怎么换证"
