"""Staff buttons on a ticket card: 受理, 指派给我, 指派给…, 办结, 驳回 (reason + text),
回复居民. Rights are checked on every press; notes are collected in the staff member's
private chat (the card may be in the staff group), keyed by user alone.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers import callbacks
from handlers.access import NEW_MESSAGES, ensure_staff
from handlers.context import BotContext
from handlers.tickets import common, staff_cards
from handlers.tickets import texts as t
from knowledge.tickets.lifecycle import (
    MAX_NOTE,
    Action,
    IllegalTransition,
    RejectReason,
    Status,
    allowed_from,
)
from knowledge.tickets.service import TicketRefused
from storage import staff_repo

PREFIX = staff_cards.PREFIX
ACTIONS = {"acc": 1, "me": 1, "asg": 1, "to": 2, "res": 1, "rej": 1, "why": 2, "rep": 1}
# The lifecycle action behind each button, to refuse an illegal one before asking anything.
BUTTON_ACTIONS = {
    "acc": Action.ACCEPT,
    "me": Action.ASSIGN,
    "asg": Action.ASSIGN,
    "to": Action.ASSIGN,
    "res": Action.RESOLVE,
    "rej": Action.REJECT,
    "why": Action.REJECT,
    "rep": Action.REPLY,
}
PENDING = "ticket_note"  # user_data: {"ticket": id, "action": "resolve"|..., "reason": key}
WRITING = 0
REASONS = list(RejectReason)


async def press(update: Update, context: BotContext) -> int | None:
    """Any staff button; 办结 / 驳回 (after its reason) / 回复居民 lead into WRITING."""
    query = update.callback_query
    if query is None or not await ensure_staff(update, context):
        return None
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    if pressed is None:
        await query.answer(t.STALE_STEP, show_alert=True)
        return None
    svc = common.service(context)
    ticket = await svc.get(pressed.id)
    if ticket is None:
        await query.answer(t.TICKET_NOT_FOUND.format(number=pressed.id), show_alert=True)
        return None
    staff_id = query.from_user.id
    status = Status(ticket.status)
    wanted = BUTTON_ACTIONS[pressed.action]
    if status not in allowed_from(wanted):
        text = t.ILLEGAL.format(number=ticket.number, status=status.label, action=wanted.label)
        await query.answer(text, show_alert=True)
        await staff_cards.refresh(context, ticket)  # an old card: show the current state
        return None
    if pressed.action in ("acc", "me", "to"):
        assignee = staff_id if pressed.action == "me" else None
        if pressed.action == "to":
            assignee = pressed.ids[1]
            if not context.services.is_staff(assignee):
                await query.answer(t.STALE_STEP, show_alert=True)
                return None
        action = Action.ACCEPT if pressed.action == "acc" else Action.ASSIGN
        await apply(update, context, pressed.id, action, assignee=assignee)
        return None
    if pressed.action == "asg":
        await query.answer()
        ids = sorted(
            set(context.services.staff.admin_ids)
            | {m.user_id for m in await staff_repo.list_staff(context.services.db)}
        )
        buttons = [
            InlineKeyboardButton(
                str(i), callback_data=callbacks.encode(PREFIX, "to", ticket.id, i)
            )
            for i in ids[:30]
        ]
        await common.reply(
            update,
            context,
            t.PICK_ASSIGNEE.format(number=ticket.number),
            reply_markup=InlineKeyboardMarkup(common.rows(buttons, 3)),
        )
        return None
    if pressed.action == "rej":
        await query.answer()
        buttons = [
            InlineKeyboardButton(
                r.label, callback_data=callbacks.encode(PREFIX, "why", ticket.id, i)
            )
            for i, r in enumerate(REASONS)
        ]
        await common.reply(
            update,
            context,
            t.PICK_REJECT_REASON.format(number=ticket.number),
            reply_markup=InlineKeyboardMarkup(common.rows(buttons, 2)),
        )
        return None
    note: dict[str, Any] = {"ticket": ticket.id, "number": ticket.number}
    if pressed.action == "why":
        if not 0 <= pressed.ids[1] < len(REASONS):
            await query.answer(t.STALE_STEP, show_alert=True)
            return None
        note |= {"action": "reject", "reason": REASONS[pressed.ids[1]].value}
    else:
        note["action"] = "resolve" if pressed.action == "res" else "reply"
    reason = RejectReason(note["reason"]).label if "reason" in note else ""
    prompt = t.ASK_NOTE[note["action"]].format(number=ticket.number, reason=reason)
    try:
        await context.bot.send_message(staff_id, prompt + t.ASK_NOTE_SUFFIX)
    except Forbidden:
        await query.answer(t.NEED_PRIVATE, show_alert=True)
        return None
    chat = update.effective_chat
    await query.answer(t.NOTE_SENT_TO_PRIVATE if chat and chat.id != staff_id else None)
    common.user_data(context)[PENDING] = note
    return WRITING


async def apply(
    update: Update, context: BotContext, ticket_id: int, action: Action, **kwargs: Any
) -> bool:
    """Run one staff action; refusals are shown to whoever pressed or wrote."""
    user = update.effective_user
    assert user is not None
    query = update.callback_query
    try:
        change = await common.service(context).apply(
            ticket_id,
            action,
            actor_id=user.id,
            is_staff=context.services.is_staff(user.id),
            **kwargs,
        )
    except (TicketRefused, IllegalTransition) as exc:
        text = t.REFUSED.format(reason=exc)
        if query is not None:
            await query.answer(text, show_alert=True)
        else:
            await common.reply(update, context, text)
        return False
    done = t.DONE.format(action=action.label, number=change.ticket.number)
    if query is not None:
        await query.answer(done)
    else:
        await common.reply(update, context, done)
    await staff_cards.announce(context, change)
    return True


async def note_text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    pending = common.user_data(context).get(PENDING)
    user = update.effective_user
    if pending is None or user is None or not context.services.is_staff(user.id):
        common.user_data(context).pop(PENDING, None)
        return ConversationHandler.END
    text = message.text.strip()
    if len(text) > MAX_NOTE:
        await message.reply_text(t.NOTE_TOO_LONG.format(max=MAX_NOTE))
        return WRITING
    action = {"resolve": Action.RESOLVE, "reject": Action.REJECT, "reply": Action.REPLY}[
        pending["action"]
    ]
    reason = RejectReason(pending["reason"]) if pending.get("reason") else None
    if await apply(update, context, int(pending["ticket"]), action, note=text, reason=reason):
        common.user_data(context).pop(PENDING, None)
        return ConversationHandler.END
    common.user_data(context).pop(PENDING, None)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    common.user_data(context).pop(PENDING, None)
    await common.reply(update, context, t.NOTE_CANCELLED)
    return ConversationHandler.END


async def need_text(update: Update, context: BotContext) -> int:
    await common.reply(update, context, t.NEED_TEXT)
    return WRITING


def conversation() -> ConversationHandler[Any]:
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    return common.conversation(
        entry_points=[CallbackQueryHandler(press, pattern=callbacks.pattern(PREFIX))],
        states={
            WRITING: [
                MessageHandler(private & filters.TEXT & ~filters.COMMAND, note_text),
                MessageHandler(private & ~filters.TEXT & ~filters.COMMAND, need_text),
            ]
        },
        fallbacks=[CommandHandler("cancel", cancel, filters=private)],
        name="tickets_staff_note",
        per_chat=False,
    )
