"""Who may do what, and whether a group message is meant for the bot."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from telegram import (
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.ext import filters
from telegram.helpers import create_deep_linked_url

from handlers import texts
from handlers.context import BotContext
from knowledge.throttle import Verdict
from knowledge.upload_limits import MAX_UPLOAD_BYTES
from storage import staff_repo

# Handlers answer new messages only: an edit of an old message is not a new question.
NEW_MESSAGES = filters.UpdateType.MESSAGE
# Telegram allows 64 characters for each of the first and last name.
MAX_STAFF_NAME = 129


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == "private"


def in_staff_place(update: Update, context: BotContext) -> bool:
    """A private chat or the bound staff chat: where residents' questions may be shown."""
    chat = update.effective_chat
    if chat is None:
        return False
    return chat.type == "private" or chat.id == context.services.settings.staff_chat_id


def mentions_bot(message: Message, username: str) -> bool:
    target = f"@{username}".lower()
    if any(v.lower() == target for v in message.parse_entities([MessageEntity.MENTION]).values()):
        return True
    return any(
        entity.type == MessageEntity.TEXT_MENTION
        and entity.user is not None
        and (entity.user.username or "").lower() == username.lower()
        for entity in message.entities
    )


class _Addressed(filters.MessageFilter):
    """Private chats always; in groups only an @mention of the bot or a reply to it."""

    __slots__ = ()

    def filter(self, message: Message) -> bool:
        if message.chat.type == "private":
            return True
        bot = message.get_bot()
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
            return True
        return bot.username is not None and mentions_bot(message, bot.username)


ADDRESSED = _Addressed(name="ADDRESSED")


def strip_mention(text: str, username: str | None) -> str:
    """The question without the leading/trailing @botname."""
    if not username:
        return text.strip()
    return re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE).strip()


async def ensure_staff(update: Update, context: BotContext) -> bool:
    """True for staff; otherwise tell the user plainly (and answer a pressed button)."""
    user = update.effective_user
    if user is not None and context.services.is_staff(user.id):
        await remember_staff_name(context, user)
        return True
    await refuse(update, texts.NOT_STAFF)
    return False


async def ensure_admin(update: Update, context: BotContext) -> bool:
    user = update.effective_user
    if user is not None and context.services.is_admin(user.id):
        await remember_staff_name(context, user)
        return True
    await refuse(update, texts.NOT_ADMIN)
    return False


def staff_display_name(user: User) -> str:
    """The Telegram first + last name, whitespace collapsed (a name is one line in a cell)."""
    return " ".join(user.full_name.split())[:MAX_STAFF_NAME]


async def remember_staff_name(context: BotContext, user: User) -> None:
    """Keep a staff member's Telegram name for the exports, which name the staff who
    handled a case beside their id. Called where a staff right was just granted, so only
    staff names are kept; written only when it differs from the one this process last
    stored (the cache), and the repository skips an unchanged name after a restart."""
    name = staff_display_name(user)
    cache = context.services.staff_names
    if not name or cache.get(user.id) == name:
        return
    await staff_repo.set_staff_name(context.services.db, user.id, name)
    cache[user.id] = name


async def refuse(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def within_rate_limit(update: Update, context: BotContext) -> bool:
    """The per-user limit: over it, one polite answer, then silence until it clears."""
    user = update.effective_user
    if user is None or context.services.is_staff(user.id):
        return True
    verdict = context.services.throttle.check(user.id)
    if verdict is Verdict.ALLOW:
        return True
    if verdict is Verdict.REFUSE_NOTIFY and update.effective_message is not None:
        await update.effective_message.reply_text(texts.RATE_LIMITED)
    return False


@dataclass(frozen=True)
class StaffUpload:
    message: Message
    document: Document
    name: str  # the file name without any path a client may have put in it


async def staff_upload(
    update: Update, context: BotContext, *, default_name: str, not_staff: str, too_big: str
) -> StaffUpload | None:
    """A document sent to the bot by staff, within what the Bot API lets a bot download;
    anyone else, or a file too big, gets the given answer and None (nothing is stored)."""
    message = update.effective_message
    if message is None or message.document is None:
        return None
    user = message.from_user
    if user is None or not context.services.is_staff(user.id):
        await message.reply_text(not_staff)
        return None
    await remember_staff_name(context, user)
    document = message.document
    if document.file_size and document.file_size > MAX_UPLOAD_BYTES:
        await message.reply_text(too_big)
        return None
    return StaffUpload(message, document, PurePath(document.file_name or default_name).name)


async def go_private(
    update: Update, context: BotContext, payload: str, text: str = texts.GO_PRIVATE
) -> None:
    """Personal details are never collected in a group: answer with a button that opens the
    private chat at `/start <payload>`."""
    chat = update.effective_chat
    if chat is None:
        return
    url = create_deep_linked_url(context.bot.username, payload)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(texts.GO_PRIVATE_BUTTON, url=url)]])
    if update.callback_query is not None:
        await update.callback_query.answer()
    await context.bot.send_message(chat.id, text, reply_markup=markup)
