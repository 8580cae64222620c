"""Flood control that slows down or pauses only the chat Telegram complained about.

PTB's ``AIORateLimiter`` stops *every* request for ``retry_after`` seconds when any request
gets a 429, so one busy group's flood wait delays residents in every other chat. Telegram's
limits are mostly per chat, so this limiter paces per chat and per group, pauses just the chat
that was answered 429, and pauses everything only when several chats are answered 429 at once
(the bot as a whole is over Telegram's global limit).

Requests without a ``chat_id`` (getMe, getUpdates, answerCallbackQuery, ...) are not paced.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)

Result = bool | dict[str, Any] | list[dict[str, Any]]
Callback = Callable[..., Coroutine[Any, Any, Result]]

# Methods that take a chat_id but post nothing a member sees: Telegram's per-chat message
# limits do not count them, and pacing a typing indicator would delay the reply after it.
_UNPACED = frozenset(
    {
        "getChat",
        "getChatAdministrators",
        "getChatMember",
        "getChatMemberCount",
        "leaveChat",
        "sendChatAction",
        "deleteMessage",
        "deleteMessages",
    }
)


@dataclass(frozen=True)
class FloodLimits:
    """(requests, seconds) windows; a window also allows a burst of that many requests."""

    overall: tuple[float, float] = (FloodLimit.MESSAGES_PER_SECOND, 1.0)
    group: tuple[float, float] = (FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP, 60.0)
    # Telegram asks for about one message a second per chat, and tolerates short bursts:
    # an answer followed by a hint must not wait a second.
    chat: tuple[float, float] = (3.0, 3.0)
    # This many distinct chats answered 429 within `flood_window` seconds means the bot as a
    # whole is over the limit: then everything pauses.
    flood_chats: int = 3
    flood_window: float = 2.0


TELEGRAM_LIMITS = FloodLimits()
# What we count is when a request leaves; Telegram counts when it arrives. A window a little
# longer than Telegram's (40 ms a second) absorbs the jitter in between (a loop busy for a
# moment sends a few requests late, together), so no window of theirs sees more.
WINDOW_MARGIN = 1.04


# Set by the outbox's delivery worker around its sends: background traffic. It goes evenly
# spaced (never in bursts), so a reply that finds the window full waits for about one
# spacing at most, and goes first; while residents are being answered (a foreground send in
# the last `RESERVE_HOLD` seconds) background also leaves `BACKGROUND_RESERVE` slots of every
# window free, so their replies do not wait at all. With nobody asking, a broadcast has the
# whole window.
BACKGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar("background", default=False)
BACKGROUND_RESERVE = 2
RESERVE_HOLD = 10.0
# Background acquisitions may run this many spacings ahead of an even pace (to make up for
# a late one: a busy loop, a slow request), never more.
BACKGROUND_BURST = 2

# `rate_limit_args` for "no retries here, raise the 429": not 0, which ExtBot drops as falsy
# before it reaches the limiter (so the call would get the default retries instead).
NO_RETRIES = -1


class SlidingWindow:
    """At most `count` acquisitions in any `period` seconds (a sliding log).

    aiolimiter's leaky bucket lets a full bucket and then its refill through, up to twice the
    rate in some window (python-telegram-bot issue 3772 for groups); Telegram's overall and
    per-group limits are "never more than N in any window", so those use this instead.

    Background acquisitions (a broadcast) take turns (a lock) and are spaced evenly, one per
    `period / share` with a burst of at most `BACKGROUND_BURST` (the generic cell rate
    algorithm), where `share` is the whole count, or the count less `BACKGROUND_RESERVE`
    while foreground acquisitions (replies) have been seen lately; background never has more
    than `share` of its own in a window (replies do not shrink it: they use the reserve). A
    foreground acquisition that finds the window full waits for its next slot and goes
    before any background one waiting. The total never exceeds `count` in any window.
    """

    def __init__(self, count: float, period: float) -> None:
        self.count = max(1, int(count))
        self.period = period * WINDOW_MARGIN
        self._times: deque[float] = deque()
        self._background_times: deque[float] = deque()
        self._background = asyncio.Lock()
        self._background_due = 0.0  # GCRA's theoretical time of the next background one
        self._foreground_waiting = 0
        self._foreground_at = -RESERVE_HOLD

    def background_share(self, now: float) -> int:
        """How many of a window background may fill now."""
        if now - self._foreground_at < RESERVE_HOLD:
            return max(1, self.count - BACKGROUND_RESERVE)
        return self.count

    async def acquire(self, *, background: bool = False) -> None:
        if not background:
            self._foreground_waiting += 1
            try:
                await self._take()
            finally:
                self._foreground_waiting -= 1
            return
        async with self._background:
            await self._take_background()

    def _expire(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.period:
            self._times.popleft()
        own = self._background_times
        while own and own[0] <= now - self.period:
            own.popleft()

    async def _take(self) -> None:
        loop = asyncio.get_running_loop()
        self._foreground_at = loop.time()
        while True:
            now = loop.time()
            self._expire(now)
            if len(self._times) < self.count:
                self._times.append(now)  # no await between the check and the append
                return
            await asyncio.sleep(self._times[0] + self.period - now)

    async def _take_background(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            self._expire(now)
            share = self.background_share(now)
            spacing = self.period / share
            early = self._background_due - spacing * (BACKGROUND_BURST - 1) - now
            own = self._background_times
            full = len(self._times) >= self.count
            if early <= 0 and len(own) < share and not full and not self._foreground_waiting:
                self._times.append(now)  # no await between the check and the append
                own.append(now)
                self._background_due = max(self._background_due, now) + spacing
                return
            wait = max(early, 0.001)  # a reply waiting for the freed slot goes first
            if full:
                wait = max(wait, self._times[0] + self.period - now)
            if len(own) >= share:
                wait = max(wait, own[len(own) - share] + self.period - now)
            await asyncio.sleep(wait)

    def idle(self) -> bool:
        now = asyncio.get_running_loop().time()
        return not self._times or self._times[-1] <= now - self.period


class _Limiters:
    """Limiters by chat id, created on first use; unused ones are dropped in sweeps.

    Per chat an aiolimiter bucket (Telegram tolerates short bursts in one chat, and an
    answer followed by a hint must not wait); per group a sliding window (20 a minute is a
    hard limit).
    """

    def __init__(self, rate: tuple[float, float], *, sliding: bool) -> None:
        self._rate = rate
        self._sliding = sliding
        self._by_chat: dict[int | str, AsyncLimiter | SlidingWindow] = {}
        self._sweep_at = 512

    def __call__(self, chat_id: int | str) -> AsyncLimiter | SlidingWindow:
        limiter = self._by_chat.get(chat_id)
        if limiter is None:
            if len(self._by_chat) >= self._sweep_at:
                self._sweep()
            limiter = self._by_chat[chat_id] = (
                SlidingWindow(*self._rate) if self._sliding else AsyncLimiter(*self._rate)
            )
        return limiter

    def _sweep(self) -> None:
        # A limiter with its whole capacity back behaves like a new one: forget it. Sweeping
        # only when the dict has doubled keeps the cost per request constant.
        idle = [key for key, lim in self._by_chat.items() if _idle(lim)]
        for key in idle:
            del self._by_chat[key]
        self._sweep_at = max(512, 2 * len(self._by_chat))


class ChatRateLimiter(BaseRateLimiter[int]):
    """Paces by chat, group and overall; on a 429 pauses that chat and retries.

    ``rate_limit_args`` (an int) overrides ``max_retries`` for one call, as in PTB's limiter;
    ``NO_RETRIES`` asks for none (a 429 is raised to the caller at once).
    """

    def __init__(self, limits: FloodLimits | None = None, *, max_retries: int = 3) -> None:
        self.limits = limits or TELEGRAM_LIMITS
        self._max_retries = max_retries
        self._overall = SlidingWindow(*self.limits.overall)
        self._paid = SlidingWindow(FloodLimit.PAID_MESSAGES_PER_SECOND, 1)
        self._groups = _Limiters(self.limits.group, sliding=True)
        self._chats = _Limiters(self.limits.chat, sliding=False)
        # Loop times until which a chat (or, under key None, every chat) must not be sent to.
        self._paused: dict[int | str | None, float] = {}
        self._recent_429: deque[tuple[float, int | str]] = deque()

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close; pauses die with the object."""

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        retries = self._max_retries if rate_limit_args is None else max(rate_limit_args, 0)
        chat_id = _chat_key(data.get("chat_id"))
        paced = chat_id is not None and endpoint not in _UNPACED
        attempt = 0
        while True:
            await self._wait_pause(chat_id)
            if paced and chat_id is not None:
                await self._pace(chat_id, bool(data.get("allow_paid_broadcast")))
                # A pause may have begun while this request waited for its turn.
                await self._wait_pause(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= retries:
                    if retries:  # with none asked for, the caller handles the 429 itself
                        logger.warning(
                            "%s to chat %s: still 429 after %d retries",
                            endpoint,
                            chat_id,
                            retries,
                        )
                    raise
                attempt += 1
                if chat_id is None:
                    # Not a chat's flood wait (e.g. answerCallbackQuery): only this one waits.
                    await asyncio.sleep(_retry_seconds(exc) + 0.1)
                else:
                    self._pause(chat_id, _retry_seconds(exc))

    async def _pace(self, chat_id: int | str, paid: bool) -> None:
        """The chat's limiter, then its group's, then the overall one: the most specific
        first, so a request waiting for its own chat takes no share of the others."""
        await self._chats(chat_id).acquire()
        if _is_group(chat_id):
            await self._groups(chat_id).acquire()
        await (self._paid if paid else self._overall).acquire(background=BACKGROUND.get())

    def _pause(self, chat_id: int | str, retry_after: float) -> None:
        now = asyncio.get_running_loop().time()
        self._recent_429.append((now, chat_id))
        while self._recent_429[0][0] < now - self.limits.flood_window:
            self._recent_429.popleft()
        flood = len({chat for _, chat in self._recent_429}) >= self.limits.flood_chats
        key = None if flood else chat_id  # several chats at once: Telegram's global limit
        self._paused = {k: t for k, t in self._paused.items() if t > now}  # 429s are rare
        until = now + retry_after + 0.1
        self._paused[key] = max(until, self._paused.get(key, 0.0))
        logger.info("429: %s paused for %.1f s", "every chat" if flood else chat_id, until - now)

    async def _wait_pause(self, chat_id: int | str | None) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            until = max(
                self._until(None, now), self._until(chat_id, now) if chat_id is not None else 0.0
            )
            if until <= now:
                return
            await asyncio.sleep(until - now)

    def _until(self, key: int | str | None, now: float) -> float:
        until = self._paused.get(key, 0.0)
        if until and until <= now:
            del self._paused[key]  # expired: idle chats leave no trace
        return until


def _idle(limiter: AsyncLimiter | SlidingWindow) -> bool:
    if isinstance(limiter, SlidingWindow):
        return limiter.idle()
    return limiter.has_capacity(limiter.max_rate)


def _chat_key(chat_id: object) -> int | str | None:
    """``-100123`` and ``"-100123"`` are one chat; ``"@name"`` stays a name."""
    if chat_id is None or isinstance(chat_id, bool):
        return None
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    return int(text) if text.lstrip("-").isdigit() else text


def _is_group(chat_id: int | str) -> bool:
    # Negative ids are groups and channels; a "@username" only addresses those.
    return isinstance(chat_id, str) or chat_id < 0


def _retry_seconds(exc: RetryAfter) -> float:
    # The public `retry_after` warns (PTBDeprecationWarning: int today, timedelta in v23)
    # unless PTB_TIMEDELTA is set; PTB's own AIORateLimiter reads the timedelta it keeps.
    return exc._retry_after.total_seconds()
