"""Staff management in chat: /staff list|add|remove, with an audit trail."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.constants import MessageLimit
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from handlers import callbacks
from handlers import texts as common
from handlers.access import (
    NEW_MESSAGES,
    ensure_admin,
    ensure_staff,
    in_staff_place,
    remember_staff_name,
)
from handlers.admin import texts
from handlers.callbacks import parse_id
from handlers.context import BotContext
from storage import staff_repo

PREFIX = "staff"
_ACTIONS = {"rm": 1}


def _replied_user(update: Update) -> User | None:
    """The (human) author of the message this command replies to."""
    message = update.effective_message
    reply = message.reply_to_message if message else None
    if reply is not None and reply.from_user is not None and not reply.from_user.is_bot:
        return reply.from_user
    return None


def _target_id(update: Update, args: list[str]) -> int | str | None:
    """The user id named in the arguments, or the author of the replied-to message.

    Returns None when no target was given and "bad" when the argument is not an id.
    """
    if args:
        parsed = parse_id(args[0].strip())
        return "bad" if parsed is None else parsed
    replied = _replied_user(update)
    return replied.id if replied is not None else None


async def staff_command(update: Update, context: BotContext) -> None:
    """/staff list | add <id> | remove <id> (or as a reply to the person's message)."""
    message = update.effective_message
    if message is None or not await ensure_staff(update, context):
        return
    args = list(context.args or [])
    action = args.pop(0).lower() if args else "list"
    if action == "list":
        if not in_staff_place(update, context):
            await message.reply_text(common.NOT_IN_GROUP)
            return
        await _send_list(update, context)
        return
    if action not in {"add", "remove", "rm", "del"}:
        await message.reply_text(texts.STAFF_USAGE)
        return
    if not await ensure_admin(update, context):
        return
    target = _target_id(update, args)
    if target is None:
        await message.reply_text(texts.STAFF_USAGE)
        return
    if target == "bad" or not isinstance(target, int):
        await message.reply_text(texts.STAFF_BAD_ID)
        return
    if action == "add":
        await _add(update, context, target)
    else:
        await message.reply_text(await _remove(update, context, target))


async def _add(update: Update, context: BotContext, user_id: int) -> None:
    actor = update.effective_user
    assert actor is not None
    assert update.effective_message is not None
    added = await context.services.staff.add(context.services.db, user_id, actor.id)
    # Added by replying to their message: their Telegram name is known now, so exports
    # name them even before they first use the bot (staff only: checked just above).
    replied = _replied_user(update)
    if replied is not None and replied.id == user_id and context.services.is_staff(user_id):
        await remember_staff_name(context, replied)
    if not added:
        await update.effective_message.reply_text(texts.STAFF_ALREADY.format(user_id=user_id))
        return
    await update.effective_message.reply_text(texts.STAFF_ADDED.format(user_id=user_id))


async def _remove(update: Update, context: BotContext, user_id: int) -> str:
    actor = update.effective_user
    assert actor is not None
    if context.services.is_admin(user_id):
        return texts.STAFF_IS_ADMIN.format(user_id=user_id)
    if not await context.services.staff.remove(context.services.db, user_id, actor.id):
        return texts.STAFF_NOT_FOUND.format(user_id=user_id)
    return texts.STAFF_REMOVED.format(user_id=user_id)


async def _send_list(update: Update, context: BotContext) -> None:
    """The roster, each person as 名字（id） when their name is kept. Only ever sent in a
    private chat or the staff chat (checked by the caller): names never reach a group."""
    assert update.effective_message is not None
    db = context.services.db
    admins = sorted(context.services.staff.admin_ids)
    members = await staff_repo.list_staff(db)
    names = {n.user_id: n.display_name for n in await staff_repo.staff_names(db)}

    def who(user_id: int) -> str:
        name = names.get(user_id)
        return texts.STAFF_NAMED.format(name=name, user_id=user_id) if name else str(user_id)

    def line(m: staff_repo.StaffMember) -> str:
        date = m.added_at[:10]
        if m.added_by is None:
            return texts.STAFF_LINE_NO_ADDER.format(who=who(m.user_id), date=date)
        return texts.STAFF_LINE.format(who=who(m.user_id), date=date, by=who(m.added_by))

    head = texts.STAFF_LIST_HEAD.format(admins="、".join(who(a) for a in admins) or texts.NOBODY)
    lines = [line(m) for m in members] or [texts.STAFF_LIST_EMPTY]
    markup = None
    if members and context.services.is_admin(
        update.effective_user.id if update.effective_user else None
    ):
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        texts.STAFF_REMOVE_BUTTON.format(user_id=m.user_id),
                        callback_data=callbacks.encode(PREFIX, "rm", m.user_id),
                    )
                ]
                for m in members[:20]
            ]
        )
    parts = _pack([head, *lines])
    for part in parts[:-1]:
        await update.effective_message.reply_text(part)
    await update.effective_message.reply_text(parts[-1], reply_markup=markup)


def _pack(lines: list[str]) -> list[str]:
    """Lines joined into as few messages as fit Telegram's limit (a line is far shorter):
    a long roster, names up to 129 characters each, is split."""
    parts: list[str] = []
    for line in lines:
        if parts and len(parts[-1]) + 1 + len(line) <= MessageLimit.MAX_TEXT_LENGTH:
            parts[-1] += "\n" + line
        else:
            parts.append(line[: MessageLimit.MAX_TEXT_LENGTH])
    return parts


async def remove_button(update: Update, context: BotContext) -> None:
    """The 移除 button under /staff list; rights are checked again on the press."""
    query = update.callback_query
    if query is None or not await ensure_admin(update, context):
        return
    pressed = callbacks.parse(query.data, PREFIX, _ACTIONS)
    if pressed is None:
        await query.answer(common.STALE_BUTTON, show_alert=True)
        return
    result = await _remove(update, context, pressed.id)
    await query.answer(result)
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, result)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("staff", staff_command, filters=NEW_MESSAGES),
        CallbackQueryHandler(remove_button, pattern=callbacks.pattern(PREFIX)),
    ]
