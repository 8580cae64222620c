"""Personal data stays out of groups: a command used there answers with a private-chat link."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.helpers import create_deep_linked_url

from handlers.context import BotContext
from handlers.households import texts as t


async def go_private(update: Update, context: BotContext, payload: str) -> None:
    """A button that opens the private chat with `/start <payload>`."""
    chat = update.effective_chat
    if chat is None:
        return
    username = context.bot.username
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.GO_PRIVATE_BUTTON, url=create_deep_linked_url(username, payload)
                )
            ]
        ]
    )
    await context.bot.send_message(chat.id, t.GO_PRIVATE, reply_markup=markup)
