"""The complaint flow's steps: what is asked, and the messages that answer each question
(description, photos, typed or GPS place, phone), up to the summary to confirm or edit.

The draft lives in user_data as plain JSON, so a restart resumes at the same step.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from handlers import callbacks
from handlers.context import BotContext
from handlers.tickets import common, place
from handlers.tickets import texts as t
from knowledge.tickets.service import MAX_DESCRIPTION, MAX_PHOTOS, ComplaintDraft, Location

PREFIX = place.PREFIX
DRAFT = "ticket_draft"
MIN_DESCRIPTION = 5
FIELDS = list(t.BTN_EDIT)
DESCRIBE, CATEGORY, PHOTOS, LOCATION, LOCATION_TEXT, PHONE, ANONYMOUS, SUMMARY, DUPLICATE = range(
    9
)
PHONE_RE = re.compile(r"[0-9+\- ]{5,20}")


def button(label: str, action: str, *ids: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(PREFIX, action, *ids))


def draft_of(context: BotContext) -> dict[str, Any]:
    found: dict[str, Any] = common.user_data(context).setdefault(DRAFT, {})
    return found


def has_words(text: str) -> bool:
    """Letters, digits or Chinese characters: emoji and punctuation alone say nothing."""
    return any(c.isalnum() for c in text)


async def description(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    text = message.text.strip()
    if len(text) > MAX_DESCRIPTION:
        await message.reply_text(
            t.DESCRIPTION_TOO_LONG.format(length=len(text), max=MAX_DESCRIPTION)
        )
        return DESCRIBE
    if not has_words(text):
        await message.reply_text(t.DESCRIPTION_NO_WORDS)
        return DESCRIBE
    if len(text) < MIN_DESCRIPTION:
        await message.reply_text(t.DESCRIPTION_TOO_SHORT.format(min=MIN_DESCRIPTION))
        return DESCRIBE
    draft = draft_of(context)
    draft["description"] = text
    if draft.get("editing"):
        return await summary(update, context)
    return await ask_category(update, context, text)


async def ask_category(update: Update, context: BotContext, text: str) -> int:
    categories = common.catalog(context).categories
    suggested = common.service(context).suggest_category(text)
    buttons = [
        button(("⭐" if c.key == suggested else "") + c.label, "cat", i)
        for i, c in enumerate(categories)
    ]
    found = next((c for c in categories if c.key == suggested), None)
    prompt = t.ASK_CATEGORY_SUGGESTED.format(label=found.label) if found else t.ASK_CATEGORY
    await common.reply(
        update, context, prompt, reply_markup=InlineKeyboardMarkup(common.rows(buttons, 3))
    )
    return CATEGORY


async def ask_photos(update: Update, context: BotContext) -> int:
    draft_of(context)["step"] = "photos"
    markup = InlineKeyboardMarkup([[button(t.BTN_NEXT, "next"), button(t.BTN_SKIP, "skip")]])
    await common.reply(update, context, t.ASK_PHOTOS.format(max=MAX_PHOTOS), reply_markup=markup)
    return PHOTOS


async def photo(update: Update, context: BotContext) -> int:
    """One photo; beyond the limit the resident is told once (a flood of 20 photos gets one
    answer, not 15) and the first photos stay as they were."""
    message = update.effective_message
    assert message is not None
    draft = draft_of(context)
    photos: list[str] = draft.setdefault("photos", [])
    if len(photos) >= MAX_PHOTOS:
        if not draft.get("photo_limit_told"):
            draft["photo_limit_told"] = True
            markup = InlineKeyboardMarkup([[button(t.BTN_NEXT, "next")]])
            await message.reply_text(t.PHOTO_LIMIT.format(max=MAX_PHOTOS), reply_markup=markup)
        return PHOTOS
    photos.append(message.photo[-1].file_id)
    markup = InlineKeyboardMarkup([[button(t.BTN_NEXT, "next")]])
    await message.reply_text(
        t.PHOTO_SAVED.format(count=len(photos), max=MAX_PHOTOS), reply_markup=markup
    )
    return PHOTOS


async def not_photo(update: Update, context: BotContext) -> int:
    await common.reply(update, context, t.PHOTO_NEED_PHOTO)
    return PHOTOS


async def location_text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    problem = place.text_location(draft_of(context), message.text.strip())
    if problem:
        await message.reply_text(problem)
        return LOCATION_TEXT
    return await after_location(update, context)


async def geo(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.location is not None
    place.geo_location(draft_of(context), message.location.latitude, message.location.longitude)
    return await after_location(update, context)


async def not_location(update: Update, context: BotContext) -> int:
    await common.reply(update, context, t.NEED_LOCATION)
    return LOCATION


async def after_location(update: Update, context: BotContext) -> int:
    if draft_of(context).get("editing"):
        return await summary(update, context)
    draft_of(context)["step"] = "phone"
    markup = InlineKeyboardMarkup([[button(t.BTN_SKIP, "skip")]])
    await common.reply(update, context, t.ASK_PHONE, reply_markup=markup)
    return PHONE


async def phone(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    text = message.text.strip()
    if not PHONE_RE.fullmatch(text) or sum(c.isdigit() for c in text) < 5:
        await message.reply_text(t.PHONE_INVALID)
        return PHONE
    draft_of(context)["phone"] = text
    return await after_phone(update, context)


async def after_phone(update: Update, context: BotContext) -> int:
    if draft_of(context).get("editing"):
        return await summary(update, context)
    markup = InlineKeyboardMarkup(
        [[button(t.BTN_ANONYMOUS, "anon", 1), button(t.BTN_NOT_ANONYMOUS, "anon", 0)]]
    )
    await common.reply(update, context, t.ASK_ANONYMOUS, reply_markup=markup)
    return ANONYMOUS


async def summary(update: Update, context: BotContext) -> int:
    draft = draft_of(context)
    draft["editing"] = False
    text = t.SUMMARY.format(
        category=common.catalog(context).label(draft.get("category", "")),
        description=draft.get("description", ""),
        photos=len(draft.get("photos", [])),
        location=place.label(draft),
        phone=draft.get("phone") or t.NONE,
        anonymous=t.YES if draft.get("anonymous") else t.NO,
    )
    edits = [button(label, "edit", i) for i, label in enumerate(t.BTN_EDIT.values())]
    markup = InlineKeyboardMarkup(
        [[button(t.BTN_CONFIRM, "ok")], *common.rows(edits, 3), [button(t.BTN_CANCEL, "cancel")]]
    )
    await common.reply(update, context, text, reply_markup=markup)
    return SUMMARY


def to_draft(draft: dict[str, Any]) -> ComplaintDraft:
    where = draft.get("location") or {}
    return ComplaintDraft(
        category=str(draft.get("category", "")),
        description=str(draft.get("description", "")),
        location=Location(
            household_id=where.get("household_id"),
            text=str(where.get("text") or ""),
            latitude=where.get("latitude"),
            longitude=where.get("longitude"),
        ),
        photos=tuple(draft.get("photos", [])),
        phone=draft.get("phone"),
        anonymous=bool(draft.get("anonymous")),
    )


async def not_text(update: Update, context: BotContext) -> int | None:
    await common.reply(update, context, t.NEED_TEXT)
    return None


async def buttons_only(update: Update, context: BotContext) -> int | None:
    """A message where the step waits for a button press: say so, keep the step."""
    await common.reply(update, context, t.NEED_BUTTON)
    return None


async def cancel(update: Update, context: BotContext) -> int:
    common.user_data(context).pop(DRAFT, None)
    await common.reply(update, context, t.CANCELLED)
    return ConversationHandler.END
