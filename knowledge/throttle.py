"""A per-user limit on how fast one person may make the bot work.

A sliding window per user: at most `limit` actions in `window` seconds. Over the limit, the
first refusal is reported (so the handler says so politely once) and later ones are
silent until the window clears, so a flood of messages gets one answer, not a flood.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"
    REFUSE_NOTIFY = "refuse_notify"  # over the limit: tell the user, once
    REFUSE_SILENT = "refuse_silent"  # already told


@dataclass
class _Window:
    times: deque[float]
    told: bool = False


class UserThrottle:
    def __init__(
        self,
        limit: int = 12,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = 50_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_users = max_users
        self._users: dict[int, _Window] = {}

    def check(self, user_id: int) -> Verdict:
        now = self._clock()
        entry = self._users.get(user_id)
        if entry is None:
            if len(self._users) >= self._max_users:
                self._forget_idle(now)
            entry = self._users[user_id] = _Window(deque())
        while entry.times and now - entry.times[0] >= self.window:
            entry.times.popleft()
        if len(entry.times) < self.limit:
            entry.times.append(now)
            entry.told = False
            return Verdict.ALLOW
        if entry.told:
            return Verdict.REFUSE_SILENT
        entry.told = True
        return Verdict.REFUSE_NOTIFY

    def _forget_idle(self, now: float) -> None:
        idle = [
            u for u, w in self._users.items() if not w.times or now - w.times[-1] >= self.window
        ]
        for user_id in idle:
            del self._users[user_id]
