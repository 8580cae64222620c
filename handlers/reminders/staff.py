"""Staff: /reminders — the list with next run times, pause, resume, delete, test, and the
per-group topic exclusion (/reminders exclude 垃圾分类, sent in that group)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from handlers import callbacks
from handlers.access import ensure_staff, in_staff_place, is_private
from handlers.callbacks import parse_id
from handlers.context import BotContext
from handlers.reminders import texts as t
from handlers.reminders.service import reminder_service
from knowledge.notices.reminders import TOPICS, ReminderView
from storage import staff_repo, subscriptions_repo

logger = logging.getLogger(__name__)

PREFIX = "rem"
ACTIONS = {"pause": 1, "resume": 1, "del": 1, "delok": 1, "keep": 1, "test": 1}
ADD_DATA = "remadd:new"


def _button(label: str, action: str, rid: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(PREFIX, action, rid))


def _listing(views: list[ReminderView], context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    tz = context.services.settings.timezone
    if not views:
        text = t.LIST_EMPTY
    else:
        lines = [
            t.LIST_LINE.format(
                id=v.reminder.id,
                state=t.STATE_ON if v.reminder.enabled else t.STATE_OFF,
                topic=v.reminder.topic,
                schedule=t.describe_schedule(v.schedule),
                target=t.describe_target(v.reminder.target),
                next_run=t.when(v.next_run, tz) if v.reminder.enabled else t.NEXT_PAUSED,
                preview=t.preview(v.reminder.text),
            )
            for v in views
        ]
        text = t.LIST_TITLE.format(count=len(views)) + "\n" + "\n".join(lines)
    rows = [
        [
            _button(t.BUTTON_PAUSE.format(id=rid), "pause", rid)
            if v.reminder.enabled
            else _button(t.BUTTON_RESUME.format(id=rid), "resume", rid),
            _button(t.BUTTON_TEST.format(id=rid), "test", rid),
            _button(t.BUTTON_DELETE.format(id=rid), "del", rid),
        ]
        for v in views[-30:]
        for rid in (v.reminder.id,)
    ]
    rows.append([InlineKeyboardButton(t.BUTTON_ADD, callback_data=ADD_DATA)])
    return text, InlineKeyboardMarkup(rows)


async def reminders_command(update: Update, context: BotContext) -> None:
    """/reminders [pause|resume|delete|test N | exclude|include TOPIC]; staff only."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or not await ensure_staff(update, context):
        return
    args = context.args or []
    action = args[0].lower() if args else ""
    if action in ("exclude", "include"):
        await _exclusion(update, context, action, " ".join(args[1:]).strip())
        return
    if not in_staff_place(update, context):
        await message.reply_text(t.PRIVATE_ONLY)
        return
    if not args:
        text, markup = _listing(await reminder_service(context.services).list_all(), context)
        await message.reply_text(text, reply_markup=markup)
        return
    names = {"pause": "pause", "resume": "resume", "delete": "del", "test": "test"}
    rid = parse_id(args[1]) if len(args) == 2 else None
    if action not in names or rid is None:
        await message.reply_text(t.USAGE)
        return
    await message.reply_text(await _act(context, names[action], rid, user.id, message.chat.id))


async def _act(context: BotContext, action: str, rid: int, user_id: int, chat_id: int) -> str:
    service = reminder_service(context.services)
    reminder = await service.get(rid)
    if reminder is None:
        return t.NOT_FOUND.format(id=rid)
    db = context.services.db
    if action == "pause":
        done = await service.pause(rid)
        if done:
            await staff_repo.record_audit(db, user_id, "reminder.pause", str(rid))
        return t.PAUSED.format(id=rid) if done else t.ALREADY.format(id=rid)
    if action == "resume":
        if not await service.resume(rid):
            return t.ALREADY.format(id=rid)
        await staff_repo.record_audit(db, user_id, "reminder.resume", str(rid))
        view = next(v for v in await service.list_all() if v.reminder.id == rid)
        return t.RESUMED.format(
            id=rid, next_run=t.when(view.next_run, context.services.settings.timezone)
        )
    if action == "delok":
        await service.delete(rid)
        await staff_repo.record_audit(db, user_id, "reminder.delete", str(rid), reminder.text)
        return t.DELETED.format(id=rid)
    if action == "test":
        try:
            notice_id = await service.send_test(rid, user_id, by=user_id)
        except Exception:
            logger.exception("reminder %d: test failed", rid)
            return t.TEST_FAILED
        return t.TEST_QUEUED.format(notice_id=notice_id)
    return t.KEPT


async def reminder_button(update: Update, context: BotContext) -> None:
    """A press on a /reminders button: re-checked (staff, known action) on every press."""
    query = update.callback_query
    assert query is not None
    user = update.effective_user
    if not await ensure_staff(update, context):
        return
    press = callbacks.parse(query.data, PREFIX, ACTIONS)
    if press is None or user is None or query.message is None:
        await query.answer(t.ADD_EXPIRED, show_alert=True)
        return
    await query.answer()
    chat_id = query.message.chat.id
    if press.action == "del":
        reminder = await reminder_service(context.services).get(press.id)
        if reminder is None:
            await context.bot.send_message(chat_id, t.NOT_FOUND.format(id=press.id))
            return
        markup = InlineKeyboardMarkup(
            [
                [
                    _button(t.BUTTON_DELETE_OK.format(id=press.id), "delok", press.id),
                    _button(t.BUTTON_KEEP, "keep", press.id),
                ]
            ]
        )
        await context.bot.send_message(
            chat_id,
            t.DELETE_ASK.format(id=press.id, preview=t.preview(reminder.text, 80)),
            reply_markup=markup,
        )
        return
    reply = await _act(context, press.action, press.id, user.id, chat_id)
    if press.action in ("delok", "keep"):
        try:
            await query.edit_message_text(reply)
        except TelegramError:
            await context.bot.send_message(chat_id, reply)
        return
    await context.bot.send_message(chat_id, reply)


async def _exclusion(update: Update, context: BotContext, action: str, topic: str) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None
    assert user is not None
    if is_private(update) or message.chat.id == context.services.settings.staff_chat_id:
        await message.reply_text(t.EXCLUDE_GROUP_ONLY)
        return
    if topic not in TOPICS:
        await message.reply_text(t.UNKNOWN_TOPIC.format(topics="、".join(TOPICS)))
        return
    db = context.services.db
    chat_id = message.chat.id
    if action == "exclude":
        changed = await subscriptions_repo.exclude_topic(db, chat_id, topic, user.id)
        reply = t.EXCLUDED if changed else t.EXCLUDED_ALREADY
    else:
        changed = await subscriptions_repo.include_topic(db, chat_id, topic)
        reply = t.INCLUDED if changed else t.INCLUDED_ALREADY
    if changed:
        await staff_repo.record_audit(db, user.id, f"reminder.{action}", str(chat_id), topic)
    await message.reply_text(reply.format(topic=topic))
