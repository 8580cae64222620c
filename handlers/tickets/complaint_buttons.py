"""The complaint flow's buttons: one dispatcher for every press (category, 下一步/跳过, the
place picker, anonymity, edit, confirm, and the duplicate prompt's 关注 / 继续提交).

Callback data is parsed in one place and checked against the step the draft is at; a press
that does not fit (an old keyboard, a forged id) is answered as stale and changes nothing.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ConversationHandler

from handlers import callbacks
from handlers.context import BotContext
from handlers.tickets import common, place, staff_cards
from handlers.tickets import complaint_steps as steps
from handlers.tickets import texts as t
from knowledge.tickets.lifecycle import Status
from knowledge.tickets.service import MAX_PHOTOS, Refusal, TicketRefused

ACTIONS = {
    "cat": 1,
    "next": 0,
    "skip": 0,
    "home": 1,
    "bld": 1,
    "b": 1,
    "u": 1,
    "room": 1,
    "whole": 0,
    "loctext": 0,
    "anon": 1,
    "ok": 0,
    "edit": 1,
    "cancel": 0,
    "follow": 1,
    "new": 0,
}
# Refusals after which the flow cannot go on: the draft is dropped.
ENDING = frozenset({Refusal.BLOCKED, Refusal.DAILY_LIMIT})


async def button(update: Update, context: BotContext) -> int | None:
    """Every button of the flow; data is parsed and checked against the current step."""
    query = update.callback_query
    assert query is not None
    pressed = callbacks.parse(query.data, steps.PREFIX, ACTIONS)
    draft = common.user_data(context).get(steps.DRAFT)
    if pressed is None or draft is None:
        await query.answer(t.STALE_STEP, show_alert=True)
        return None
    action, ident = pressed.action, (pressed.ids[0] if pressed.ids else 0)
    state = await _press(update, context, draft, action, ident)
    await query.answer(t.STALE_STEP if state is None else None, show_alert=state is None)
    return state


async def _press(
    update: Update, context: BotContext, draft: dict[str, Any], action: str, ident: int
) -> int | None:
    if action == "cancel":
        return await steps.cancel(update, context)
    if action == "cat":
        categories = common.catalog(context).categories
        if not 0 <= ident < len(categories):
            return None
        draft["category"] = categories[ident].key
        if draft.get("editing"):
            return await steps.summary(update, context)
        return await steps.ask_photos(update, context)
    if action in ("next", "skip"):
        return await _next(update, context, draft, action)
    if action in ("home", "room"):
        if not await place.set_household(context, draft, ident):
            return None
        return await steps.after_location(update, context)
    if action in ("bld", "b", "u", "whole"):
        if await place.pick(update, context, draft, action, ident):
            return await steps.after_location(update, context)
        return steps.LOCATION
    if action == "loctext":
        await common.reply(update, context, t.ASK_LOCATION_TEXT)
        return steps.LOCATION_TEXT
    if action == "anon":
        draft["anonymous"] = bool(ident)
        return await steps.summary(update, context)
    if action == "edit":
        return await _edit(update, context, draft, ident)
    if action == "ok":
        return await _confirm(update, context, draft)
    if action == "follow":
        return await _follow(update, context, draft, ident)
    if action == "new":
        return await _submit(update, context, draft)
    return None


async def _next(
    update: Update, context: BotContext, draft: dict[str, Any], action: str
) -> int | None:
    """下一步 / 跳过: what they mean depends on the step the draft is at."""
    step = draft.get("step")
    if step == "photos":
        if action == "skip":
            draft["photos"] = []
        if draft.get("editing"):
            return await steps.summary(update, context)
        draft["step"] = "location"
        await place.ask(update, context, draft)
        return steps.LOCATION
    if step == "phone":
        draft["phone"] = None
        return await steps.after_phone(update, context)
    return None


async def _edit(
    update: Update, context: BotContext, draft: dict[str, Any], index: int
) -> int | None:
    if not 0 <= index < len(steps.FIELDS):
        return None
    draft["editing"] = True
    field = steps.FIELDS[index]
    if field == "description":
        await common.reply(update, context, t.ASK_DESCRIPTION)
        return steps.DESCRIBE
    if field == "category":
        return await steps.ask_category(update, context, str(draft.get("description", "")))
    if field == "photos":
        draft["photos"] = []
        draft["step"] = "photos"
        draft.pop("photo_limit_told", None)
        markup = InlineKeyboardMarkup([[steps.button(t.BTN_NEXT, "next")]])
        await common.reply(
            update, context, t.EDIT_PHOTOS.format(max=MAX_PHOTOS), reply_markup=markup
        )
        return steps.PHOTOS
    if field == "location":
        await place.ask(update, context, draft)
        return steps.LOCATION
    if field == "phone":
        draft["phone"] = None
        draft["step"] = "phone"
        markup = InlineKeyboardMarkup([[steps.button(t.BTN_SKIP, "skip")]])
        await common.reply(update, context, t.ASK_PHONE, reply_markup=markup)
        return steps.PHONE
    draft["editing"] = False  # the anonymity answer leads to the summary anyway
    return await steps.after_phone(update, context)


async def _confirm(update: Update, context: BotContext, draft: dict[str, Any]) -> int:
    svc = common.service(context)
    complaint = steps.to_draft(draft)
    try:
        svc.check_draft(complaint)
    except TicketRefused as exc:
        await common.reply(update, context, exc.message)
        return steps.SUMMARY
    found = [] if draft.get("for_resident") else await svc.similar_open(complaint, limit=1)
    if not found:
        return await _submit(update, context, draft)
    other = found[0].ticket
    draft["duplicate_of"] = other.id  # the only ticket 关注 may follow from this prompt
    markup = InlineKeyboardMarkup(
        [
            [steps.button(t.BTN_FOLLOW, "follow", other.id)],
            [steps.button(t.BTN_NOT_SAME, "new")],
        ]
    )
    text = t.DUPLICATE.format(
        number=other.number,
        status=Status(other.status).label,
        followers=other.follower_count,
        description=other.description[:200],
    )
    await common.reply(update, context, text, reply_markup=markup)
    return steps.DUPLICATE


async def _follow(
    update: Update, context: BotContext, draft: dict[str, Any], ticket_id: int
) -> int | None:
    user = update.effective_user
    assert user is not None
    if draft.get("duplicate_of") != ticket_id:
        return None  # forged: only the ticket the prompt offered may be followed
    try:
        followed = await common.service(context).follow(ticket_id, user.id)
    except TicketRefused as exc:
        await common.reply(update, context, exc.message)
        return steps.DUPLICATE
    common.user_data(context).pop(steps.DRAFT, None)
    await staff_cards.refresh(context, followed.ticket)  # 同问 N 人 on the staff card
    await common.reply(update, context, t.FOLLOWED.format(number=followed.ticket.number))
    return ConversationHandler.END


async def _submit(update: Update, context: BotContext, draft: dict[str, Any]) -> int:
    user = update.effective_user
    assert user is not None
    svc = common.service(context)
    try:
        if draft.get("for_resident"):
            change = await svc.file_for_resident(
                steps.to_draft(draft),
                staff_id=user.id,
                resident_name=t.FILE_FOR_PHONE,
                resident_phone=draft.get("phone"),
                reporter_id=draft.get("reporter_id"),
            )
        else:
            change = await svc.submit(
                steps.to_draft(draft), reporter_id=user.id, reporter_name=user.full_name
            )
    except TicketRefused as exc:
        await common.reply(update, context, exc.message)
        if exc.refusal in ENDING:
            common.user_data(context).pop(steps.DRAFT, None)
            return ConversationHandler.END
        return steps.SUMMARY
    common.user_data(context).pop(steps.DRAFT, None)
    await common.reply(update, context, t.SUBMITTED.format(number=change.ticket.number))
    await staff_cards.post(context, change.ticket)
    for resident in change.notify:  # filed by staff for a resident with an account
        try:
            await context.bot.send_message(
                resident, t.FILED_FOR_NOTICE.format(number=change.ticket.number)
            )
        except TelegramError:
            await common.reply(update, context, t.FILED_FOR_NOT_TOLD.format(user_id=resident))
    return ConversationHandler.END
