"""Why the ticket service refuses: a code, and a Chinese message fit to show as it is."""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    BLOCKED = "blocked"
    DAILY_LIMIT = "daily_limit"
    TOO_LONG = "too_long"
    EMPTY = "empty"
    TOO_MANY_PHOTOS = "too_many_photos"
    UNKNOWN_CATEGORY = "unknown_category"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"  # not staff / not the reporter
    BAD_INPUT = "bad_input"


class TicketRefused(Exception):
    """Not accepted; `str(exc)` is a Chinese message fit to show as it is."""

    def __init__(self, refusal: Refusal, message: str) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.message = message
