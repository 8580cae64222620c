"""The resident surface: /start (with deep links), /help, the main menu, and fallbacks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.services import BotContext
from handlers import texts
from handlers.access import ADDRESSED, is_private

MENU_PREFIX = "menu:"

MenuAction = Callable[[Update, BotContext], Awaitable[None]]
# Menu entries that feature modules fill in: `register_menu_action("complain", start_flow)`.
_ACTIONS: dict[str, MenuAction] = {}


def register_menu_action(key: str, action: MenuAction) -> None:
    _ACTIONS[key] = action


def menu_markup(update: Update, bot_username: str | None) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    private = is_private(update)
    buttons = []
    for key, label in texts.MENU_ITEMS:
        if not private and key in texts.PRIVATE_ONLY and bot_username:
            buttons.append(InlineKeyboardButton(label, url=deep_link(bot_username, key)))
        else:
            buttons.append(InlineKeyboardButton(label, callback_data=f"{MENU_PREFIX}{key}"))
    for i in range(0, len(buttons), 2):
        rows.append(buttons[i : i + 2])
    return InlineKeyboardMarkup(rows)


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


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
    text = texts.HELP_RESIDENT
    user = update.effective_user
    if await context.services.is_staff(user.id if user else None):
        text += texts.HELP_STAFF + "".join(_STAFF_HELP_EXTRA)
    await message.reply_text(text)


# Feature modules append their staff command lines here.
_STAFF_HELP_EXTRA: list[str] = []


def add_staff_help(line: str) -> None:
    if line not in _STAFF_HELP_EXTRA:  # several applications may be built in one process
        _STAFF_HELP_EXTRA.append(line)


async def menu_button(update: Update, context: BotContext) -> None:
    """A main-menu button; the key is checked against the known entries."""
    query = update.callback_query
    if query is None:
        return
    key = (query.data or "")[len(MENU_PREFIX) :]
    if key not in texts.MENU_LABELS:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    await open_entry(update, context, key)


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
    action = _ACTIONS.get(key)
    if key in texts.PRIVATE_ONLY and chat.type != ChatType.PRIVATE:
        username = context.bot.username
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(texts.GO_PRIVATE_BUTTON, url=deep_link(username, key))]]
        )
        await context.bot.send_message(chat.id, texts.GO_PRIVATE, reply_markup=markup)
        return
    if action is not None:
        await action(update, context)
        return
    if key == "ask":
        await context.bot.send_message(chat.id, texts.ASK_PROMPT)
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


async def stale_button(update: Update, context: BotContext) -> None:
    """A button nobody handles: old, or forged callback data."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.STALE_BUTTON, show_alert=True)


async def non_text(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice… in private (or addressed in a group): ask for words."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(texts.NON_TEXT)


NEW_MESSAGES = filters.UpdateType.MESSAGE


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("help", help_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("menu", show_menu, filters=NEW_MESSAGES))
    app.add_handler(CallbackQueryHandler(menu_button, pattern=f"^{MENU_PREFIX}"))
    labels = "|".join(label for _, label in texts.MENU_ITEMS)
    app.add_handler(
        MessageHandler(
            NEW_MESSAGES & filters.ChatType.PRIVATE & filters.Regex(f"^\\s*({labels})\\s*$"),
            menu_label_text,
        )
    )


def register_fallbacks(app: Application) -> None:  # type: ignore[type-arg]
    """Registered last, after every feature: within group 0 the first match wins."""
    app.add_handler(MessageHandler(NEW_MESSAGES & filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(
        MessageHandler(
            NEW_MESSAGES
            & ~filters.TEXT
            & ~filters.StatusUpdate.ALL
            & ~filters.Document.ALL
            & ADDRESSED,
            non_text,
        )
    )
