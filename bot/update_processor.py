"""Updates of different chats run concurrently; updates of one chat, or of one user, in order.

python-telegram-bot either handles one update at a time (one busy chat stalls everyone) or,
with ``concurrent_updates(n)``, any n at once (a resident's second message may overtake their
first, and two updates may race on the same conversation state). This processor sits between:
each update joins the lane of its chat and the lane of its user (a private chat and its user
share one, as their ids are equal) and runs once it heads every lane it joined. A poll's
state update has neither: it joins its poll's lane, so a later count never lands before an
earlier one.

Why it always finishes what it admitted: ``Application.stop()`` waits for ``process_update`` of
every fetched update and only then closes the bot's HTTP client, so an update must be handled
inside ``do_process_update``, never handed to a task of our own that could outlive the client.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

# PTB's own semaphore, taken before ``do_process_update``, only admits updates into the lanes.
# It must be large: an update waiting for its chat holds one of its slots, and with a small
# bound one chat's backlog (a flood, or a chat paused by a 429) would fill them all and stall
# every other chat. PTB creates a task per fetched update anyway, so this bounds no memory.
_ADMITTED = 1 << 16


class _Ticket:
    """One admitted update: the lanes it joined and, only if it had to wait, a future set
    when it heads all of them (most updates find their lanes empty and never need one)."""

    __slots__ = ("keys", "turn")

    def __init__(self, keys: frozenset[int | str]) -> None:
        self.keys = keys
        self.turn: asyncio.Future[None] | None = None


def update_keys(update: object) -> frozenset[int | str]:
    """The lanes an update joins: its chat and its user; a poll's new state (which has
    neither) its poll's, by a string key that no chat or user id equals."""
    if not isinstance(update, Update):
        return frozenset()
    chat, user = update.effective_chat, update.effective_user
    keys: set[int | str] = {x.id for x in (chat, user) if x is not None}
    if update.poll is not None:
        keys.add(f"poll:{update.poll.id}")
    return frozenset(keys)


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Per-chat and per-user FIFO lanes, at most ``max_concurrent_updates`` handlers at once.

    A lane exists only while it holds an update, so idle chats cost no memory.
    """

    __slots__ = ("_lanes", "_limit", "_running", "_slots")

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        if max_concurrent_updates < 1:
            raise ValueError("max_concurrent_updates must be a positive integer")
        self._limit = max_concurrent_updates
        super().__init__(max(_ADMITTED, max_concurrent_updates))
        self._lanes: dict[int | str, deque[_Ticket]] = {}
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._running = 0

    @property
    def max_concurrent_updates(self) -> int:
        """Handlers allowed to run at once (updates waiting for their lane not counted)."""
        return self._limit

    @property
    def current_concurrent_updates(self) -> int:
        return self._running

    @property
    def waiting_lanes(self) -> int:
        """Chats, users and polls with an update in flight (for tests and diagnostics)."""
        return len(self._lanes)

    async def initialize(self) -> None:
        """Nothing to open; lanes are created on demand."""

    async def shutdown(self) -> None:
        """Application.stop() has already waited for every admitted update; drop leftovers."""
        if self._lanes:
            logger.warning("update processor shut down with %d busy lanes", len(self._lanes))
            for lane in self._lanes.values():
                for ticket in lane:
                    if ticket.turn is not None:
                        ticket.turn.cancel()
            self._lanes.clear()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        keys = update_keys(update)
        ticket = _Ticket(keys)
        # Joining the lanes happens before the first await, so lanes keep the order in which
        # PTB admitted the updates: the fetch order (its semaphore wakes waiters FIFO).
        for key in keys:
            self._lanes.setdefault(key, deque()).append(ticket)
        started = False
        try:
            if not self._heads_all(ticket):
                ticket.turn = asyncio.get_running_loop().create_future()
                await ticket.turn
            async with self._slots:
                self._running += 1
                try:
                    started = True
                    await coroutine
                finally:
                    self._running -= 1
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting: no "never awaited" warning
            self._leave(ticket)

    def _heads_all(self, ticket: _Ticket) -> bool:
        return all(self._lanes[key][0] is ticket for key in ticket.keys)

    def _leave(self, ticket: _Ticket) -> None:
        """Remove the ticket from its lanes and wake whichever next updates now head theirs."""
        successors: list[_Ticket] = []
        for key in ticket.keys:
            lane = self._lanes.get(key)
            if lane is None or ticket not in lane:  # shutdown() already cleared the lanes
                continue
            lane.remove(ticket)  # the head normally; anywhere if it was cancelled waiting
            if lane:
                successors.append(lane[0])
            else:
                del self._lanes[key]
        for successor in successors:
            turn = successor.turn
            if turn is not None and not turn.done() and self._heads_all(successor):
                turn.set_result(None)
