"""A resident's own data: /me shows what is stored, owners invite, /leave deletes it all."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters
from telegram.helpers import create_deep_linked_url

from handlers import callbacks
from handlers.access import NEW_MESSAGES, go_private, is_private
from handlers.context import BotContext
from handlers.households import texts as t
from knowledge.households import linking
from knowledge.households.addressing import format_address
from storage.clock import to_local

PREFIX = "hhm"
ACTIONS = {"inv": 1, "leave": 0, "yes": 0, "stay": 0}


async def me_command(update: Update, context: BotContext) -> None:
    """/me: links, consent and attempts; invite buttons for owners; the way to /leave."""
    if not is_private(update):
        await go_private(update, context, "me", t.GO_PRIVATE)
        return
    await open_me(update, context)


async def open_me(update: Update, context: BotContext) -> None:
    """Also the 我的房屋 menu entry."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    data = await linking.resident_data(context.services.db, user.id)
    if data.consented_at is None and not data.links and data.staff_name is None:
        await context.bot.send_message(chat.id, t.ME_EMPTY)
        return
    tz = context.services.settings.timezone
    lines = [t.ME_HEAD, t.ME_ID.format(user_id=user.id)]
    if data.consented_at:
        when = to_local(data.consented_at, tz).strftime("%Y-%m-%d %H:%M")
        lines.append(t.ME_CONSENT.format(date=when))
    if data.staff_name is not None:
        lines.append(t.ME_STAFF_NAME.format(name=data.staff_name))
    buttons = []
    for link, household in data.links:
        address = format_address(household.building, household.unit, household.room)
        lines.append(
            t.ME_LINK.format(
                community=household.community,
                address=address,
                role=t.ROLE_LABELS.get(link.role, link.role),
                status=t.STATUS_LABELS.get(link.status, link.status),
            )
        )
        if link.status == "active" and link.role == linking.Role.OWNER:
            buttons.append(
                [
                    InlineKeyboardButton(
                        t.BTN_INVITE.format(address=address),
                        callback_data=callbacks.encode(PREFIX, "inv", household.id),
                    )
                ]
            )
    lines.append(t.ME_ATTEMPTS.format(count=data.attempts))
    lines.append(t.ME_FOOT)
    buttons.append(
        [InlineKeyboardButton(t.BTN_LEAVE, callback_data=callbacks.encode(PREFIX, "leave"))]
    )
    await context.bot.send_message(
        chat.id, "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons)
    )


async def leave_command(update: Update, context: BotContext) -> None:
    """/leave: asks to confirm before anything is deleted."""
    chat = update.effective_chat
    if chat is None:
        return
    if not is_private(update):
        await go_private(update, context, "leave", t.GO_PRIVATE)
        return
    text = t.LEAVE_CONFIRM
    user = update.effective_user
    if user is not None and context.services.is_staff(user.id):
        text += t.LEAVE_CONFIRM_STAFF
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.BTN_LEAVE_YES, callback_data=callbacks.encode(PREFIX, "yes")
                ),
                InlineKeyboardButton(
                    t.BTN_LEAVE_NO, callback_data=callbacks.encode(PREFIX, "stay")
                ),
            ]
        ]
    )
    await context.bot.send_message(chat.id, text, reply_markup=markup)


async def start_payload(update: Update, context: BotContext) -> None:
    """/start me and /start leave: the private-chat links sent in groups."""
    payload = context.args[0] if context.args else ""
    if payload == "leave":
        await leave_command(update, context)
    else:
        await open_me(update, context)


async def me_button(update: Update, context: BotContext) -> None:
    """Invite, leave, and its confirmation; each press is checked against who pressed."""
    query = update.callback_query
    if query is None:
        return
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    # Only in the resident's own private chat: the message must be in the presser's chat.
    if pressed is None or query.message is None or query.message.chat.id != query.from_user.id:
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    user_id = query.from_user.id
    chat_id = query.message.chat.id
    db = context.services.db
    if pressed.action == "inv":
        code = await linking.create_invite(db, user_id, pressed.id)
        if code is None:
            await query.answer(t.INVITE_NOT_OWNER, show_alert=True)
            return
        await query.answer()
        link = create_deep_linked_url(context.bot.username, linking.deep_link_payload(code))
        await context.bot.send_message(
            chat_id, t.INVITE.format(days=linking.INVITE_DAYS, link=link, code=code)
        )
        return
    await query.answer()
    if pressed.action == "leave":
        await leave_command(update, context)
    elif pressed.action == "stay":
        await query.edit_message_text(t.LEAVE_KEPT)
    else:
        await linking.forget_resident(db, user_id)
        # The bot's in-memory copies go too, or the next update would write them back.
        context.application.drop_user_data(user_id)
        context.application.drop_chat_data(chat_id)
        context.services.staff_names.pop(user_id, None)
        await query.edit_message_text(t.LEFT)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    return [
        CommandHandler("me", me_command, filters=NEW_MESSAGES),
        CommandHandler("leave", leave_command, filters=NEW_MESSAGES),
        CommandHandler(
            "start", start_payload, filters=private & filters.Regex(r"^/start\s+(me|leave)\s*$")
        ),
        CallbackQueryHandler(me_button, pattern=callbacks.pattern(PREFIX)),
    ]
