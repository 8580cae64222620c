"""The unanswered queue: /unanswered lists what residents asked that the bot could not
answer, and a staff member's written answer becomes an FAQ entry (写答案)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden
from telegram.ext import ConversationHandler

from handlers import callbacks
from handlers.access import ensure_staff, in_staff_place
from handlers.context import BotContext
from handlers.qa import texts as t
from handlers.qa.staff_flow import (
    PENDING_FAQ,
    PENDING_PICK,
    PREFIX,
    WRITING_FAQ,
    pending_text,
    tell_asker,
)
from knowledge.qa.questions import MAX_FAQ_ANSWER
from storage.clock import to_local


async def unanswered_command(update: Update, context: BotContext) -> None:
    """/unanswered: questions the bot declined or residents handed to staff."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or not await ensure_staff(update, context):
        return
    if not in_staff_place(update, context):
        # Residents' questions can be personal: never list them in a residents' group.
        await message.reply_text(t.UNANSWERED_PRIVATE_ONLY)
        return
    qa = context.services.questions()
    pending = await qa.open_questions(limit=10)
    if not pending:
        await message.reply_text(t.UNANSWERED_EMPTY)
        return
    tz = context.services.settings.timezone
    lines = [t.UNANSWERED_HEAD.format(count=await qa.count_open(), shown=len(pending))]
    for q in pending:
        when = to_local(q.asked_at, tz).strftime("%m-%d %H:%M")
        mark = t.HANDOFF_MARK if q.status == "handoff" else ""
        lines.append(
            t.UNANSWERED_LINE.format(qid=q.id, mark=mark, question=q.question[:80], date=when)
        )
        if q.top_source:
            shown = t.UNANSWERED_SHOWN if q.answered else t.UNANSWERED_SUGGESTED
            lines.append(shown.format(source=q.top_source[:80]))
    buttons = [
        [
            InlineKeyboardButton(
                t.BTN_WRITE_FAQ.format(qid=q.id),
                callback_data=callbacks.encode(PREFIX, "faq", q.id),
            ),
            InlineKeyboardButton(
                t.BTN_DISMISS.format(qid=q.id), callback_data=callbacks.encode(PREFIX, "no", q.id)
            ),
            InlineKeyboardButton(
                t.BTN_PICK.format(qid=q.id), callback_data=callbacks.encode(PREFIX, "pick", q.id)
            ),
        ]
        for q in pending
    ]
    await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))


async def start_faq(update: Update, context: BotContext, qid: int, question: str) -> int | None:
    """写答案: the answer is collected in the private chat, whatever chat the list was in."""
    query = update.callback_query
    assert query is not None
    try:
        await context.bot.send_message(
            query.from_user.id, t.FAQ_PROMPT.format(qid=qid, question=question[:200])
        )
    except Forbidden:
        await query.answer(t.FAQ_NEED_PRIVATE, show_alert=True)
        return None
    await query.answer()
    if context.user_data is not None:
        context.user_data.pop(PENDING_PICK, None)
        context.user_data[PENDING_FAQ] = qid
    return WRITING_FAQ


async def faq_answer(update: Update, context: BotContext) -> int:
    """The staff member's answer: it becomes an FAQ entry and the asker is told."""
    pending = pending_text(update, context, PENDING_FAQ)
    if pending is None:
        return ConversationHandler.END
    message, text, data = pending
    user_id = message.from_user.id if message.from_user else None
    answer = text.strip()
    if len(answer) > MAX_FAQ_ANSWER:
        await message.reply_text(t.FAQ_TOO_LONG.format(length=len(answer)))
        return WRITING_FAQ
    qid = int(data.pop(PENDING_FAQ))
    assert user_id is not None
    record = await context.services.questions().answer_with_faq(qid, answer, staff_id=user_id)
    if record is None:
        await message.reply_text(t.FAQ_CLOSED.format(qid=qid))
        return ConversationHandler.END
    await message.reply_text(t.FAQ_SAVED)
    if record.chat_id is not None and record.user_id != user_id:
        notice = t.ASKER_NOTICE.format(question=record.question[:100], answer=answer)
        await tell_asker(context, record.chat_id, notice, qid)
    return ConversationHandler.END


async def faq_not_text(update: Update, context: BotContext) -> int:
    """A sticker or photo while an answer is expected: ask for text, stay in the flow."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.FAQ_NEED_TEXT)
    return WRITING_FAQ
