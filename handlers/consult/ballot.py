"""Ballots: posting, the vote button, receipts, the tally edited in place, close and result.

One repeating job (`sync`, every few seconds) posts ballots of consultations published
from the CLI or chat, edits tallies that changed (so a busy vote edits each message at most
once per run), closes consultations whose deadline passed (also one that passed while the
bot was down: the first run is at start) and posts results not yet posted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from handlers import callbacks
from handlers.consult import texts as t
from handlers.context import BotApp, BotContext, Services
from knowledge.consult.scope import parse_scope, scope_label
from knowledge.consult.service import OPT_IN_TOPIC, ConsultService, Refusal, Result, when
from knowledge.consult.wording import publicity_text, rule_name, tally_lines
from knowledge.households.addressing import format_address
from storage import consult_votes_repo as votes_repo
from storage import consultations_repo as repo
from storage import notices_repo
from storage.clock import utc_now
from storage.consultations_repo import ConsultationRecord

logger = logging.getLogger(__name__)

PREFIX = "cv"
ACTIONS = {"v": 2}  # cv:v:<consultation>:<option>
SYNC_SECONDS = 3.0
REMIND_HOUR = 19
# Consultations whose tally changed since their ballots were last edited, per application.
_dirty: WeakKeyDictionary[Any, set[int]] = WeakKeyDictionary()


def service(services: Services) -> ConsultService:
    return ConsultService(services.database)


def _local(services: Services, stored: str) -> str:
    return when(stored).astimezone(services.settings.timezone).strftime("%Y-%m-%d %H:%M")


def ballot_text(services: Services, record: ConsultationRecord, result: Result | None) -> str:
    text = t.BALLOT.format(
        cid=record.id,
        title=record.title,
        question=record.question if record.question != record.title else "",
        scope=scope_label(parse_scope(record.scope)),
        rule=rule_name(result.rule) if result else record.rule,
        closes=_local(services, record.closes_at),
    )
    if result is not None and record.show_tally:
        now = utc_now().astimezone(services.settings.timezone).strftime("%H:%M:%S")
        text += t.BALLOT_TALLY.format(at=now, lines="\n".join(tally_lines(result.tally)))
    if record.status == "closed":
        text += t.BALLOT_CLOSED
    return text


def ballot_markup(record: ConsultationRecord) -> InlineKeyboardMarkup | None:
    if record.status == "closed":
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    label, callback_data=callbacks.encode(PREFIX, "v", record.id, i)
                )
                for i, label in enumerate(record.options)
            ]
        ]
    )


async def vote_button(update: Update, context: BotContext) -> None:
    """A press on a ballot: eligibility is checked again; a refusal is a private alert."""
    query = update.callback_query
    if query is None:
        return
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    if pressed is None:
        await query.answer(t.STALE, show_alert=True)
        return
    cid, option = pressed.ids
    services = context.services
    chat_id = query.message.chat.id if query.message else None
    outcome = await service(services).vote(cid, query.from_user.id, option, chat_id)
    if isinstance(outcome, Refusal):
        await query.answer(t.REFUSALS[outcome], show_alert=True)
        return
    _dirty.setdefault(context.application, set()).add(cid)
    delivered = True
    for receipt in outcome:
        e = receipt.household
        text = t.RECEIPT.format(
            cid=cid,
            address=f"{e.community}{format_address(e.building, e.unit, e.room)}",
            area=f"{e.area:.2f}",
            option=receipt.option,
            at=receipt.at.astimezone(services.settings.timezone).strftime("%Y-%m-%d %H:%M:%S"),
            code=receipt.code,
            changed=t.RECEIPT_CHANGED if receipt.changed else "",
        )
        try:
            await context.bot.send_message(query.from_user.id, text)
        except (Forbidden, BadRequest):
            delivered = False  # never started the bot in private: the code goes in the alert
    option_label = outcome[0].option if outcome else ""
    if delivered:
        await query.answer(t.VOTED_ALERT.format(option=option_label), show_alert=True)
    else:
        codes = "、".join(r.code for r in outcome)
        await query.answer(t.VOTED_ALERT_NO_DM.format(option=option_label, codes=codes), True)


async def _ballot_chats(services: Services, record: ConsultationRecord) -> list[int]:
    conn = services.db
    if record.target:
        from knowledge.notices.targets import Target

        target = Target.parse(record.target)
        if services.notices is not None:
            return await services.notices.resolve(target)
        return sorted({c for p in target.parts for c in p.chat_ids})
    chats: list[int] = []
    for part in parse_scope(record.scope):
        chats += await notices_repo.group_chats(
            conn, community=part.community, building=part.building
        )
    return list(dict.fromkeys(chats))


async def post_ballots(app: BotApp, services: Services, record: ConsultationRecord) -> None:
    """Post the ballot to the groups, and tell opted-in owners in private (outbox)."""
    conn = services.db
    if not await repo.mark_posted(conn, record.id, utc_now().isoformat(timespec="seconds")):
        return
    result = await service(services).tally(record.id)
    text, markup = ballot_text(services, record, result), ballot_markup(record)
    for chat_id in await _ballot_chats(services, record):
        try:
            sent = await app.bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramError as exc:
            logger.warning("consultation %d: ballot to %d failed: %s", record.id, chat_id, exc)
            continue
        await repo.add_message(conn, record.id, chat_id, sent.message_id, "ballot")
    opted = await votes_repo.subscribers(conn, OPT_IN_TOPIC)
    owners = sorted(
        {u for u, _ in await votes_repo.owners_in_roster(conn, record.id) if u in opted}
    )
    if owners and services.notices is not None:
        from knowledge.notices.targets import Target

        buttons = [
            (label, callbacks.encode(PREFIX, "v", record.id, i))
            for i, label in enumerate(record.options)
        ]
        await services.notices.create_notice(
            text=text, kind="broadcast", target=Target.chats(owners), topic=None, urgent=False,
            pin=False, created_by=0, ref=f"consult:{record.id}", private_footer=t.PRIVATE_FOOTER,
            private_buttons=buttons,
        )  # fmt: skip


async def edit_ballots(app: BotApp, services: Services, cid: int) -> None:
    svc = service(services)
    result = await svc.tally(cid)
    if result is None:
        return
    text = ballot_text(services, result.record, result)
    for chat_id, message_id in await repo.messages(services.db, cid, "ballot"):
        try:
            await app.bot.edit_message_text(
                text, chat_id, message_id, reply_markup=ballot_markup(result.record)
            )
        except TelegramError as exc:  # "message is not modified", deleted, kicked
            logger.debug("consultation %d: edit in %d failed: %s", cid, chat_id, exc)


async def post_result(app: BotApp, services: Services, cid: int) -> None:
    conn = services.db
    result = await service(services).tally(cid)
    if result is None or not await repo.mark_result_posted(conn, cid, utc_now().isoformat()):
        return
    record = result.record
    closed_on = when(record.closed_at or record.closes_at).astimezone(services.settings.timezone)
    text = t.RESULT_HEAD.format(cid=cid, title=record.title) + publicity_text(
        record.title, result.decision, result.tally, closed_on.date(), result.final_hash or ""
    )
    await edit_ballots(app, services, cid)
    chats = [c for c, _ in await repo.messages(conn, cid, "ballot") if c < 0]
    for chat_id in dict.fromkeys(chats or await _ballot_chats(services, record)):
        try:
            sent = await app.bot.send_message(chat_id, text)
        except TelegramError as exc:
            logger.warning("consultation %d: result to %d failed: %s", cid, chat_id, exc)
            continue
        await repo.add_message(conn, cid, chat_id, sent.message_id, "result")


async def sync(context: BotContext) -> None:
    """Post, edit, close and announce what is due (see the module docstring)."""
    app: BotApp = context.application  # type: ignore[assignment]
    services = context.services
    svc = service(services)
    now = utc_now()
    for record in await svc.list_all(("published",)):
        if now >= when(record.closes_at):
            await svc.close(record.id, None, early=False)
            continue
        if record.posted_at is None:
            await post_ballots(app, services, record)
    dirty = _dirty.setdefault(app, set())
    while dirty:
        cid = dirty.pop()
        current = await svc.get(cid)
        if current is not None and current.show_tally and current.status == "published":
            await edit_ballots(app, services, cid)
    for closed in await svc.list_all(("closed",)):
        if closed.result_posted_at is None:
            await post_result(app, services, closed.id)


async def remind(context: BotContext) -> None:
    """Once a day: opted-in owners whose household has not voted, at most one message each."""
    await send_reminders(context.bot, context.services, utc_now())


async def send_reminders(bot: Bot, services: Services, now: datetime) -> int:
    """The reminders due at `now` (a parameter so a test can fix the day); returns how many."""
    svc = service(services)
    conn = services.db
    day = now.astimezone(services.settings.timezone).date().isoformat()
    opted = await votes_repo.subscribers(conn, OPT_IN_TOPIC)
    sent = 0
    for record in await svc.list_all(("published",)):
        result = await svc.tally(record.id)
        if result is None or when(record.opens_at) > now or now >= when(record.closes_at):
            continue
        for user_id, hid in await votes_repo.owners_in_roster(conn, record.id):
            if user_id not in opted or hid in result.tally.by_household:
                continue
            if not await votes_repo.claim_reminder(conn, user_id, day):
                continue
            text = t.REMINDER.format(
                cid=record.id, title=record.title, closes=_local(services, record.closes_at)
            )
            try:
                await bot.send_message(user_id, text, reply_markup=ballot_markup(record))
                sent += 1
            except TelegramError as exc:
                logger.info("reminder to %d failed: %s", user_id, exc)
    return sent


def jobs(app: BotApp) -> None:
    queue = app.job_queue
    if queue is None:
        return
    # first=0: a deadline that passed while the bot was down closes right at start.
    queue.run_repeating(sync, interval=SYNC_SECONDS, first=0, name="consult_sync")
    queue.run_repeating(remind, interval=timedelta(days=1), first=_next_reminder(app))


def _next_reminder(app: BotApp) -> datetime:
    services: Services = app.services  # type: ignore[attr-defined]
    now = utc_now().astimezone(services.settings.timezone)
    at = now.replace(hour=REMIND_HOUR, minute=0, second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)


def mark_dirty(app: Any, cid: int) -> None:
    _dirty.setdefault(app, set()).add(cid)
