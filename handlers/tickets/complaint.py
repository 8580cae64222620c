"""The complaint flow (我要投诉), in private: describe → category → photos → place →
phone → anonymity → summary (edit any field) → duplicate prompt → ticket number.

This module wires the flow: its entry points and the persistent ConversationHandler. The
steps are in `complaint_steps`, the buttons in `complaint_buttons`. Staff use the same flow
for a resident who phoned (`/file_ticket [resident id]`).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers import callbacks
from handlers.access import NEW_MESSAGES, ensure_staff, go_private, is_private
from handlers.callbacks import parse_id
from handlers.context import BotContext
from handlers.tickets import common
from handlers.tickets import complaint_buttons as buttons
from handlers.tickets import complaint_steps as steps
from handlers.tickets import texts as t
from knowledge.tickets.service import TicketRefused

DRAFT = steps.DRAFT


async def start(update: Update, context: BotContext) -> int:
    """Every entry point: menu button, /complain, /start complain, the typed label."""
    user = update.effective_user
    if user is None:
        return ConversationHandler.END
    if not is_private(update):
        await go_private(update, context, "complain", t.GO_PRIVATE)
        return ConversationHandler.END
    if update.callback_query is not None:
        await update.callback_query.answer()
    try:
        await common.service(context).check_can_submit(user.id)
    except TicketRefused as exc:
        common.user_data(context).pop(DRAFT, None)
        await common.reply(update, context, exc.message)
        return ConversationHandler.END
    common.user_data(context)[DRAFT] = {"photos": []}
    await common.reply(update, context, t.ASK_DESCRIPTION)
    return steps.DESCRIBE


async def file_for_resident(update: Update, context: BotContext) -> int:
    """/file_ticket [resident id]: staff record a complaint phoned in by a resident; with
    the resident's Telegram id (0 or none: no account) they are told of every change."""
    if not is_private(update) or not await ensure_staff(update, context):
        return ConversationHandler.END
    args = context.args or []
    reporter = parse_id(args[0]) if args else 0
    user = update.effective_user
    if reporter is None or len(args) > 1 or (user is not None and reporter == user.id):
        await common.reply(update, context, t.FILE_USAGE)
        return ConversationHandler.END
    common.user_data(context)[DRAFT] = {
        "photos": [],
        "for_resident": True,
        "reporter_id": reporter or None,
    }
    who = t.FILE_FOR_USER.format(user_id=reporter) if reporter else t.FILE_FOR_PHONE
    await common.reply(update, context, t.FILE_FOR.format(who=who) + "\n\n" + t.ASK_DESCRIPTION)
    return steps.DESCRIBE


def conversation() -> ConversationHandler[Any]:
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    other = private & ~filters.TEXT & ~filters.COMMAND
    anything = private & ~filters.COMMAND
    pressed = CallbackQueryHandler(buttons.button, pattern=callbacks.pattern(steps.PREFIX))
    wait_for_button = MessageHandler(anything, steps.buttons_only)
    return common.conversation(
        entry_points=[
            CallbackQueryHandler(start, pattern=r"^menu:complain$"),
            CommandHandler("complain", start, filters=private),
            CommandHandler("start", start, filters=private & filters.Regex(r"^/start complain$")),
            MessageHandler(text & filters.Regex(r"^\s*我要投诉\s*$"), start),
            CommandHandler("file_ticket", file_for_resident, filters=private),
        ],
        states={
            steps.DESCRIBE: [
                MessageHandler(text, steps.description),
                MessageHandler(other, steps.not_text),
            ],
            steps.CATEGORY: [pressed, wait_for_button],
            steps.PHOTOS: [
                pressed,
                MessageHandler(private & filters.PHOTO, steps.photo),
                MessageHandler(anything, steps.not_photo),
            ],
            steps.LOCATION: [
                pressed,
                MessageHandler(private & filters.LOCATION, steps.geo),
                MessageHandler(text, steps.location_text),
                MessageHandler(other, steps.not_location),
            ],
            steps.LOCATION_TEXT: [
                pressed,
                MessageHandler(text, steps.location_text),
                MessageHandler(private & filters.LOCATION, steps.geo),
                MessageHandler(other, steps.not_location),
            ],
            steps.PHONE: [
                pressed,
                MessageHandler(text, steps.phone),
                MessageHandler(other, steps.not_text),
            ],
            steps.ANONYMOUS: [pressed, wait_for_button],
            steps.SUMMARY: [pressed, wait_for_button],
            steps.DUPLICATE: [pressed, wait_for_button],
        },
        fallbacks=[CommandHandler("cancel", steps.cancel, filters=private)],
        name="tickets_complaint",
    )


def group_handlers() -> common.Handlers:
    """/complain in a group: a deep link, nothing collected there."""
    group = NEW_MESSAGES & ~filters.ChatType.PRIVATE
    return [CommandHandler("complain", start, filters=group)]
