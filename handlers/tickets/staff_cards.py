"""The staff card of a ticket: posted to the staff chat (else to each staff member),
edited in place as the ticket moves; and telling the reporter and followers of a change.

Where each card was posted is kept in SQL (`ticket_cards`, through the service), so a card
is still edited in place after a restart.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError

from handlers import callbacks
from handlers.context import BotContext
from handlers.tickets import common
from handlers.tickets import texts as t
from knowledge.tickets.lifecycle import (
    ACTION_LABELS,
    FINAL_STATUSES,
    OPEN_STATUSES,
    REOPEN_WINDOW,
    Action,
    RejectReason,
    Status,
)
from knowledge.tickets.service import Change
from storage import staff_repo
from storage.clock import utc_now
from storage.tickets_repo import Ticket

logger = logging.getLogger(__name__)

PREFIX = "tks"
RESIDENT_PREFIX = "tku"


def card_text(context: BotContext, ticket: Ticket, now: datetime | None = None) -> str:
    moment = now or utc_now()
    status = Status(ticket.status)
    overdue = status in OPEN_STATUSES and (
        (ticket.first_response_at is None and moment > ticket.first_response_due)
        or moment > ticket.resolve_due
    )
    tz = context.services.settings.timezone
    return t.CARD.format(
        number=ticket.number,
        status=status.label,
        overdue=t.CARD_OVERDUE if overdue else "",
        category=common.catalog(context).label(ticket.category),
        location=common.location_label(ticket),
        description=ticket.description[:500],
        photos=len(ticket.photos),
        followers=ticket.follower_count,
        created=ticket.created_at.astimezone(tz).strftime("%m-%d %H:%M"),
        reporter=_reporter(ticket),
        anonymous=t.CARD_ANONYMOUS if ticket.anonymous else "",
        assignee=ticket.assignee_id if ticket.assignee_id is not None else t.NOBODY,
    )


def _reporter(ticket: Ticket) -> str:
    who = ticket.reporter_name or t.FILE_FOR_PHONE
    if ticket.reporter_id is not None:
        who += f"（ID {ticket.reporter_id}）"
    if ticket.phone:
        who += f" 电话 {ticket.phone}"
    return who


def card_markup(ticket: Ticket) -> InlineKeyboardMarkup | None:
    if Status(ticket.status) in FINAL_STATUSES:
        return None

    def b(label: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=callbacks.encode(PREFIX, action, ticket.id)
        )

    return InlineKeyboardMarkup(
        [
            [b(t.BTN_ACCEPT, "acc"), b(t.BTN_ASSIGN_ME, "me"), b(t.BTN_ASSIGN, "asg")],
            [b(t.BTN_RESOLVE, "res"), b(t.BTN_REJECT, "rej"), b(t.BTN_REPLY, "rep")],
        ]
    )


async def staff_targets(context: BotContext) -> list[int]:
    chat = context.services.settings.staff_chat_id
    if chat is not None:
        return [chat]
    added = [m.user_id for m in await staff_repo.list_staff(context.services.db)]
    return sorted(set(context.services.staff.admin_ids) | set(added))


async def post(context: BotContext, ticket: Ticket) -> None:
    """A new ticket's card, to the staff chat or each staff member; positions remembered."""
    places: list[tuple[int, int]] = []
    text, markup = card_text(context, ticket), card_markup(ticket)
    for chat_id in await staff_targets(context):
        try:
            sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramError as exc:
            logger.info("Ticket card %s not delivered to %s: %s", ticket.number, chat_id, exc)
            continue
        places.append((chat_id, sent.message_id))
    await common.service(context).remember_cards(ticket.id, places)


async def refresh(context: BotContext, ticket: Ticket) -> None:
    """Edit every card of the ticket in place; a final ticket's cards lose their buttons and
    are forgotten."""
    svc = common.service(context)
    text, markup = card_text(context, ticket), card_markup(ticket)
    for chat_id, message_id in await svc.cards(ticket.id):
        try:
            await context.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except BadRequest as exc:  # "message is not modified", or deleted
            logger.debug("Card %s not edited: %s", ticket.number, exc)
        except TelegramError as exc:
            logger.info("Card %s not edited: %s", ticket.number, exc)
    if Status(ticket.status) in FINAL_STATUSES:
        await svc.forget_cards(ticket.id)


def resident_markup(ticket: Ticket) -> InlineKeyboardMarkup | None:
    """Under a notification of 已办结: the rating; under 已驳回: 重新打开."""
    status = Status(ticket.status)

    def b(label: str, action: str, *ids: int) -> InlineKeyboardButton:
        data = callbacks.encode(RESIDENT_PREFIX, action, ticket.id, *ids)
        return InlineKeyboardButton(label, callback_data=data)

    if status is Status.RESOLVED:
        outcomes = [b(label, "rate", i) for i, label in enumerate(t.BTN_RATE.values())]
        return InlineKeyboardMarkup([outcomes, [b(t.BTN_REOPEN, "reopen")]])
    if status is Status.REJECTED:
        return InlineKeyboardMarkup([[b(t.BTN_REOPEN, "reopen")]])
    return None


async def announce(context: BotContext, change: Change) -> None:
    """Tell the reporter and followers (in private, with the note); refresh the cards."""
    ticket, event = change.ticket, change.event
    await refresh(context, ticket)  # staff see the current state before anyone is told
    status = Status(ticket.status)
    note = t.NOTIFY_NOTE.format(note=event.note) if event.note else ""
    if event.action == Action.REJECT.value and event.reason:
        note = t.NOTIFY_REASON.format(reason=RejectReason(event.reason).label) + note
    days = getattr(common.service(context), "reopen_window", REOPEN_WINDOW).days
    for user_id in change.notify:
        reporter = user_id == ticket.reporter_id
        template = t.NOTIFY if reporter else t.NOTIFY_FOLLOWER
        text = template.format(
            number=ticket.number,
            status=status.label,
            action=_action_label(event.action),
            note=note,
        )
        markup = resident_markup(ticket) if reporter else None
        if markup is not None:
            hint = t.NOTIFY_RATE_HINT if status is Status.RESOLVED else t.NOTIFY_REOPEN_HINT
            text += hint.format(days=days)
        try:
            await context.bot.send_message(user_id, text, reply_markup=markup)
        except TelegramError as exc:
            logger.info("Could not tell %s about %s: %s", user_id, ticket.number, exc)


def _action_label(action: str) -> str:
    try:
        return ACTION_LABELS[Action(action)]
    except ValueError:
        return action
