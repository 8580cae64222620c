"""Helpers common to the foundation e2e tests (no tests here).

`forge_press` plays a modified Telegram client: it sends a callback query with arbitrary
data for a message the bot sent, which `LocalBotApi.press_button` refuses to do because the
button does not exist. The query is registered with the server so the bot's answer succeeds,
exactly as Telegram accepts an answer to any query it delivered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.local_api import Call, LocalBotApi
from tests.e2e.conftest import forge_press  # noqa: F401  (re-exported for the other test modules)


async def answer_of(
    api: LocalBotApi,
    query_id: str,
    timeout: float = 5.0,  # noqa: ASYNC109 - mirrors LocalBotApi.wait_for_call
) -> Call:
    """The bot's answerCallbackQuery for ``query_id`` (waits for it)."""
    return await api.wait_for_call(
        "answerCallbackQuery",
        lambda c: str(c.params.get("callback_query_id")) == query_id,
        timeout=timeout,
    )


def update_id_of(api: LocalBotApi, chat_id: int, message_id: int) -> int:
    """The update_id under which the server delivered a user's message."""
    for call in api.calls_to("getUpdates"):
        for update in call.result or []:
            message = update.get("message") or update.get("edited_message") or {}
            if (
                message.get("chat", {}).get("id") == chat_id
                and message.get("message_id") == message_id
            ):
                return int(update["update_id"])
    raise AssertionError(f"message {message_id} in chat {chat_id} was never delivered")


async def eventually(
    check: Callable[[], Awaitable[bool]],
    timeout: float = 3.0,  # noqa: ASYNC109 - mirrors LocalBotApi.wait_for_call
    what: str = "condition",
) -> None:
    """Poll ``check`` (e.g. a database query) until it holds; for updates that send nothing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout}s")
        await asyncio.sleep(0.02)
