"""The resident surface: /start (with deep links), /help, the main menu, and fallbacks.

Menu entries come from the features the composition root registered (`services.menu`);
keys the texts list but no feature provides yet say the feature is on its way.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters
from telegram.helpers import create_deep_linked_url

from handlers import callbacks, texts
from handlers.access import ADDRESSED, NEW_MESSAGES, go_private, is_private
from handlers.context import BotContext
from handlers.feature import Feature

PREFIX = "menu"
_KEYS = {key: 0 for key, _ in texts.MENU_ITEMS}


def menu_markup(update: Update, bot_username: str | None) -> InlineKeyboardMarkup:
    buttons = [entry_button(update, bot_username, key, label) for key, label in texts.MENU_ITEMS]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def entry_button(
    update: Update, bot_username: str | None, key: str, label: str
) -> InlineKeyboardButton:
    """A menu entry's button: in a group, a private-only entry opens the private chat by a
    deep link (its flow asks for personal details); elsewhere a menu press."""
    if not is_private(update) and key in texts.PRIVATE_ONLY and bot_username:
        return InlineKeyboardButton(label, url=deep_link(bot_username, key))
    return InlineKeyboardButton(label, callback_data=callbacks.encode(PREFIX, key))


def deep_link(bot_username: str, payload: str) -> str:
    return create_deep_linked_url(bot_username, payload)


async def start(update: Update, context: BotContext) -> None:
    """Welcome and main menu; `/start <payload>` jumps straight into that menu entry."""
    message = update.effective_message
    if message is None:
        return
    payload = context.args[0] if context.args else ""
    if payload in texts.MENU_LABELS:
        await open_entry(update, context, payload)
        return
    welcome = texts.WELCOME.format(community=context.services.settings.community)
    await message.reply_text(
        f"{welcome}\n\n{texts.MENU_TITLE}",
        reply_markup=menu_markup(update, context.bot.username),
    )


async def show_menu(update: Update, context: BotContext) -> None:
    """The main menu on its own."""
    message = update.effective_message
    if message is None:
        return
    text = (
        texts.MENU_TITLE if is_private(update) else f"{texts.MENU_TITLE}\n{texts.GROUP_MENU_NOTE}"
    )
    await message.reply_text(text, reply_markup=menu_markup(update, context.bot.username))


async def help_command(update: Update, context: BotContext) -> None:
    """Commands for residents, plus staff commands for staff."""
    message = update.effective_message
    if message is None:
        return
    text = texts.HELP_RESIDENT + "".join(context.services.help) + texts.HELP_RESIDENT_TAIL
    user = update.effective_user
    if context.services.is_staff(user.id if user else None):
        text += texts.HELP_STAFF + "".join(context.services.staff_help)
    await message.reply_text(text)


async def menu_button(update: Update, context: BotContext) -> None:
    """A main-menu button; the key is checked against the known entries."""
    query = update.callback_query
    if query is None:
        return
    pressed = callbacks.parse(query.data, PREFIX, _KEYS)
    if pressed is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    if pressed.action in texts.PRIVATE_ONLY and not is_private(update):
        await go_private(update, context, pressed.action)  # answers the press itself
        return
    await query.answer()
    await open_entry(update, context, pressed.action)


async def menu_label_text(update: Update, context: BotContext) -> None:
    """A resident typed a menu label (e.g. “我要投诉”) instead of pressing the button."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    label = message.text.strip()
    for key, known in texts.MENU_ITEMS:
        if known == label:
            await open_entry(update, context, key)
            return


async def open_entry(update: Update, context: BotContext, key: str) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if key in texts.PRIVATE_ONLY and chat.type != ChatType.PRIVATE:
        await go_private(update, context, key)
        return
    entry = context.services.menu_entry(key)
    if entry is not None and entry.open is not None:
        await entry.open(update, context)
        return
    await context.bot.send_message(
        chat.id, texts.FEATURE_PENDING.format(label=texts.MENU_LABELS[key])
    )


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command nobody handles: answer in private, or in a group when it names the bot."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    if not is_private(update):
        first = message.text.split(maxsplit=1)[0]
        username = context.bot.username or ""
        if not first.lower().endswith(f"@{username.lower()}"):
            return
    await message.reply_text(texts.UNKNOWN_COMMAND)


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    """/cancel outside any flow (each flow answers its own /cancel first)."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.NOTHING_TO_CANCEL)


async def stale_button(update: Update, context: BotContext) -> None:
    """A button nobody handles: old, or forged callback data."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.STALE_BUTTON, show_alert=True)


async def non_text(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice… in private (or addressed in a group): ask for words."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(texts.NON_TEXT)


def _handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    labels = "|".join(label for _, label in texts.MENU_ITEMS)
    return [
        CommandHandler("start", start, filters=NEW_MESSAGES),
        CommandHandler("help", help_command, filters=NEW_MESSAGES),
        CommandHandler("menu", show_menu, filters=NEW_MESSAGES),
        CommandHandler("cancel", nothing_to_cancel, filters=NEW_MESSAGES),
        CallbackQueryHandler(menu_button, pattern=callbacks.pattern(PREFIX)),
        MessageHandler(
            NEW_MESSAGES & filters.ChatType.PRIVATE & filters.Regex(f"^\\s*({labels})\\s*$"),
            menu_label_text,
        ),
    ]


def _catch_alls() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        MessageHandler(NEW_MESSAGES & filters.COMMAND, unknown_command),
        CallbackQueryHandler(stale_button),
        MessageHandler(
            NEW_MESSAGES
            & ~filters.TEXT
            & ~filters.StatusUpdate.ALL
            & ~filters.Document.ALL
            & ADDRESSED,
            non_text,
        ),
    ]


def feature() -> Feature:
    """The menu's handlers go before other features' plain handlers; its catch-alls after
    every other feature's (the root puts this feature's catch-alls last)."""
    return Feature(name="menu", handlers=_handlers, catch_alls=_catch_alls)
