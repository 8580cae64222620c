"""/broadcast (compose → preview → target → options → confirm): composing and the preview
here, the rest in `broadcast_options`; /notices and the reports in `reports`. The handlers
of all three are listed here."""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Message, Update
from telegram.constants import MessageLimit
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import callbacks
from handlers.access import NEW_MESSAGES, ensure_staff, is_private
from handlers.context import BotContext
from handlers.flows import press_a_button
from handlers.notices import texts as t
from handlers.notices.broadcast_options import (
    CHOOSE,
    COMPOSE,
    DRAFT,
    PREFIX,
    chosen,
    target_menu,
    user_data,
)
from handlers.notices.reports import LIST_PREFIX, notice_button, notices_command


async def start(update: Update, context: BotContext) -> int:
    """/broadcast: staff only, in private."""
    if not await ensure_staff(update, context):
        return ConversationHandler.END
    message = update.effective_message
    assert message is not None
    if not is_private(update):
        await message.reply_text(t.PRIVATE_ONLY)
        return ConversationHandler.END
    user_data(context)[DRAFT] = {"pin": False, "urgent": False}
    await message.reply_text(t.COMPOSE)
    return COMPOSE


async def content(update: Update, context: BotContext) -> int:
    """The notice itself: text, or a photo/document with an optional caption."""
    message = update.effective_message
    assert message is not None
    if not await ensure_staff(update, context):
        return ConversationHandler.END
    draft: dict[str, Any] = {"pin": False, "urgent": False}
    if message.photo:
        draft["photo"] = message.photo[-1].file_id
    elif message.document:
        draft["document"] = message.document.file_id
    text = (message.text or message.caption or "").strip()
    attached = message.photo or message.document
    limit = MessageLimit.CAPTION_LENGTH if attached else MessageLimit.MAX_TEXT_LENGTH
    if not text and not (message.photo or message.document):
        await message.reply_text(t.EMPTY)
        return COMPOSE
    if len(text) > limit:
        await message.reply_text(t.TOO_LONG.format(limit=limit))
        return COMPOSE
    draft["text"] = text
    user_data(context)[DRAFT] = draft
    await message.reply_text(t.PREVIEW_HEAD)
    await send_as_residents_see(context.bot, message.chat_id, draft)
    await message.reply_text(t.CHOOSE_TARGET, reply_markup=target_menu())
    return CHOOSE


async def not_content(update: Update, context: BotContext) -> int:
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.NOT_CONTENT)
    return COMPOSE


async def send_as_residents_see(bot: ExtBot[Any], chat_id: int, draft: dict[str, Any]) -> Message:
    """The preview goes out exactly as the delivery worker sends it (text or caption)."""
    text = draft.get("text") or None
    if draft.get("photo"):
        return await bot.send_photo(chat_id, draft["photo"], caption=text)
    if draft.get("document"):
        return await bot.send_document(chat_id, draft["document"], caption=text)
    return await bot.send_message(chat_id, draft.get("text", ""))


async def cancel(update: Update, context: BotContext) -> int:
    user_data(context).pop(DRAFT, None)
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.CANCELLED)
    return ConversationHandler.END


def conversation() -> ConversationHandler:  # type: ignore[type-arg]
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    body = private & ((filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL)
    with warnings.catch_warnings():
        # One draft per staff member; the buttons need not be tracked per message.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("broadcast", start, filters=NEW_MESSAGES)],
            states={
                COMPOSE: [
                    MessageHandler(body, content),
                    MessageHandler(private & ~filters.COMMAND, not_content),
                ],
                CHOOSE: [
                    CallbackQueryHandler(chosen, pattern=callbacks.pattern(PREFIX)),
                    press_a_button(),
                ],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            name="notices_broadcast",
            persistent=True,
            allow_reentry=True,
        )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("notices", notices_command, filters=NEW_MESSAGES),
        CallbackQueryHandler(notice_button, pattern=callbacks.pattern(LIST_PREFIX)),
        # A forged or stale flow button outside the conversation: refused the same way.
        CallbackQueryHandler(chosen, pattern=callbacks.pattern(PREFIX)),
    ]
