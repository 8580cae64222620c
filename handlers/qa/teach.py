"""Teaching (选原文): staff pick the passage that answers a question, and the question is
stored as another phrasing of it, so the next asker finds it."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden
from telegram.ext import ConversationHandler

from handlers import callbacks
from handlers.context import BotContext
from handlers.qa import texts as t
from handlers.qa.staff_flow import (
    PENDING_FAQ,
    PENDING_PICK,
    PREFIX,
    SEARCHING,
    pending_text,
    tell_asker,
)
from knowledge.qa.service import SearchResult

PREVIEW_CHARS = 60  # of a candidate passage in the pick list
BUTTON_PREVIEW_CHARS = 18


def _pick_list(qid: int, head: str, found: list[SearchResult]) -> tuple[str, InlineKeyboardMarkup]:
    """The candidates as numbered previews, each with its button."""
    lines = [head]
    buttons = []
    for n, result in enumerate(found, 1):
        preview = " ".join(result.text.split())
        lines.append(
            t.PICK_LINE.format(n=n, source=result.source[:80], preview=preview[:PREVIEW_CHARS])
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    t.BTN_USE.format(n=n, preview=preview[:BUTTON_PREVIEW_CHARS]),
                    callback_data=callbacks.encode(PREFIX, "use", qid, result.passage_id),
                )
            ]
        )
    return "\n\n".join(lines), InlineKeyboardMarkup(buttons)


async def start_pick(update: Update, context: BotContext, qid: int, question: str) -> int | None:
    """选原文: the keyword ranking's best passages for the question, in the private chat
    (the question may be personal), and typed words search for others."""
    query = update.callback_query
    assert query is not None
    found = context.services.questions().candidates(question)
    head = t.PICK_HEAD.format(qid=qid, question=question[:200])
    text, markup = _pick_list(qid, head, found)
    try:
        await context.bot.send_message(query.from_user.id, text, reply_markup=markup)
    except Forbidden:
        await query.answer(t.FAQ_NEED_PRIVATE, show_alert=True)
        return None
    await query.answer()
    if context.user_data is not None:
        context.user_data.pop(PENDING_FAQ, None)
        context.user_data[PENDING_PICK] = qid
    return SEARCHING


async def use_passage(update: Update, context: BotContext, qid: int, passage_id: int) -> int:
    """A passage picked: the question becomes another phrasing of it, the asker is told."""
    query = update.callback_query
    assert query is not None
    staff_id = query.from_user.id
    qa = context.services.questions()
    if await context.services.knowledge().passage(passage_id) is None:
        await query.answer(t.PICK_GONE, show_alert=True)
        return SEARCHING
    taught = await qa.answer_with_passage(qid, passage_id, staff_id=staff_id)
    if taught is None:
        await query.answer(t.FAQ_CLOSED.format(qid=qid), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    if context.user_data is not None and context.user_data.get(PENDING_PICK) == qid:
        context.user_data.pop(PENDING_PICK, None)
    chat_id = query.message.chat.id if query.message else staff_id
    await context.bot.send_message(chat_id, t.TAUGHT.format(qid=qid, source=taught.passage.source))
    record = taught.question
    if record.chat_id is not None and record.user_id != staff_id:
        notice = t.TAUGHT_NOTICE.format(
            question=record.question[:100],
            answer=taught.passage.text,
            source=taught.passage.source,
        )
        await tell_asker(context, record.chat_id, notice, qid)
    return ConversationHandler.END


async def pick_search(update: Update, context: BotContext) -> int:
    """Words typed while picking: the passages they find, as buttons."""
    pending = pending_text(update, context, PENDING_PICK)
    if pending is None:
        return ConversationHandler.END
    message, text, data = pending
    qid = int(data[PENDING_PICK])
    if await context.services.questions().open_question(qid) is None:
        data.pop(PENDING_PICK, None)
        await message.reply_text(t.FAQ_CLOSED.format(qid=qid))
        return ConversationHandler.END
    words = text.strip()
    found = context.services.questions().candidates(words)
    if not found:
        await message.reply_text(t.PICK_NONE)
        return SEARCHING
    text, markup = _pick_list(qid, t.SEARCH_HEAD.format(words=words[:40], qid=qid), found)
    await message.reply_text(text, reply_markup=markup)
    return SEARCHING


async def pick_not_text(update: Update, context: BotContext) -> int:
    """A sticker or photo while picking: ask for words, stay in the flow."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.PICK_NEED_TEXT)
    return SEARCHING
