"""What the delivery worker does with each answer Telegram gives: pure decisions.

The worker turns an exception into a `Refusal` and asks `decide()`; nothing here knows
python-telegram-bot, so every branch is tested without a bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ErrorKind(Enum):
    FLOOD = "flood"  # 429 with retry_after
    FORBIDDEN = "forbidden"  # 403
    MIGRATED = "migrated"  # 400 with migrate_to_chat_id
    BAD_REQUEST = "bad_request"  # any other 400
    TIMEOUT = "timeout"  # no answer in time: the request may have arrived
    NETWORK = "network"  # connection refused/reset, 5xx: the request did not take effect


class Action(Enum):
    RETRY_AFTER = "retry_after"  # same row, same chat, after `delay` (not a failed attempt)
    RETRY = "retry"  # same row after a backoff `delay` (counts as an attempt)
    FOLLOW_MIGRATION = "follow_migration"  # the chat moved: resend at once to `new_chat_id`
    FAIL = "fail"  # row failed with `reason`; `chat_status` set when the chat is gone


@dataclass(frozen=True)
class Refusal:
    kind: ErrorKind
    description: str = ""
    retry_after: float = 0.0
    migrate_to: int | None = None


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str | None = None
    delay: float = 0.0
    chat_status: str | None = None  # 'blocked' | 'kicked' | 'left' for chats.status
    new_chat_id: int | None = None
    possibly_duplicate: bool = False  # a timeout: Telegram may have posted it


# Seconds before the 2nd, 3rd, ... attempt after a network error or a 5xx: about a
# minute in all, long enough for a brief outage, short enough that staff see the result.
BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
MAX_ATTEMPTS = len(BACKOFF) + 1
# Migrations chain at most once in practice (group → supergroup); a loop means a bug.
MAX_MIGRATIONS = 2

# 403 descriptions → (reason shown to staff, chats.status)
_FORBIDDEN = (
    ("blocked by the user", "blocked", "blocked"),
    ("kicked", "kicked", "kicked"),
    ("user is deactivated", "deactivated", "left"),
    ("not a member", "not_member", "left"),
    ("can't initiate conversation", "not_started", "left"),
    ("chat was deleted", "not_found", "left"),
)
# 400 descriptions that mean the chat is gone rather than the message being wrong.
_GONE = ("chat not found", "user not found", "peer_id_invalid", "group chat was deactivated")


def backoff(attempts: int) -> float | None:
    """Delay before the next try after `attempts` failed ones; None when out of tries."""
    if attempts < 1 or attempts >= MAX_ATTEMPTS:
        return None
    return BACKOFF[attempts - 1]


def decide(refusal: Refusal, *, attempts: int, migrations: int = 0) -> Decision:
    """`attempts`: tries made of this row so far, this one included."""
    text = refusal.description.lower()
    match refusal.kind:
        case ErrorKind.FLOOD:
            return Decision(Action.RETRY_AFTER, delay=max(refusal.retry_after, 0.0) + 0.1)
        case ErrorKind.FORBIDDEN:
            for needle, reason, status in _FORBIDDEN:
                if needle in text:
                    return Decision(Action.FAIL, reason=reason, chat_status=status)
            return Decision(Action.FAIL, reason="forbidden", chat_status="left")
        case ErrorKind.MIGRATED:
            if refusal.migrate_to is None or migrations >= MAX_MIGRATIONS:
                return Decision(Action.FAIL, reason="migrated")
            return Decision(Action.FOLLOW_MIGRATION, new_chat_id=refusal.migrate_to)
        case ErrorKind.BAD_REQUEST:
            if any(needle in text for needle in _GONE):
                return Decision(Action.FAIL, reason="not_found", chat_status="left")
            return Decision(Action.FAIL, reason="bad_request")
        case ErrorKind.TIMEOUT | ErrorKind.NETWORK:
            delay = backoff(attempts)
            if delay is None:
                return Decision(Action.FAIL, reason="network")
            return Decision(
                Action.RETRY, delay=delay, possibly_duplicate=refusal.kind is ErrorKind.TIMEOUT
            )


class SendWindow:
    """At most `limit` sends in any `period` seconds, spaced at least `spacing` apart.

    A sliding log, not a leaky bucket: a bucket of N per second lets up to 2N through in
    some 1-second window (a full bucket then its refill), and the goal is "never above the
    limit in any window". Times are plain floats so a test can feed its own clock.
    """

    def __init__(self, limit: int, period: float = 1.0, spacing: float = 0.0) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.period = period
        self.spacing = spacing
        self._times: list[float] = []

    def wait_time(self, now: float) -> float:
        """Seconds until one more send is allowed (0 when allowed now)."""
        cutoff = now - self.period
        times = self._times
        drop = 0
        while drop < len(times) and times[drop] <= cutoff:
            drop += 1
        if drop:
            del times[:drop]
        wait = 0.0
        if len(times) >= self.limit:
            wait = times[len(times) - self.limit] + self.period - now
        if times and self.spacing:
            wait = max(wait, times[-1] + self.spacing - now)
        return max(wait, 0.0)

    def record(self, now: float) -> None:
        self._times.append(now)

    def idle(self, now: float) -> bool:
        return not self._times or self._times[-1] <= now - self.period
