"""Staff commands: /tickets (filters), /ticket <no> (history with photos; residents who
reported or follow may see theirs), /block, /unblock, /stats (text + chart)."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from handlers.access import NEW_MESSAGES, ensure_staff, in_staff_place
from handlers.callbacks import parse_id
from handlers.context import BotContext
from handlers.tickets import chart, common, staff_cards
from handlers.tickets import texts as t
from knowledge.tickets.lifecycle import OPEN_STATUSES, Status
from knowledge.tickets.service import TicketFilter
from storage.clock import utc_now

OVERDUE_WORDS = {"超时", "逾期", "overdue"}
MINE_WORDS = {"我的", "mine"}


def parse_filter(context: BotContext, args: list[str], staff_id: int) -> tuple[TicketFilter, str]:
    status = category = building = assignee = None
    overdue = None
    shown: list[str] = []
    for arg in args:
        found = next((s for s in Status if arg in (s.value, s.label)), None)
        if found is not None:
            status = found
        elif arg in OVERDUE_WORDS:
            overdue = utc_now()
        elif arg in MINE_WORDS:
            assignee = staff_id
        elif (c := common.catalog(context).by_label(arg)) is not None:
            category = c.key
        else:
            building = arg.removesuffix("号楼").removesuffix("栋").removesuffix("幢")
        shown.append(arg)
    statuses = None if status or assignee else frozenset(OPEN_STATUSES)
    selection = TicketFilter(
        status=status,
        statuses=statuses,
        category=category,
        building=building,
        assignee=assignee,
        overdue_at=overdue,
    )
    return selection, " ".join(shown) or t.LIST_ALL


async def list_command(update: Update, context: BotContext) -> None:
    """/tickets [状态] [类别] [楼栋] [超时] [我的]."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not await ensure_staff(update, context):
        return
    if not in_staff_place(update, context):
        await message.reply_text(t.TICKET_PRIVATE_ONLY)
        return
    selection, shown = parse_filter(context, list(context.args or []), user.id)
    found = await common.service(context).list_tickets(selection)
    if not found:
        await message.reply_text(t.LIST_EMPTY)
        return
    now = utc_now()
    lines = [t.LIST_HEAD.format(filters=shown, count=len(found), shown=min(len(found), 20))]
    for ticket in found[:20]:
        late = Status(ticket.status) in OPEN_STATUSES and now > ticket.resolve_due
        lines.append(
            t.LIST_LINE.format(
                number=ticket.number,
                status=Status(ticket.status).label,
                overdue=t.CARD_OVERDUE if late else "",
                category=common.catalog(context).label(ticket.category),
                location=common.location_label(ticket),
                description=ticket.description[:30],
            )
        )
    await message.reply_text("\n".join(lines))


async def ticket_command(update: Update, context: BotContext) -> None:
    """/ticket <no>: the card (staff) or status, the history, then the photos."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if not in_staff_place(update, context):
        await message.reply_text(t.TICKET_PRIVATE_ONLY)
        return
    if not context.args:
        await message.reply_text(t.TICKET_USAGE)
        return
    svc = common.service(context)
    number = " ".join(context.args)
    ticket = await svc.by_number(number)
    staff = context.services.is_staff(user.id)
    if ticket is None:
        # A short number (7, 0007, 20261120-7): the one ticket it means, or a choice.
        shorts = [
            found
            for found in await svc.by_short_number(number)
            if await svc.can_view(found, user.id, is_staff=staff)
        ]
        if len(shorts) > 1:
            labels = common.catalog(context)
            lines = [t.TICKET_WHICH.format(number=number)]
            lines += [
                t.TICKET_WHICH_LINE.format(number=f.number, category=labels.label(f.category))
                for f in shorts
            ]
            await message.reply_text("\n".join(lines))
            return
        ticket = shorts[0] if shorts else None
    if ticket is None or not await svc.can_view(ticket, user.id, is_staff=staff):
        text = (
            t.TICKET_FORBIDDEN if ticket is not None else t.TICKET_NOT_FOUND.format(number=number)
        )
        await message.reply_text(text)
        return
    tz = context.services.settings.timezone
    lines = [staff_cards.card_text(context, ticket) if staff else _resident_view(context, ticket)]
    lines.append(t.HISTORY_HEAD)
    for event in await svc.history(ticket):
        actor = {"resident": t.ACTOR_RESIDENT, "system": t.ACTOR_SYSTEM}.get(
            event.actor_role, t.ACTOR_STAFF.format(user_id=event.actor_id)
        )
        lines.append(
            t.HISTORY_LINE.format(
                at=event.at.astimezone(tz).strftime("%m-%d %H:%M"),
                action=staff_cards._action_label(event.action),
                actor=actor,
                note=f"：{event.note}" if event.note else "",
            )
        )
    await message.reply_text("\n".join(lines)[:4000])
    for file_id in ticket.photos if staff or user.id == ticket.reporter_id else ():
        try:
            await context.bot.send_photo(message.chat_id, file_id)
        except TelegramError:
            continue


def _resident_view(context: BotContext, ticket: Any) -> str:
    return t.MY_LINE.format(
        number=ticket.number,
        status=Status(ticket.status).label,
        category=common.catalog(context).label(ticket.category),
        date=ticket.created_at.astimezone(context.services.settings.timezone).strftime("%m-%d"),
        description=ticket.description[:200],
    )


async def block_command(update: Update, context: BotContext) -> None:
    """/block <user id> [reason] and /unblock <user id> (audited by the service)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not await ensure_staff(update, context):
        return
    args = context.args or []
    target = parse_id(args[0]) if args else None
    if target is None:
        await message.reply_text(t.BLOCK_USAGE)
        return
    svc = common.service(context)
    if message.text and message.text.startswith("/unblock"):
        done = await svc.unblock(target, staff_id=user.id)
        await message.reply_text(
            (t.UNBLOCKED_DONE if done else t.NOT_BLOCKED).format(user_id=target)
        )
        return
    if context.services.is_staff(target):
        await message.reply_text(t.CANNOT_BLOCK_STAFF)
        return
    await svc.block(target, staff_id=user.id, reason=" ".join(args[1:]))
    await message.reply_text(t.BLOCKED_DONE.format(user_id=target))


def _hours(delta: Any) -> str:
    return t.HOURS.format(hours=delta.total_seconds() / 3600) if delta is not None else t.NO_DATA


async def stats_command(update: Update, context: BotContext) -> None:
    """/stats: this week and month, as text and a chart drawn in a thread."""
    message = update.effective_message
    if message is None or not await ensure_staff(update, context):
        return
    if not in_staff_place(update, context):
        await message.reply_text(t.TICKET_PRIVATE_ONLY)
        return
    tz = context.services.settings.timezone
    found = await common.service(context).stats(utc_now(), tz)
    catalog = common.catalog(context)
    month = found.month
    satisfaction = f"{month.satisfaction:.0%}" if month.satisfaction is not None else t.NO_DATA
    text = t.STATS_TEXT.format(
        community=context.services.settings.community,
        week_total=found.week.total,
        month_total=month.total,
        by_category="、".join(f"{catalog.label(k)} {v}" for k, v in month.by_category.items() if v)
        or t.NO_DATA,
        by_status="、".join(f"{s.label} {v}" for s, v in month.by_status.items() if v)
        or t.NO_DATA,
        first_response=_hours(month.median_first_response),
        resolution=_hours(month.median_resolution),
        overdue=found.overdue_now,
        satisfaction=satisfaction,
    )
    await message.reply_text(text)
    keys = [c.key for c in catalog.categories]
    data = chart.ChartData(
        title=f"{t.STATS_TITLE} · {context.services.settings.community}",
        labels=[catalog.label(k) for k in keys],
        week=[found.week.by_category.get(k, 0) for k in keys],
        month=[month.by_category.get(k, 0) for k in keys],
        week_label=t.CHART_WEEK,
        month_label=t.CHART_MONTH,
    )
    png = await asyncio.to_thread(chart.render, data)
    await context.bot.send_photo(message.chat_id, png, caption=t.CHART_CAPTION)


def handlers() -> common.Handlers:
    return [
        CommandHandler("tickets", list_command, filters=NEW_MESSAGES),
        CommandHandler("ticket", ticket_command, filters=NEW_MESSAGES),
        CommandHandler(["block", "unblock"], block_command, filters=NEW_MESSAGES),
        CommandHandler("stats", stats_command, filters=NEW_MESSAGES),
    ]
