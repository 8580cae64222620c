"""A local fake of the Telegram Bot API server for end-to-end tests and the offline console.

The real python-telegram-bot ``Application`` talks HTTP to :class:`LocalBotApi`; tests inject
user activity (``send_text``, ``press_button``, ...) and inspect what the bot did (``calls``,
``sent_messages``, ``next_message``, ...). Run standalone with ``python -m bot.local_api``.
"""

from bot.local_api.inspection import LocalApiTimeout
from bot.local_api.objects import Chat, User
from bot.local_api.records import ApiError, Call, SentDocument
from bot.local_api.server import DEFAULT_TOKEN, LocalBotApi

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "Call",
    "Chat",
    "LocalApiTimeout",
    "LocalBotApi",
    "SentDocument",
    "User",
]
