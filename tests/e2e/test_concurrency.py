"""One busy chat must not stall the others, and no chat's updates may be reordered."""

from __future__ import annotations

import time
from typing import Any

from bot.local_api import Call, LocalBotApi, User
from bot.rate_limiter import FloodLimits
from bot.update_processor import ChatOrderedUpdateProcessor
from handlers.context import ResidentApplication
from tests.e2e.conftest import GROUP, NEIGHBOUR, RESIDENT
from tests.e2e.test_foundation_helpers import eventually
from tests.e2e.test_kb_support import FAQ_QUESTION, assert_answer

MENTION = "@resident_test_bot"


def _sends(api: LocalBotApi, chat_id: int) -> list[Call]:
    return [
        c
        for c in api.calls_to("sendMessage")
        if c.ok and str(c.params.get("chat_id")) == str(chat_id)
    ]


async def test_a_busy_group_does_not_delay_a_private_question(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    residents = [User(id=3000 + i, first_name=f"居民{i}") for i in range(40)]
    asked = [api.send_text(GROUP, r, f"{MENTION} {FAQ_QUESTION}") for r in residents]
    private = api.private_chat(NEIGHBOUR)
    api.send_text(private, NEIGHBOUR, FAQ_QUESTION)

    assert_answer(await api.next_message(private.id, timeout=5))
    # The private answer came while the group's replies were still being paced out.
    assert len(_sends(api, GROUP.id)) < len(asked)

    replies = [await api.next_message(GROUP.id, timeout=10) for _ in asked]
    assert [r["reply_to_message"]["message_id"] for r in replies] == [
        a["message_id"] for a in asked
    ]
    processor = bot.update_processor
    assert isinstance(processor, ChatOrderedUpdateProcessor)

    async def drained() -> bool:
        return processor.waiting_lanes == 0

    # Once the last update is done, no chat or user keeps any state in the processor.
    await eventually(drained, what="every lane released")


async def test_a_429_in_one_chat_delays_only_that_chat(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    wait = 2
    paused, other = api.private_chat(RESIDENT), api.private_chat(NEIGHBOUR)
    api.fail_next(
        "sendMessage",
        chat_id=paused.id,
        description=f"Too Many Requests: retry after {wait}",
        parameters={"retry_after": wait},
    )
    api.send_text(paused, RESIDENT, FAQ_QUESTION)
    refused = await api.wait_for_call("sendMessage", lambda c: c.error is not None)
    api.send_text(other, NEIGHBOUR, FAQ_QUESTION)

    assert_answer(await api.next_message(other.id, timeout=wait / 2))
    assert_answer(await api.next_message(paused.id, timeout=wait + 3))  # retried, not lost
    (delivered,) = _sends(api, paused.id)
    assert delivered.at - refused.at >= wait


async def test_429s_in_several_chats_pause_every_chat(
    api: LocalBotApi, bot: ResidentApplication, fast_limits: FloodLimits
) -> None:
    wait = 2
    flooded = [User(id=3100 + i, first_name=f"居民{i}") for i in range(fast_limits.flood_chats)]
    for user in flooded:
        chat = api.private_chat(user)
        api.fail_next("sendMessage", chat_id=chat.id, parameters={"retry_after": wait})
        api.send_text(chat, user, FAQ_QUESTION)
    position = 0
    for _ in flooded:
        refused = await api.wait_for_call(
            "sendMessage", lambda c: c.error is not None, after=position
        )
        position = refused.index + 1
    began = time.monotonic()
    bystander = api.private_chat(NEIGHBOUR)
    api.send_text(bystander, NEIGHBOUR, FAQ_QUESTION)

    assert_answer(await api.next_message(bystander.id, timeout=wait + 3))
    assert time.monotonic() - began >= wait / 2  # Telegram's global flood: everyone waited
    for user in flooded:
        assert_answer(await api.next_message(user.id, timeout=5))


async def test_updates_of_one_chat_are_handled_in_order(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    # A question (search, database writes) is slower than /help; without per-chat order the
    # /help replies would overtake the answers.
    chat = api.private_chat(RESIDENT)
    sent: list[dict[str, Any]] = []
    for _ in range(4):
        sent.append(api.send_text(chat, RESIDENT, FAQ_QUESTION))
        sent.append(api.send_text(chat, RESIDENT, "/help"))

    replies = [await api.next_message(chat.id, timeout=5) for _ in sent]
    kinds = ["answer" if "📄 来源：" in r["text"] else "help" for r in replies]
    assert kinds == ["answer", "help"] * 4
