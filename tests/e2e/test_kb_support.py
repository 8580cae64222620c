"""Helpers for the policy Q&A end-to-end tests (test_kb_*.py); holds no tests itself.

The `test_kb_` name only keeps the file inside the Q&A tests' own namespace.
"""

from __future__ import annotations

import re
from typing import Any

import aiosqlite

from bot.local_api import Chat, LocalBotApi, User
from handlers import texts
from handlers.qa import texts as t
from tests.e2e.conftest import (
    button_data,
    buttons,
    forge_press,  # noqa: F401  (re-exported for the other test modules)
    rows,
)

ANSWER_BUTTONS = [t.BTN_UP, t.BTN_DOWN, t.BTN_SOURCE, t.BTN_MORE, t.BTN_HUMAN]
SOURCE_MARK = "📄 来源："
# Answered by the bundled FAQ on every fresh database.
FAQ_QUESTION = "电瓶车能在楼道充电吗"


def letters(text: str) -> str:
    """Text without punctuation or spaces: display may turn "," into "，" and such."""
    return re.sub(r"[\W_]+", "", text)


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for b in buttons(message)]


def assert_answer(message: dict[str, Any]) -> str:
    """An answer: body ≤ 400 chars, a source line, the five answer buttons; returns the body."""
    text = message["text"]
    assert f"\n\n{SOURCE_MARK}" in text, text
    body, source = text.rsplit(f"\n\n{SOURCE_MARK}", 1)
    assert body.strip(), text
    assert len(body) <= 400, len(body)
    assert source.strip(), text
    assert labels(message) == ANSWER_BUTTONS
    return body


def assert_decline(message: dict[str, Any]) -> None:
    assert message["text"] == t.DECLINE
    assert SOURCE_MARK not in message["text"]
    assert labels(message) == [t.BTN_HUMAN]


async def ask(api: LocalBotApi, chat: Chat, user: User, question: str) -> dict[str, Any]:
    """The user types a question; returns the bot's reply."""
    api.send_text(chat, user, question)
    return await api.next_message(chat.id, timeout=10)


async def callback_answer(api: LocalBotApi, query_id: str) -> dict[str, Any]:
    """The answerCallbackQuery parameters the bot used for the press ``query_id``."""
    call = await api.wait_for_call(
        "answerCallbackQuery", lambda c: c.params.get("callback_query_id") == query_id
    )
    assert call.ok, call.error
    return dict(call.params)


async def press(
    api: LocalBotApi, chat: Chat, user: User, message: dict[str, Any], label_part: str
) -> dict[str, Any]:
    """Press the button whose label contains ``label_part``; return the callback answer."""
    query_id = api.press_button(chat, user, message, button_data(message, label_part))
    return await callback_answer(api, query_id)


async def question_rows(db: aiosqlite.Connection) -> list[tuple[Any, ...]]:
    """(id, user_id, chat_id, question, answered, status) of every stored question."""
    return await rows(
        db, "SELECT id, user_id, chat_id, question, answered, status FROM kb_questions ORDER BY id"
    )


async def count(db: aiosqlite.Connection, table: str) -> int:
    ((n,),) = await rows(db, f"SELECT COUNT(*) FROM {table}")
    return int(n)


def apologies(api: LocalBotApi) -> list[str]:
    """Every apology of the error handler (“出了点问题”), as a message or a button alert."""
    said = [str(m.get("text", "")) for m in api.sent_messages()]
    said += [str(c.params.get("text", "")) for c in api.calls_to("answerCallbackQuery")]
    return [text for text in said if "出了点问题" in text or text == texts.ERROR]
