"""Residents: /subscribe (and the menu's 订阅提醒), the one-tap unsubscribe, /today."""

from __future__ import annotations

import warnings

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import callbacks
from handlers.access import NEW_MESSAGES, is_private
from handlers.context import BotContext
from handlers.reminders import texts as t
from handlers.reminders.service import (
    SUBSCRIBE_ACTIONS,
    SUBSCRIBE_PREFIX,
    quiet_hours,
    reminder_service,
)
from knowledge.notices.reminders import TOPICS
from storage import subscriptions_repo

CHOOSING = 1
MENU_KEY = "remind"
LABEL = "订阅提醒"
TODAY_WORDS = r"^\s*(今天有什么提醒|今天扔什么|今天有啥提醒)\s*[?？]?\s*$"


async def _panel(context: BotContext, user_id: int) -> tuple[str, InlineKeyboardMarkup]:
    mine = set(await subscriptions_repo.topics_of(context.services.db, user_id))
    lines = "\n".join(
        (t.TOPIC_LINE_ON if topic in mine else t.TOPIC_LINE_OFF).format(
            topic=t.TOPIC_HINTS.get(topic, topic)
        )
        for topic in TOPICS
    )
    rows = [
        [
            InlineKeyboardButton(
                (t.TOPIC_LINE_ON if topic in mine else t.TOPIC_LINE_OFF).format(topic=topic),
                callback_data=callbacks.encode(
                    SUBSCRIBE_PREFIX, "off" if topic in mine else "on", i
                ),
            )
        ]
        for i, topic in enumerate(TOPICS)
    ]
    rows.append([InlineKeyboardButton(t.DONE_BUTTON, callback_data=f"{SUBSCRIBE_PREFIX}:done")])
    quiet = quiet_hours(context.services)
    text = (
        t.SUBSCRIBE_PANEL.format(lines=lines, quiet=quiet.spec())
        if quiet
        else t.SUBSCRIBE_PANEL_NO_QUIET.format(lines=lines)
    )
    return text, InlineKeyboardMarkup(rows)


async def open_panel(update: Update, context: BotContext) -> int:
    """/subscribe, /start remind, the menu button or the typed label: the topic panel."""
    user = update.effective_user
    if update.callback_query is not None:
        await update.callback_query.answer()
    message = update.effective_message
    if user is None or message is None:
        return ConversationHandler.END
    if not is_private(update):
        await message.reply_text(t.SUBSCRIBE_PRIVATE_ONLY)
        return ConversationHandler.END
    text, markup = await _panel(context, user.id)
    await message.reply_text(text, reply_markup=markup)
    return CHOOSING


async def pressed(update: Update, context: BotContext) -> int:
    """A topic toggled in the panel, 完成, or the footer's 退订 under a reminder."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None
    press = callbacks.parse(query.data, SUBSCRIBE_PREFIX, SUBSCRIBE_ACTIONS)
    if (
        press is None
        or user is None
        or not is_private(update)
        or (press.ids and press.id >= len(TOPICS))
    ):
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return ConversationHandler.END
    if press.action == "done":
        await query.answer()
        if query.message is not None:
            await query.edit_message_reply_markup(None)
            await context.bot.send_message(query.message.chat.id, t.SUBSCRIBED_DONE)
        return ConversationHandler.END
    topic = TOPICS[press.id]
    db = context.services.db
    if press.action == "on":
        await subscriptions_repo.subscribe(db, user.id, topic)
        await query.answer(t.SUBSCRIBED.format(topic=topic))
    else:
        await subscriptions_repo.unsubscribe(db, user.id, topic)
        await query.answer(t.UNSUBSCRIBED.format(topic=topic))
    if press.action == "stop":
        # Under a reminder: leave the reminder as it is, say what happened below it.
        await context.bot.send_message(user.id, t.UNSUBSCRIBED_FOOTER.format(topic=topic))
        return ConversationHandler.END
    text, markup = await _panel(context, user.id)
    await query.edit_message_text(text, reply_markup=markup)
    return CHOOSING


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel in the panel: subscriptions as they are."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.SUBSCRIBE_CANCELLED)
    return ConversationHandler.END


async def today(update: Update, context: BotContext) -> None:
    """/today, 今天有什么提醒: what goes out today, and whether it went."""
    message = update.effective_message
    if message is None:
        return
    tz = context.services.settings.timezone
    items = await reminder_service(context.services).today()
    if not items:
        text = t.TODAY_NONE
    else:
        day = items[0].at.astimezone(tz).strftime("%m-%d")
        states = {"queued": t.TODAY_SENT, "skipped": t.TODAY_SKIPPED}
        lines = [
            t.TODAY_LINE.format(
                time=item.at.astimezone(tz).strftime("%H:%M"),
                title=f"【{item.reminder.topic}】{t.preview(item.reminder.text, 60)}",
                state=states.get(item.status or "", ""),
            )
            for item in items
        ]
        text = t.TODAY_TITLE.format(day=day) + "\n" + "\n".join(lines)
    if is_private(update):
        text += t.TODAY_SUBSCRIBE_HINT
    await message.reply_text(text)


def conversation() -> ConversationHandler:  # type: ignore[type-arg]
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        # One panel per resident; its buttons need not be tracked per message.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("subscribe", open_panel, filters=NEW_MESSAGES),
                CallbackQueryHandler(open_panel, pattern=f"^menu:{MENU_KEY}$"),
                CommandHandler(
                    "start", open_panel, filters=private & filters.Regex(rf"^/start {MENU_KEY}$")
                ),
                MessageHandler(private & filters.Regex(rf"^\s*{LABEL}\s*$"), open_panel),
            ],
            states={
                CHOOSING: [
                    CallbackQueryHandler(pressed, pattern=callbacks.pattern(SUBSCRIBE_PREFIX))
                ]
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            name="reminders_subscribe",
            persistent=True,
            allow_reentry=True,
        )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        # The footer's 退订 and old panels work outside the conversation too.
        CallbackQueryHandler(pressed, pattern=callbacks.pattern(SUBSCRIBE_PREFIX)),
        CommandHandler("today", today, filters=NEW_MESSAGES),
        MessageHandler(NEW_MESSAGES & filters.Regex(TODAY_WORDS), today),
    ]
