"""Staff roster and the chats the bot is in."""

from __future__ import annotations

from handlers.admin import chats, staff, texts
from handlers.feature import Feature


def feature() -> Feature:
    return Feature(
        name="admin",
        observers=chats.observers,
        handlers=lambda: [*chats.handlers(), *staff.handlers()],
        staff_help=texts.HELP_LINES,
    )
