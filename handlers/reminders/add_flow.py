"""Staff's guided /reminders add: template or own text → schedule → target → topic →
confirm. A persistent conversation with its own /cancel; every press re-checks staff."""

from __future__ import annotations

import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import callbacks
from handlers.access import NEW_MESSAGES, ensure_staff, in_staff_place
from handlers.context import BotContext
from handlers.flows import press_a_button
from handlers.reminders import texts as t
from handlers.reminders.service import quiet_hours, reminder_service
from knowledge.notices.reminders import MAX_TEXT, TOPICS, ReminderError, load_templates
from knowledge.notices.schedules import ScheduleError, parse_schedule, parse_typed
from knowledge.notices.targets import Target, TargetError
from storage import staff_repo
from storage.clock import utc_now

PREFIX = "remadd"
ACTIONS = {"new": 0, "tpl": 1, "own": 0, "sug": 0, "tgt": 1, "top": 1, "ok": 0, "no": 0}
DRAFT = "reminder_draft"
# Set when the summary was shown; any later change clears it, so only a press on the
# summary's own ✅ (not a stale or forged one mid-flow) creates the reminder.
READY = "ready"
TEMPLATE, TEXT, SCHEDULE, TARGET, TOPIC, CONFIRM = range(1, 7)
# The target buttons; {topic} is filled in once the topic is chosen.
TARGETS = ("all", "all+subscribers:{topic}", "subscribers:{topic}")


def _draft(context: BotContext) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    draft: dict[str, Any] = data.setdefault(DRAFT, {})
    return draft


def _change(context: BotContext, **values: Any) -> dict[str, Any]:
    """Update the draft; what was confirmed before no longer is."""
    draft = _draft(context)
    draft.pop(READY, None)
    draft.update(values)
    return draft


def _button(label: str, action: str, *ids: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(PREFIX, action, *ids))


async def _say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    message = update.effective_message
    assert message is not None
    if update.callback_query is not None:
        await update.callback_query.get_bot().send_message(
            message.chat.id, text, reply_markup=markup
        )
    else:
        await message.reply_text(text, reply_markup=markup)


async def start(update: Update, context: BotContext) -> int:
    """/reminders add or the list's ➕ button: staff, in private or the staff group."""
    # Staff first: a refusal answers the press itself (with the reason), and a press can
    # be answered only once.
    if not await ensure_staff(update, context):
        return ConversationHandler.END
    if update.callback_query is not None:
        await update.callback_query.answer()
    if not in_staff_place(update, context):
        await _say(update, t.PRIVATE_ONLY)
        return ConversationHandler.END
    context.user_data[DRAFT] = {}  # type: ignore[index]
    rows = [[_button(tpl.title, "tpl", i)] for i, tpl in enumerate(load_templates()) if tpl.spec]
    rows.append([_button(t.BUTTON_OWN_TEXT, "own")])
    await _say(update, t.ADD_CHOOSE_TEMPLATE, InlineKeyboardMarkup(rows))
    return TEMPLATE


async def pressed(update: Update, context: BotContext) -> int:
    """Every button of the flow."""
    query = update.callback_query
    assert query is not None
    if not await ensure_staff(update, context):
        return ConversationHandler.END
    press = callbacks.parse(query.data, PREFIX, ACTIONS)
    draft = _draft(context)
    if press is None:
        await query.answer(t.ADD_EXPIRED, show_alert=True)
        return ConversationHandler.END
    if press.action == "new":
        return await start(update, context)  # it answers the press
    await query.answer()
    if press.action == "ok" and draft.get(READY):
        return await _create(update, context)
    if press.action == "no":
        return await cancel(update, context)
    templates = load_templates()
    if press.action == "tpl" and press.id < len(templates) and templates[press.id].spec:
        tpl = templates[press.id]
        _change(context, text=tpl.text, template=tpl.key, topic=tpl.topic)
        draft.update(suggested=[tpl.schedule, tpl.spec])
        await _say(update, t.ADD_TEMPLATE_CHOSEN.format(title=tpl.title, text=tpl.text))
        return await _ask_schedule(update, context)
    if press.action == "own":
        await _say(update, t.ADD_ASK_TEXT.format(limit=MAX_TEXT))
        return TEXT
    if press.action == "sug" and draft.get("suggested"):
        kind, spec = draft["suggested"]
        _change(context, kind=kind, spec=spec)
        return await _ask_target(update)
    if press.action == "tgt" and press.id < len(TARGETS) and "spec" in draft:
        _change(context, target=TARGETS[press.id])
        return await _ask_topic(update)
    if press.action == "top" and press.id < len(TOPICS) and "target" in draft and "text" in draft:
        _change(context, topic=TOPICS[press.id])
        return await _confirm(update, context)
    await _say(update, t.ADD_EXPIRED)
    return ConversationHandler.END


async def typed_text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    text = message.text.strip()
    if len(text) > MAX_TEXT:
        await message.reply_text(t.ADD_TEXT_TOO_LONG.format(length=len(text), limit=MAX_TEXT))
        return TEXT
    _change(context, text=text, template=None)
    return await _ask_schedule(update, context)


async def not_text(update: Update, context: BotContext) -> int | None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.ADD_NEED_TEXT)
    return None  # stay in the same state


async def _ask_schedule(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    markup = None
    if draft.get("suggested"):
        kind, spec = draft["suggested"]
        schedule = parse_schedule(kind, spec, context.services.settings.timezone)
        label = t.BUTTON_SUGGESTED.format(schedule=t.describe_schedule(schedule))
        markup = InlineKeyboardMarkup([[_button(label, "sug")]])
    tz = context.services.settings.tz_name
    await _say(update, t.ADD_ASK_SCHEDULE.format(tz=tz), markup)
    return SCHEDULE


async def typed_schedule(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    try:
        schedule = parse_typed(message.text, context.services.settings.timezone)
    except ScheduleError:
        await message.reply_text(t.ADD_BAD_SCHEDULE)
        return SCHEDULE
    if schedule.next_run(utc_now()) is None:
        await message.reply_text(t.ADD_PAST_SCHEDULE)
        return SCHEDULE
    _change(context, kind=schedule.kind.value, spec=schedule.spec)
    return await _ask_target(update)


async def _ask_target(update: Update) -> int:
    rows = [[_button(label, "tgt", i)] for i, label in enumerate(t.TARGET_CHOICES)]
    await _say(update, t.ADD_ASK_TARGET, InlineKeyboardMarkup(rows))
    return TARGET


async def typed_target(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    try:
        spec = Target.parse(message.text).spec()
    except TargetError:
        await message.reply_text(t.ADD_BAD_TARGET)
        return TARGET
    _change(context, target=spec)
    return await _ask_topic(update)


async def _ask_topic(update: Update) -> int:
    rows = [[_button(topic, "top", i)] for i, topic in enumerate(TOPICS)]
    await _say(update, t.ADD_ASK_TOPIC, InlineKeyboardMarkup(rows))
    return TOPIC


async def _confirm(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    settings = context.services.settings
    schedule = parse_schedule(draft["kind"], draft["spec"], settings.timezone)
    target = str(draft["target"]).format(topic=draft["topic"])
    draft["target"] = target
    quiet = quiet_hours(context.services)
    values = {
        "topic": draft["topic"],
        "schedule": t.describe_schedule(schedule),
        "target": t.describe_target(target),
        "next_run": t.when(schedule.next_run(utc_now()), settings.timezone),
        "text": draft["text"],
    }
    text = (
        t.ADD_CONFIRM.format(quiet=quiet.spec(), **values)
        if quiet
        else t.ADD_CONFIRM_NO_QUIET.format(**values)
    )
    markup = InlineKeyboardMarkup(
        [[_button(t.BUTTON_CONFIRM, "ok"), _button(t.BUTTON_CANCEL, "no")]]
    )
    draft[READY] = True
    await _say(update, text, markup)
    return CONFIRM


async def _create(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    user = update.effective_user
    assert user is not None
    settings = context.services.settings
    schedule = parse_schedule(draft["kind"], draft["spec"], settings.timezone)
    service = reminder_service(context.services)
    try:
        rid = await service.add(
            schedule=schedule,
            target=draft["target"],
            topic=draft["topic"],
            text=draft["text"],
            created_by=user.id,
            template=draft.get("template"),
        )
    except ReminderError:
        context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
        await _say(update, t.ADD_PAST_SCHEDULE)
        return ConversationHandler.END
    await staff_repo.record_audit(context.services.db, user.id, "reminder.add", str(rid))
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    await _say(
        update,
        t.ADD_DONE.format(
            id=rid, next_run=t.when(schedule.next_run(utc_now()), settings.timezone)
        ),
    )
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel (or 取消): nothing is created."""
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    await _say(update, t.ADD_CANCELLED)
    return ConversationHandler.END


def conversation() -> ConversationHandler:  # type: ignore[type-arg]
    typed = NEW_MESSAGES & filters.TEXT & ~filters.COMMAND
    other = NEW_MESSAGES & ~filters.TEXT & ~filters.COMMAND
    hint = press_a_button()
    with warnings.catch_warnings():
        # One draft per staff member; its buttons need not be tracked per message.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler(
                    "reminders",
                    start,
                    filters=NEW_MESSAGES & filters.Regex(r"^/reminders(@\w+)?\s+add\s*$"),
                ),
                CallbackQueryHandler(start, pattern=r"^remadd:new$"),
            ],
            states={
                TEMPLATE: [CallbackQueryHandler(pressed, pattern=callbacks.pattern(PREFIX)), hint],
                TEXT: [MessageHandler(typed, typed_text), MessageHandler(other, not_text)],
                SCHEDULE: [
                    MessageHandler(typed, typed_schedule),
                    CallbackQueryHandler(pressed, pattern=callbacks.pattern(PREFIX)),
                ],
                TARGET: [
                    MessageHandler(typed, typed_target),
                    CallbackQueryHandler(pressed, pattern=callbacks.pattern(PREFIX)),
                ],
                TOPIC: [CallbackQueryHandler(pressed, pattern=callbacks.pattern(PREFIX)), hint],
                CONFIRM: [CallbackQueryHandler(pressed, pattern=callbacks.pattern(PREFIX)), hint],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            name="reminders_add",
            persistent=True,
            allow_reentry=True,
        )
