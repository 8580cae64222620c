"""The resident after submitting: /my (我的工单), rating and reopening from the buttons on
a notification (a persistent conversation for the star rating, comment and reason)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers import callbacks
from handlers.access import NEW_MESSAGES, go_private, is_private
from handlers.context import BotContext
from handlers.tickets import common, staff_cards
from handlers.tickets import texts as t
from knowledge.tickets.lifecycle import (
    MAX_COMMENT,
    Action,
    IllegalTransition,
    Rating,
    RatingOutcome,
    Status,
)
from knowledge.tickets.service import TicketRefused

PREFIX = staff_cards.RESIDENT_PREFIX
ACTIONS = {"rate": 2, "star": 2, "skip": 1, "reopen": 1}
OUTCOMES = list(RatingOutcome)
PENDING = "ticket_feedback"  # user_data: {"ticket": id, "kind": "rate"|"reopen", ...}
STARS, COMMENT, REASON = range(3)


async def my_tickets(update: Update, context: BotContext) -> int:
    """/my and 我的工单: own tickets, then followed ones, with status."""
    user = update.effective_user
    if user is None:
        return ConversationHandler.END
    if not is_private(update):
        await go_private(update, context, "tickets", t.GO_PRIVATE_MY)
        return ConversationHandler.END
    if update.callback_query is not None:
        await update.callback_query.answer()
    mine = await common.service(context).my_tickets(user.id)
    if not mine:
        await common.reply(update, context, t.MY_EMPTY)
        return ConversationHandler.END
    tz = context.services.settings.timezone
    labels = common.catalog(context)

    def line(ticket: Any) -> str:
        return t.MY_LINE.format(
            number=ticket.number,
            status=Status(ticket.status).label,
            category=labels.label(ticket.category),
            date=ticket.created_at.astimezone(tz).strftime("%m-%d"),
            description=ticket.description[:40],
        )

    own = [line(m.ticket) for m in mine if not m.following]
    followed = [line(m.ticket) for m in mine if m.following]
    parts = [t.MY_HEAD, *own] if own else []
    if followed:
        parts += [t.MY_FOLLOWED_HEAD, *followed]
    parts.append(t.MY_HINT.format(number=mine[0].ticket.number))
    await common.reply(update, context, "\n".join(parts))
    return ConversationHandler.END


async def press(update: Update, context: BotContext) -> int | None:
    query = update.callback_query
    assert query is not None
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    if pressed is None:
        await query.answer(t.STALE_STEP, show_alert=True)
        return None
    svc = common.service(context)
    ticket = await svc.get(pressed.id)
    if ticket is None or ticket.reporter_id != query.from_user.id:
        await query.answer(t.NOT_YOUR_TICKET, show_alert=True)
        return None
    rating = pressed.action != "reopen"
    if not svc.can_still_answer(ticket) or (rating and ticket.status != Status.RESOLVED.value):
        # An old notification's button: refuse at once, before asking for a reason.
        await query.answer(_too_late(svc, ticket, rating), show_alert=True)
        common.user_data(context).pop(PENDING, None)
        return ConversationHandler.END
    data = common.user_data(context)
    if pressed.action == "reopen":
        await query.answer()
        data[PENDING] = {"ticket": ticket.id, "kind": "reopen"}
        await common.reply(update, context, t.ASK_REOPEN_REASON.format(number=ticket.number))
        return REASON
    if pressed.action == "rate":
        if not 0 <= pressed.ids[1] < len(OUTCOMES):
            await query.answer(t.STALE_STEP, show_alert=True)
            return None
        await query.answer()
        data[PENDING] = {
            "ticket": ticket.id,
            "kind": "rate",
            "outcome": OUTCOMES[pressed.ids[1]].value,
        }
        stars = [
            InlineKeyboardButton(
                "⭐" * n, callback_data=callbacks.encode(PREFIX, "star", ticket.id, n)
            )
            for n in range(1, 6)
        ]
        await common.reply(
            update, context, t.ASK_STARS, reply_markup=InlineKeyboardMarkup(common.rows(stars, 1))
        )
        return STARS
    pending = data.get(PENDING)
    if pending is None or pending.get("ticket") != ticket.id:
        await query.answer(t.STALE_STEP, show_alert=True)
        return None
    await query.answer()
    if pressed.action == "star":
        if not 1 <= pressed.ids[1] <= 5:
            return None
        pending["stars"] = pressed.ids[1]
        skip = callbacks.encode(PREFIX, "skip", ticket.id)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(t.BTN_SKIP, callback_data=skip)]])
        await common.reply(update, context, t.ASK_COMMENT, reply_markup=markup)
        return COMMENT
    return await _rate(update, context, pending, "")


def _too_late(svc: Any, ticket: Any, rating: bool) -> str:
    status = Status(ticket.status)
    if rating and status is Status.REJECTED:
        return t.CANNOT_RATE.format(number=ticket.number, status=status.label)
    if status in (Status.RESOLVED, Status.REJECTED):
        return t.TOO_LATE_WINDOW.format(number=ticket.number, days=svc.reopen_window.days)
    return t.TOO_LATE_STATUS.format(number=ticket.number, status=status.label)


async def comment(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    pending = common.user_data(context).get(PENDING)
    if pending is None:
        return ConversationHandler.END
    text = message.text.strip()
    if len(text) > MAX_COMMENT:
        await message.reply_text(t.COMMENT_TOO_LONG.format(max=MAX_COMMENT))
        return COMMENT
    return await _rate(update, context, pending, text)


async def _rate(update: Update, context: BotContext, pending: dict[str, Any], text: str) -> int:
    outcome = RatingOutcome(pending["outcome"])
    rating = Rating(outcome, int(pending.get("stars", 0)) or 1, text)
    change = await _apply(update, context, int(pending["ticket"]), Action.RATE, rating=rating)
    common.user_data(context).pop(PENDING, None)
    if change is not None:
        done = t.RATED_REOPENED.format(number=change.ticket.number) if outcome.reopens else t.RATED
        await common.reply(update, context, done)
    return ConversationHandler.END


async def reason(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    pending = common.user_data(context).pop(PENDING, None)
    if pending is None:
        return ConversationHandler.END
    change = await _apply(
        update, context, int(pending["ticket"]), Action.REOPEN, note=message.text.strip()
    )
    if change is not None:
        await common.reply(update, context, t.REOPENED.format(number=change.ticket.number))
    return ConversationHandler.END


async def _apply(
    update: Update, context: BotContext, ticket_id: int, action: Action, **kwargs: Any
) -> Any:
    user = update.effective_user
    assert user is not None
    try:
        change = await common.service(context).apply(
            ticket_id, action, actor_id=user.id, is_staff=False, **kwargs
        )
    except (TicketRefused, IllegalTransition) as exc:
        await common.reply(update, context, t.REFUSED.format(reason=exc))
        return None
    await staff_cards.announce(context, change)
    return change


async def need_text(update: Update, context: BotContext) -> None:
    await common.reply(update, context, t.NEED_TEXT)


async def cancel(update: Update, context: BotContext) -> int:
    common.user_data(context).pop(PENDING, None)
    await common.reply(update, context, t.NOTE_CANCELLED)
    return ConversationHandler.END


def conversation() -> ConversationHandler[Any]:
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    other = MessageHandler(private & ~filters.TEXT & ~filters.COMMAND, need_text)
    pressed = CallbackQueryHandler(press, pattern=callbacks.pattern(PREFIX))
    return common.conversation(
        entry_points=[pressed],
        states={
            STARS: [pressed],
            COMMENT: [pressed, MessageHandler(text, comment), other],
            REASON: [pressed, MessageHandler(text, reason), other],
        },
        fallbacks=[CommandHandler("cancel", cancel, filters=private)],
        name="tickets_feedback",
        per_chat=False,
    )


def handlers() -> common.Handlers:
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    return [
        CallbackQueryHandler(my_tickets, pattern=r"^menu:tickets$"),
        CommandHandler("my", my_tickets, filters=NEW_MESSAGES),
        CommandHandler("start", my_tickets, filters=private & filters.Regex(r"^/start tickets$")),
        MessageHandler(private & filters.Regex(r"^\s*我的工单\s*$"), my_tickets),
    ]
