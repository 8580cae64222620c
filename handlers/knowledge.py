"""Policy Q&A for residents: ask in private or in a group, answer buttons, hand-off to staff."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.services import BotContext
from handlers import knowledge_staff
from handlers import knowledge_texts as t
from handlers.access import ADDRESSED, parse_id, strip_mention
from handlers.menu import NEW_MESSAGES
from knowledge.service import SearchResult
from storage import kb_questions_repo as questions
from storage.kb_questions_repo import Question

logger = logging.getLogger(__name__)

PREFIX = "kb:"
MAX_STORED_QUESTION = 4096  # longer text is cut when stored; Telegram itself caps at 4096
MAX_RESULTS = 10


def answer_markup(qid: int, rank: int, passage_id: int | None) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if passage_id is not None:
        rows.append(
            [
                InlineKeyboardButton(t.BTN_UP, callback_data=f"{PREFIX}fb:{qid}:{passage_id}:1"),
                InlineKeyboardButton(t.BTN_DOWN, callback_data=f"{PREFIX}fb:{qid}:{passage_id}:0"),
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(t.BTN_SOURCE, callback_data=f"{PREFIX}src:{passage_id}"),
                InlineKeyboardButton(t.BTN_MORE, callback_data=f"{PREFIX}more:{qid}:{rank + 1}"),
            ]
        )
    rows.append([InlineKeyboardButton(t.BTN_HUMAN, callback_data=f"{PREFIX}hu:{qid}")])
    return InlineKeyboardMarkup(rows)


def format_answer(result: SearchResult) -> str:
    return f"{result.text}\n\n{t.SOURCE.format(source=result.source)}"


HUMAN_WORDS = {"转人工", "人工", "找人工", "人工客服", "人工服务", "找工作人员", "转人工服务"}


async def answer_question(message: Message, context: BotContext, question: str) -> None:
    """Search, record the question, and reply with the best answer, a decline that shows
    a possibly related passage (仅供参考), or a plain decline."""
    if question.strip(" 。.!！~～") in HUMAN_WORDS:
        await _typed_human(message, context)
        return
    kb = context.services.kb
    if kb is None:
        await message.reply_text(t.KB_NOT_READY)
        return
    answer = kb.ask(question, k=1)
    # A suggestion is shown like an answer (same buttons, so feedback and 其他答案 work)
    # but the question stays unanswered, open for staff.
    top = answer.results[0] if (answer.answered or answer.suggested) and answer.results else None
    user = message.from_user
    qid = await questions.record_question(
        context.services.db,
        user_id=user.id if user else None,
        chat_id=message.chat.id,
        chat_type=message.chat.type,
        question=question[:MAX_STORED_QUESTION],
        answered=answer.answered and top is not None,
        top_passage=top.passage_id if top else None,
        top_score=top.score if top else None,
        top_source=top.source if top else None,
    )
    if top is None:
        logger.info("Question %s declined", qid)
        await message.reply_text(t.DECLINE, reply_markup=answer_markup(qid, 0, None))
        return
    text = format_answer(top)
    if not answer.answered:
        logger.info("Question %s declined with a suggestion", qid)
        text = t.SUGGEST.format(answer=text)
    await message.reply_text(text, reply_markup=answer_markup(qid, 0, top.passage_id))


async def _typed_human(message: Message, context: BotContext) -> None:
    """A resident typed “转人工”: hand their latest open question to staff, or ask for one."""
    db = context.services.db
    user_id = message.from_user.id if message.from_user else None
    latest = await questions.latest_question(db, user_id=user_id, chat_id=message.chat.id)
    if latest is not None and latest.status == "handoff":
        await message.reply_text(t.HUMAN_ALREADY)
        return
    if latest is None or latest.status not in ("answered", "unanswered"):
        await message.reply_text(t.HUMAN_DESCRIBE)
        return
    await questions.hand_off(db, latest.id)
    await message.reply_text(t.HUMAN_DONE)
    name = message.from_user.full_name if message.from_user else "居民"
    await _notify_staff(context, latest, name)


async def private_text(update: Update, context: BotContext) -> None:
    """Any plain text in a private chat is a question (or a staff member's pending answer)."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    if await knowledge_staff.take_pending_faq_answer(update, context):
        return
    await answer_question(message, context, message.text)


async def group_text(update: Update, context: BotContext) -> None:
    """Text in a group that @mentions the bot or replies to it."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    question = strip_mention(message.text, context.bot.username)
    if not question:
        await message.reply_text(t.ASK_EMPTY)
        return
    await answer_question(message, context, question)


async def ask_command(update: Update, context: BotContext) -> None:
    """/ask <question>, in private or in a group."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    parts = message.text.split(maxsplit=1)
    question = parts[1].strip() if len(parts) > 1 else ""
    if not question:
        await message.reply_text(t.ASK_EMPTY)
        return
    await answer_question(message, context, question)


def _ints(data: str, count: int) -> list[int] | None:
    """Parse the numeric fields of callback data; None when forged or malformed."""
    fields = [parse_id(f) for f in data.split(":")[2:]]
    if len(fields) != count or None in fields:
        return None
    return [f for f in fields if f is not None]


async def answer_button(update: Update, context: BotContext) -> None:
    """👍/👎, 查看原文, 其他答案, 转人工 — callback data is re-validated on every press."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    action = query.data.split(":")[1] if query.data.count(":") >= 1 else ""
    handler = {"fb": _feedback, "src": _original, "more": _more, "hu": _human}.get(action)
    if handler is None:
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    await handler(update, context, query.data)


async def _question_here(update: Update, context: BotContext, qid: int) -> Question | None:
    """The question behind a button, if it was asked in the chat where it is pressed.

    Buttons are only ever shown under answers in the asker's chat, so forged data naming
    another chat's question (someone else's private question, say) is refused.
    """
    query = update.callback_query
    record = await questions.get_question(context.services.db, qid)
    if record is None or query is None or query.message is None:
        return None
    return record if record.chat_id == query.message.chat.id else None


def _offered(context: BotContext, record: Question, passage_id: int) -> bool:
    """Whether this passage was (or would be) shown as an answer to the question.

    A plain decline showed no passage, and so offered no 👍/👎 or 其他答案.
    """
    if record.top_passage is None:
        return False
    if passage_id == record.top_passage:
        return True
    results = context.services.knowledge().ask(record.question, k=MAX_RESULTS).results
    return any(r.passage_id == passage_id for r in results)


async def _feedback(update: Update, context: BotContext, data: str) -> None:
    query = update.callback_query
    assert query is not None
    values = _ints(data, 3)
    if values is None or values[2] not in (0, 1):
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    qid, passage_id, helpful = values
    record = await _question_here(update, context, qid)
    if record is None or not _offered(context, record, passage_id):
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    db = context.services.db
    await questions.record_feedback(db, qid, query.from_user.id, passage_id, bool(helpful))
    await query.answer(t.THANKS_UP if helpful else t.THANKS_DOWN)


async def _original(update: Update, context: BotContext, data: str) -> None:
    query = update.callback_query
    assert query is not None
    values = _ints(data, 1)
    section = await context.services.knowledge().section_text(values[0]) if values else None
    if section is None:
        await query.answer(t.ORIGINAL_GONE, show_alert=True)
        return
    await query.answer()
    source, body = section
    text = t.ORIGINAL_HEAD.format(source=source) + body
    if len(text) > 4000:
        text = text[: 4000 - len(t.ORIGINAL_CUT)] + t.ORIGINAL_CUT
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, text)


async def _more(update: Update, context: BotContext, data: str) -> None:
    query = update.callback_query
    assert query is not None
    values = _ints(data, 2)
    record = await _question_here(update, context, values[0]) if values else None
    if values is None or record is None or values[1] < 1 or record.top_passage is None:
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    qid, rank = values
    answer = context.services.knowledge().ask(record.question, k=min(rank + 1, MAX_RESULTS))
    if rank >= MAX_RESULTS or len(answer.results) <= rank:
        await query.answer(t.NO_MORE, show_alert=True)
        return
    await query.answer()
    result = answer.results[rank]
    text = format_answer(result)
    if not record.answered:
        # The first passage was only a suggestion; the next ones are no surer.
        text = t.MORE_SUGGEST.format(answer=text)
    if query.message is not None:
        await context.bot.send_message(
            query.message.chat.id, text, reply_markup=answer_markup(qid, rank, result.passage_id)
        )


async def _human(update: Update, context: BotContext, data: str) -> None:
    query = update.callback_query
    assert query is not None
    values = _ints(data, 1)
    db = context.services.db
    record = await _question_here(update, context, values[0]) if values else None
    if record is None:
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    presser = query.from_user.id
    if record.user_id not in (None, presser) and not await context.services.is_staff(presser):
        await query.answer(t.HUMAN_ONLY_ASKER, show_alert=True)
        return
    if not await questions.hand_off(db, record.id):
        await query.answer(t.HUMAN_ALREADY, show_alert=True)
        return
    await query.answer(t.HUMAN_DONE, show_alert=True)
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, t.HUMAN_DONE)
    await _notify_staff(context, record, query.from_user.full_name)


async def _notify_staff(context: BotContext, record: questions.Question, name: str) -> None:
    staff_chat = context.services.settings.staff_chat_id
    if staff_chat is None:
        return
    text = t.STAFF_NOTICE.format(
        qid=record.id,
        question=record.question[:500],
        user=name,
        user_id=record.user_id,
        chat="私聊" if record.chat_type == "private" else f"群 {record.chat_id}",
    )
    try:
        await context.bot.send_message(staff_chat, text)
    except TelegramError as exc:
        # The question is stored either way; /unanswered still shows it.
        logger.warning("Could not notify the staff chat: %s", exc)


def register(app: Application) -> None:  # type: ignore[type-arg]
    knowledge_staff.register(app)
    app.add_handler(CommandHandler("ask", ask_command, filters=NEW_MESSAGES))
    app.add_handler(CallbackQueryHandler(answer_button, pattern=f"^{PREFIX}(fb|src|more|hu):"))
    text = NEW_MESSAGES & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(text & filters.ChatType.PRIVATE, private_text))
    app.add_handler(MessageHandler(text & filters.ChatType.GROUPS & ADDRESSED, group_text))
