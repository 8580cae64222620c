"""Policy Q&A in a group: only questions addressed to the bot, answered as replies."""

from __future__ import annotations

from typing import Any

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.qa import texts as t
from tests.e2e.conftest import ADMIN, GROUP, NEIGHBOUR, RESIDENT, STAFF_CHAT
from tests.e2e.test_kb_support import (
    FAQ_QUESTION,
    assert_answer,
    count,
    press,
    question_rows,
)


async def _asked(
    api: LocalBotApi, text: str, **kwargs: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    asked = api.send_text(GROUP, RESIDENT, text, **kwargs)
    reply = await api.next_message(GROUP.id, timeout=10)
    return asked, reply


def _replies_to(reply: dict[str, Any], asked: dict[str, Any]) -> bool:
    return reply.get("reply_to_message", {}).get("message_id") == asked["message_id"]


async def test_ask_command_in_group_is_answered_as_a_reply(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    asked, reply = await _asked(api, f"/ask {FAQ_QUESTION}")

    assert_answer(reply)
    assert _replies_to(reply, asked)
    (row,) = await question_rows(db)
    assert row[1:] == (RESIDENT.id, GROUP.id, FAQ_QUESTION, 1, "answered")


async def test_mention_in_group_is_answered_without_the_mention(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    asked, reply = await _asked(api, f"@resident_test_bot {FAQ_QUESTION}")

    assert_answer(reply)
    assert _replies_to(reply, asked)
    (row,) = await question_rows(db)
    assert row[3] == FAQ_QUESTION


async def test_reply_to_the_bot_in_group_is_answered(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    _, first = await _asked(api, "/ask 垃圾分几类")

    asked, reply = await _asked(api, FAQ_QUESTION, reply_to=first)

    assert_answer(reply)
    assert _replies_to(reply, asked)
    assert [r[3] for r in await question_rows(db)] == ["垃圾分几类", FAQ_QUESTION]


async def test_bare_mention_asks_for_a_question(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    _, reply = await _asked(api, "@resident_test_bot")

    assert reply["text"] == t.ASK_EMPTY
    assert await count(db, "kb_questions") == 0


@pytest.mark.parametrize("privacy_mode", [True, False], ids=["privacy-on", "privacy-off"])
async def test_plain_group_text_gets_nothing(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection, privacy_mode: bool
) -> None:
    # With privacy off (or the bot a group admin) Telegram delivers every message.
    api.privacy_mode = privacy_mode
    api.send_text(GROUP, RESIDENT, FAQ_QUESTION)

    await api.expect_no_message(GROUP.id, within=0.8)
    assert api.pending_update_count == 0  # delivered (or never queued), and ignored
    assert await count(db, "kb_questions") == 0


async def test_human_in_group_only_by_the_asker(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    _, reply = await _asked(api, f"/ask {FAQ_QUESTION}")

    refused = await press(api, GROUP, NEIGHBOUR, reply, t.BTN_HUMAN)
    assert refused.get("text") == t.HUMAN_ONLY_ASKER
    assert refused.get("show_alert") is True
    assert [r[5] for r in await question_rows(db)] == ["answered"]
    await api.expect_no_message(STAFF_CHAT.id, within=0.3)

    done = await press(api, GROUP, RESIDENT, reply, t.BTN_HUMAN)
    assert done.get("text") == t.HUMAN_DONE
    assert (await api.next_message(GROUP.id))["text"] == t.HUMAN_DONE
    notice = await api.next_message(STAFF_CHAT.id)
    assert FAQ_QUESTION in notice["text"]
    assert str(GROUP.id) in notice["text"]
    assert [r[5] for r in await question_rows(db)] == ["handoff"]


async def test_staff_may_hand_off_a_residents_group_question(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    _, reply = await _asked(api, f"/ask {FAQ_QUESTION}")

    done = await press(api, GROUP, ADMIN, reply, t.BTN_HUMAN)

    assert done.get("text") == t.HUMAN_DONE
    assert [r[5] for r in await question_rows(db)] == ["handoff"]


async def test_feedback_in_group_is_one_vote_per_resident(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    _, reply = await _asked(api, f"/ask {FAQ_QUESTION}")

    await press(api, GROUP, RESIDENT, reply, t.BTN_UP)
    await press(api, GROUP, NEIGHBOUR, reply, t.BTN_DOWN)

    async with db.execute("SELECT user_id, helpful FROM kb_feedback ORDER BY user_id") as cur:
        votes = [tuple(r) async for r in cur]
    assert votes == [(RESIDENT.id, 1), (NEIGHBOUR.id, 0)]
