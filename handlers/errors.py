"""The error handler: log with the update id, apologise in Chinese, keep running."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import ChatMigrated, Forbidden, TelegramError

from handlers import texts
from handlers.context import BotContext
from storage import chats_repo

logger = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure without message contents and tell the user something went wrong."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    chat_id = (
        update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
    )

    if isinstance(error, ChatMigrated) and chat_id is not None:
        await chats_repo.migrate_chat(context.services.db, chat_id, error.new_chat_id)
        logger.info("Chat %s migrated to %s (update %s)", chat_id, error.new_chat_id, update_id)
        return
    if isinstance(error, Forbidden) and chat_id is not None and isinstance(update, Update):
        # The user blocked the bot or it was removed. Only mark the update's chat when the
        # error is about that kind of chat: a failed private send triggered from a group
        # (a staff prompt, say) says nothing about the group.
        chat_type = update.effective_chat.type if update.effective_chat else None
        about_user = "user" in str(error).lower()
        if (chat_type == "private") == about_user:
            await chats_repo.set_status(context.services.db, chat_id, "blocked")
        logger.info("Chat %s is unreachable (update %s): %s", chat_id, update_id, error)
        return

    # exc_info carries the traceback, never the update's text; the token is redacted by
    # the logging filter installed in bot.logsetup.
    logger.error("Error while handling update %s", update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.ERROR, show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, texts.ERROR)
    except TelegramError:
        logger.warning("Could not tell chat %s about the error", update.effective_chat.id)
