"""Inspecting what the bot did: recorded calls, sent messages, and waiting for them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.local_api.objects import JSONDict
from bot.local_api.records import Call, SentDocument
from bot.local_api.state import ApiState


class LocalApiTimeout(AssertionError):
    """A waited-for call or message did not happen in time (an assertion failure in tests)."""


class InspectMixin:
    """Methods of :class:`LocalBotApi` for assertions in tests.

    Message cursor: :meth:`next_message` hands out the bot's messages to a chat one by one, in
    the order they were sent, each exactly once. :meth:`skip_messages` discards the pending ones
    (e.g. a welcome text a test does not care about).
    """

    _state: ApiState
    _consumed: dict[int, int]

    @property
    def calls(self) -> list[Call]:
        """Every Bot API request so far (live list, oldest first; ``Call.index`` = position)."""
        return self._state.calls

    def mark(self) -> int:
        """A cursor for ``wait_for_call(after=...)``: only calls made from now on match."""
        return len(self._state.calls)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self._state.calls if call.method == method]

    def sent_messages(self, chat_id: int | None = None) -> list[JSONDict]:
        """Messages the bot sent (current state: edits applied, deleted ones left out)."""
        state = self._state
        return [
            state.snapshot(key)
            for key in state.bot_sent
            if key not in state.deleted and (chat_id is None or key[0] == chat_id)
        ]

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """Current state of any stored message (None if unknown or deleted)."""
        key = (chat_id, message_id)
        if self._state.get_message(*key) is None:
            return None
        return self._state.snapshot(key)

    @property
    def sent_documents(self) -> list[SentDocument]:
        """``(chat_id, filename, bytes, caption)`` of every document the bot sent."""
        state = self._state
        documents: list[SentDocument] = []
        for key in state.bot_sent:
            document = state.messages[key].get("document")
            if document is None:
                continue
            stored = state.files.get(document["file_id"])
            data = stored.data if stored is not None else b""
            caption = state.messages[key].get("caption")
            documents.append(SentDocument(key[0], document.get("file_name", ""), data, caption))
        return documents

    @property
    def answered_callbacks(self) -> list[JSONDict]:
        """Parameters of every successful answerCallbackQuery."""
        return [c.params for c in self._state.calls if c.method == "answerCallbackQuery" and c.ok]

    @property
    def pending_update_count(self) -> int:
        """Updates injected but not yet confirmed by the bot's getUpdates offset."""
        return len(self._state.pending_updates)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented test API
        after: int = 0,
    ) -> Call:
        """Wait until a call of ``method`` with index >= ``after`` matching ``predicate``
        is recorded (failed calls included; check ``call.error``)."""
        state = self._state
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        position = after
        while True:
            for call in state.calls[position:]:
                if call.method == method and (predicate is None or predicate(call)):
                    return call
            position = max(position, len(state.calls))
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [c.method for c in state.calls[after:]][-15:]
                raise LocalApiTimeout(
                    f"no {method} call within {timeout}s (calls since {after}: {seen})"
                )
            await state.calls_changed.wait(remaining)

    def _pending(self, chat_id: int) -> list[tuple[int, int]]:
        keys = [key for key in self._state.bot_sent if key[0] == chat_id]
        return keys[self._consumed.get(chat_id, 0) :]

    async def next_message(
        self,
        chat_id: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSONDict:
        """The next not-yet-returned message the bot sent to ``chat_id`` (waits for it)."""
        state = self._state
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pending = self._pending(chat_id)
            if pending:
                self._consumed[chat_id] = self._consumed.get(chat_id, 0) + 1
                return state.snapshot(pending[0])
            remaining = deadline - loop.time()
            if remaining <= 0:
                errors = [f"{c.method}: {c.error['description']}" for c in state.calls if c.error]
                raise LocalApiTimeout(
                    f"the bot sent no new message to chat {chat_id} within {timeout}s"
                    f" (failed calls: {errors[-5:]})"
                )
            await state.calls_changed.wait(remaining)

    async def expect_no_message(self, chat_id: int, within: float = 0.5) -> None:
        """Assert the bot sends nothing new to ``chat_id`` during ``within`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            pending = self._pending(chat_id)
            if pending:
                texts = [self._state.messages[key].get("text") for key in pending]
                raise AssertionError(f"unexpected message(s) to chat {chat_id}: {texts}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            await self._state.calls_changed.wait(remaining)

    def skip_messages(self, chat_id: int | None = None) -> None:
        """Mark every message sent so far (to ``chat_id`` or to all chats) as consumed."""
        chats = {key[0] for key in self._state.bot_sent}
        for chat in chats if chat_id is None else {chat_id}:
            self._consumed[chat] = len([k for k in self._state.bot_sent if k[0] == chat])
