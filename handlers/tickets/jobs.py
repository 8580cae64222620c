"""Scheduled work: the morning 督办 list (and a reminder to each assignee), and the daily
auto-close of resolved tickets nobody rated within the window.

The job callbacks read the clock once and pass it down, so a test calls `send_digest` /
`close_unrated` with a fixed `now` instead of waiting for the time.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, time

from telegram.error import TelegramError

from handlers.context import BotApp, BotContext
from handlers.tickets import common, staff_cards
from handlers.tickets import texts as t
from knowledge.tickets.lifecycle import Status
from storage.clock import utc_now

logger = logging.getLogger(__name__)

DIGEST_AT = time(8, 30)  # local time of the morning 督办 list
AUTO_CLOSE_AT = time(3, 0)


async def send_digest(context: BotContext, now: datetime) -> None:
    """The overdue list to the staff (chat or each member), and each assignee's reminder."""
    overdue = await common.service(context).overdue(now)
    tz = context.services.settings.timezone
    date = now.astimezone(tz).strftime("%m-%d")
    catalog = common.catalog(context)
    by_assignee: dict[int, list[str]] = defaultdict(list)
    lines = []
    for item in overdue:
        ticket = item.ticket
        line = t.DIGEST_LINE.format(
            number=ticket.number,
            status=Status(ticket.status).label,
            category=catalog.label(ticket.category),
            location=common.location_label(ticket),
            assignee=ticket.assignee_id or t.NOBODY,
            late=t.LATE_RESPONSE if item.kind == "first_response" else t.LATE_RESOLVE,
        )
        lines.append(line)
        if ticket.assignee_id is not None:
            by_assignee[ticket.assignee_id].append(line)
    head = (
        t.DIGEST_HEAD.format(date=date, count=len(lines))
        if lines
        else t.DIGEST_NONE.format(date=date)
    )
    text = "\n".join([head, *lines[:50]])
    for chat_id in await staff_cards.staff_targets(context):
        await _send(context, chat_id, text)
    for user_id, mine in by_assignee.items():
        await _send(context, user_id, t.REMINDER.format(count=len(mine), lines="\n".join(mine)))


async def close_unrated(context: BotContext, now: datetime) -> None:
    for change in await common.service(context).auto_close_due(now):
        await staff_cards.announce(context, change)


async def _send(context: BotContext, chat_id: int, text: str) -> None:
    try:
        await context.bot.send_message(chat_id, text[:4000])
    except TelegramError as exc:
        logger.info("督办 not delivered to %s: %s", chat_id, exc)


async def _digest_job(context: BotContext) -> None:
    await send_digest(context, utc_now())


async def _close_job(context: BotContext) -> None:
    await close_unrated(context, utc_now())


def schedule(app: BotApp) -> None:
    queue = app.job_queue
    if queue is None:
        return
    services = app.services if hasattr(app, "services") else None
    tz = services.settings.timezone if services is not None else None
    queue.run_daily(_digest_job, DIGEST_AT.replace(tzinfo=tz), name="tickets_digest")
    queue.run_daily(_close_job, AUTO_CLOSE_AT.replace(tzinfo=tz), name="tickets_auto_close")
