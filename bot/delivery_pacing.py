"""The delivery worker's pacing, all in memory and checked before a row is claimed, so a row
waiting for its group never holds up rows for other chats:
- overall: a sliding log at `send_rate` per window of the shared limiter (1 s and its
  margin), evenly spaced; replies to residents take their turn first in that limiter, so the
  total is never above the limit in any window;
- each group: 18 sends in any 60 s (Telegram allows 20; replies in the group need room);
- each chat: 1 send per second; a chat answered 429 waits its `retry_after`, and when three
  chats are answered 429 within 2 s everything waits (the bot as a whole is over the limit).

Times are the event loop's clock, passed in by the worker.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from bot import rate_limiter
from knowledge.notices.delivery import SendWindow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryLimits:
    send_rate: int = 30  # RESIDENT_BOT_SEND_RATE
    group: tuple[int, float] = (18, 60.0)
    chat: tuple[int, float] = (1, 1.0)
    paid: bool = False  # allow_paid_broadcast: Telegram bills sends above 30/s
    poll: float = 1.0  # how often to look for rows another process (the CLI) queued
    batch: int = 200
    max_in_flight: int = 64
    flood_chats: int = 3
    flood_window: float = 2.0


class DeliveryPacing:
    """How long the next send must wait: overall, for one chat or group, and after 429s."""

    def __init__(self, limits: DeliveryLimits) -> None:
        self.limits = limits
        rate = limits.send_rate
        # The shared limiter's window (a little over 1 s) and its even spacing: a row claimed
        # faster than the limiter lets background sends out would only wait there, already
        # `sending`. The limiter spaces them evenly and makes up for a late one (a busy loop),
        # so here half its spacing only stops bunches; replies to residents go first there.
        period = rate_limiter.WINDOW_MARGIN
        self._overall = SendWindow(rate, period, spacing=0.5 * period / rate)
        self._groups: dict[int, SendWindow] = {}
        self._chats: dict[int, SendWindow] = {}
        self._paused: dict[int, float] = {}
        self._paused_all = 0.0
        self._recent_429: deque[tuple[float, int]] = deque()

    def blocked_chats(self, now: float) -> list[int]:
        """Chats that may not be sent to now (paused, or at their chat or group limit)."""
        waiting = set(self._paused) | set(self._chats) | set(self._groups)
        return [c for c in waiting if self.chat_wait(c, now)]

    def overall_wait(self, now: float) -> float:
        """Seconds until any send may go (the overall window, or a pause of everything)."""
        return max(self._overall.wait_time(now), self._paused_all - now)

    def all_paused(self, now: float) -> bool:
        return self._paused_all > now

    def record(self, chat_id: int, now: float) -> None:
        """A send to `chat_id` starts now."""
        self._overall.record(now)
        self._window(self._chats, chat_id, self.limits.chat).record(now)
        if chat_id < 0:
            self._window(self._groups, chat_id, self.limits.group).record(now)

    def _window(
        self, table: dict[int, SendWindow], chat_id: int, rule: tuple[int, float]
    ) -> SendWindow:
        window = table.get(chat_id)
        if window is None:
            window = table[chat_id] = SendWindow(rule[0], rule[1])
        return window

    def chat_wait(self, chat_id: int, now: float) -> float:
        wait = self._paused.get(chat_id, 0.0) - now
        chat = self._chats.get(chat_id)
        if chat is not None:
            wait = max(wait, chat.wait_time(now))
        group = self._groups.get(chat_id)
        if group is not None:
            wait = max(wait, group.wait_time(now))
        if wait <= 0:
            self._forget_idle(chat_id, now)
        return max(wait, 0.0)

    def _forget_idle(self, chat_id: int, now: float) -> None:
        self._paused.pop(chat_id, None)
        chat = self._chats.get(chat_id)
        if chat is not None and chat.idle(now):
            del self._chats[chat_id]
        group = self._groups.get(chat_id)
        if group is not None and group.idle(now):
            del self._groups[chat_id]

    def flood(self, chat_id: int, delay: float, now: float) -> None:
        """Telegram answered 429 for `chat_id`: it waits `delay`, and everything does when
        several chats were answered 429 within `flood_window`."""
        self._recent_429.append((now, chat_id))
        while self._recent_429[0][0] < now - self.limits.flood_window:
            self._recent_429.popleft()
        self._paused[chat_id] = max(self._paused.get(chat_id, 0.0), now + delay)
        if len({c for _, c in self._recent_429}) >= self.limits.flood_chats:
            self._paused_all = max(self._paused_all, now + delay)
            logger.warning("429 for several chats: every send waits %.1f s", delay)
