"""The Telegram requests of the delivery worker: one outbox payload sent as a message, a
photo or a document, and the pin that may follow it."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.ext import ExtBot

from bot import rate_limiter

logger = logging.getLogger(__name__)


async def send_payload(
    bot: ExtBot[Any], chat_id: int, payload: dict[str, Any], *, paid: bool
) -> Message:
    """Send one outbox row's payload; `paid` allows paid broadcast (above 30/s)."""
    # Background traffic for the shared rate limiter: replies to residents go first.
    rate_limiter.BACKGROUND.set(True)
    markup = None
    if payload.get("buttons"):
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(label, callback_data=data)]
                for label, data in payload["buttons"]
            ]
        )
    common: dict[str, Any] = {
        "chat_id": chat_id,
        "reply_markup": markup,
        # Our own retry logic owns 429s (the row goes back to the queue, honestly).
        "rate_limit_args": rate_limiter.NO_RETRIES,
    }
    if paid:
        common["allow_paid_broadcast"] = True
    text = str(payload.get("text", ""))
    if payload.get("photo"):
        return await bot.send_photo(photo=payload["photo"], caption=text or None, **common)
    if payload.get("document"):
        return await bot.send_document(
            document=payload["document"], caption=text or None, **common
        )
    return await bot.send_message(text=text, **common)


async def pin(bot: ExtBot[Any], chat_id: int, message_id: int) -> None:
    """Pin a delivered notice; a chat where the bot may not pin only logs it."""
    try:
        await bot.pin_chat_message(chat_id, message_id, rate_limit_args=1)
    except Exception as exc:  # no right to pin: the notice itself was delivered
        logger.info("could not pin in chat %d: %s", chat_id, exc)
