"""Policy Q&A for residents: ask in private or in a group, answer buttons, hand-off to staff."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import callbacks
from handlers.access import ADDRESSED, NEW_MESSAGES, strip_mention, within_rate_limit
from handlers.context import BotContext
from handlers.menu import entry_button
from handlers.qa import texts as t
from knowledge.qa.chat_acts import ChatAct
from knowledge.qa.questions import MAX_RESULTS, OFFER_COMPLAINT, HandOff, Outcome
from knowledge.qa.service import SearchResult
from storage.kb_questions_repo import Question

logger = logging.getLogger(__name__)

PREFIX = "kb"
# action → number of ids: fb qid passage helpful; src passage; more qid rank; hu qid
ACTIONS = {"fb": 3, "src": 1, "more": 2, "hu": 1}


def answer_markup(
    qid: int,
    rank: int,
    passage_id: int | None,
    offer: InlineKeyboardButton | None = None,
) -> InlineKeyboardMarkup:
    """👍/👎, 查看原文 and 其他答案 under a shown passage; 转人工 always; `offer`, a
    main-menu entry's button (Asked.offer), last."""
    rows: list[list[InlineKeyboardButton]] = []
    if passage_id is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    t.BTN_UP, callback_data=callbacks.encode(PREFIX, "fb", qid, passage_id, 1)
                ),
                InlineKeyboardButton(
                    t.BTN_DOWN, callback_data=callbacks.encode(PREFIX, "fb", qid, passage_id, 0)
                ),
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(
                    t.BTN_SOURCE, callback_data=callbacks.encode(PREFIX, "src", passage_id)
                ),
                InlineKeyboardButton(
                    t.BTN_MORE, callback_data=callbacks.encode(PREFIX, "more", qid, rank + 1)
                ),
            ]
        )
    rows.append(
        [InlineKeyboardButton(t.BTN_HUMAN, callback_data=callbacks.encode(PREFIX, "hu", qid))]
    )
    if offer is not None:
        rows.append([offer])
    return InlineKeyboardMarkup(rows)


# Menu entries a reply may offer (their keys are the main menu's).
_MY_TICKETS = "tickets"
_OFFER_LABELS = {OFFER_COMPLAINT: t.BTN_REPORT, _MY_TICKETS: t.BTN_MY_TICKETS}


def _offer_button(update: Update, context: BotContext, key: str) -> InlineKeyboardButton:
    """A main-menu entry's button (in a group a link to the private chat)."""
    return entry_button(update, context.bot.username, key, _OFFER_LABELS[key])


# Messages that are no question: (reply, the menu entry it offers).
_ACT_REPLIES = {
    ChatAct.THANKS: (t.THANKS_REPLY, None),
    ChatAct.ACK: (t.ACK_REPLY, None),
    ChatAct.GREETING: (t.GREETING_REPLY, OFFER_COMPLAINT),
    ChatAct.REPORT: (t.REPORT_REPLY, OFFER_COMPLAINT),
    ChatAct.MY_TICKETS: (t.MY_TICKETS_REPLY, _MY_TICKETS),
}


def format_answer(result: SearchResult) -> str:
    return f"{result.text}\n\n{t.SOURCE.format(source=result.source)}"


async def answer_question(update: Update, context: BotContext, question: str) -> None:
    """Reply with the best answer, a decline that shows a possibly related passage
    (仅供参考), or a plain decline; the service records the question. Thanks, a greeting
    or 我要报修 get their own short reply and are not recorded."""
    message = update.effective_message
    if message is None:
        return
    if context.services.qa is None:
        await message.reply_text(t.KB_NOT_READY)
        return
    user = message.from_user
    asked = await context.services.qa.ask(
        question,
        user_id=user.id if user else None,
        chat_id=message.chat.id,
        chat_type=message.chat.type,
    )
    if asked.outcome is Outcome.HUMAN:
        await _typed_human(message, context)
        return
    if asked.outcome is Outcome.NOISE:
        await message.reply_text(t.NOISE)
        return
    if asked.act is not None:
        reply, key = _ACT_REPLIES[asked.act]
        markup = None
        if key is not None:
            markup = InlineKeyboardMarkup([[_offer_button(update, context, key)]])
        await message.reply_text(reply, reply_markup=markup)
        return
    assert asked.question_id is not None
    extra = _offer_button(update, context, asked.offer) if asked.offer else None
    if asked.result is None:
        logger.info("Question %s declined", asked.question_id)
        await message.reply_text(
            t.DECLINE, reply_markup=answer_markup(asked.question_id, 0, None, extra)
        )
        return
    text = format_answer(asked.result)
    if asked.outcome is Outcome.SUGGESTED:
        logger.info("Question %s declined with a suggestion", asked.question_id)
        text = t.SUGGEST.format(answer=text)
    await message.reply_text(
        text, reply_markup=answer_markup(asked.question_id, 0, asked.result.passage_id, extra)
    )


async def _typed_human(message: Message, context: BotContext) -> None:
    """A resident typed “转人工”: hand their latest open question to staff, or ask for one."""
    user = message.from_user
    result = await context.services.questions().hand_off_latest(
        user_id=user.id if user else None, chat_id=message.chat.id
    )
    if result.status is HandOff.ALREADY:
        await message.reply_text(t.HUMAN_ALREADY)
        return
    if result.status is HandOff.NOTHING or result.question is None:
        await message.reply_text(t.HUMAN_DESCRIBE)
        return
    await message.reply_text(t.HUMAN_DONE)
    await _notify_staff(context, result.question, user.full_name if user else "居民")


async def private_text(update: Update, context: BotContext) -> None:
    """Any plain text in a private chat is a question."""
    message = update.effective_message
    if message is None or message.text is None or not await within_rate_limit(update, context):
        return
    await answer_question(update, context, message.text)


async def group_text(update: Update, context: BotContext) -> None:
    """Text in a group that @mentions the bot or replies to it."""
    message = update.effective_message
    if message is None or message.text is None or not await within_rate_limit(update, context):
        return
    question = strip_mention(message.text, context.bot.username)
    if not question:
        await message.reply_text(t.ASK_EMPTY)
        return
    await answer_question(update, context, question)


async def ask_command(update: Update, context: BotContext) -> None:
    """/ask <question>, in private or in a group."""
    message = update.effective_message
    if message is None or message.text is None or not await within_rate_limit(update, context):
        return
    parts = message.text.split(maxsplit=1)
    question = parts[1].strip() if len(parts) > 1 else ""
    if not question:
        await message.reply_text(t.ASK_EMPTY)
        return
    await answer_question(update, context, question)


async def answer_button(update: Update, context: BotContext) -> None:
    """👍/👎, 查看原文, 其他答案, 转人工 — callback data is re-validated on every press."""
    query = update.callback_query
    if query is None:
        return
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    if pressed is None:
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    if pressed.action == "src":
        await _original(update, context, pressed.id)
        return
    # Buttons are only ever shown under answers in the asker's chat, so forged data naming
    # another chat's question (someone else's private question, say) is refused.
    chat_id = query.message.chat.id if query.message is not None else None
    record = (
        await context.services.questions().in_chat(pressed.id, chat_id)
        if chat_id is not None
        else None
    )
    if record is None:
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    if pressed.action == "fb":
        await _feedback(update, context, record, pressed.ids[1], pressed.ids[2])
    elif pressed.action == "more":
        await _more(update, context, record, pressed.ids[1])
    else:
        await _human(update, context, record)


async def _feedback(
    update: Update, context: BotContext, record: Question, passage_id: int, helpful: int
) -> None:
    query = update.callback_query
    assert query is not None
    qa = context.services.questions()
    if helpful not in (0, 1) or not qa.offered(record, passage_id):
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    await qa.feedback(record, query.from_user.id, passage_id, bool(helpful))
    await query.answer(t.THANKS_UP if helpful else t.THANKS_DOWN)


async def _original(update: Update, context: BotContext, passage_id: int) -> None:
    query = update.callback_query
    assert query is not None
    section = await context.services.knowledge().section_text(passage_id)
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


async def _more(update: Update, context: BotContext, record: Question, rank: int) -> None:
    query = update.callback_query
    assert query is not None
    if record.top_passage is None or rank < 1:
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    result = context.services.questions().nth_answer(record, rank)
    if rank >= MAX_RESULTS or result is None:
        await query.answer(t.NO_MORE, show_alert=True)
        return
    await query.answer()
    text = format_answer(result)
    if not record.answered:
        # The first passage was only a suggestion; the next ones are no surer.
        text = t.MORE_SUGGEST.format(answer=text)
    if query.message is not None:
        await context.bot.send_message(
            query.message.chat.id,
            text,
            reply_markup=answer_markup(record.id, rank, result.passage_id),
        )


async def _human(update: Update, context: BotContext, record: Question) -> None:
    query = update.callback_query
    assert query is not None
    presser = query.from_user.id
    if record.user_id not in (None, presser) and not context.services.is_staff(presser):
        await query.answer(t.HUMAN_ONLY_ASKER, show_alert=True)
        return
    if not await context.services.questions().hand_off(record):
        await query.answer(t.HUMAN_ALREADY, show_alert=True)
        return
    await query.answer(t.HUMAN_DONE, show_alert=True)
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, t.HUMAN_DONE)
    await _notify_staff(context, record, query.from_user.full_name)


async def _notify_staff(context: BotContext, record: Question, name: str) -> None:
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


async def open_ask(update: Update, context: BotContext) -> None:
    """The 政策问答 menu entry: ask for the question."""
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, t.ASK_PROMPT)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("ask", ask_command, filters=NEW_MESSAGES),
        CallbackQueryHandler(answer_button, pattern=callbacks.pattern(PREFIX)),
    ]


def catch_alls() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Any other text: in private a question, in a group only when addressed to the bot."""
    text = NEW_MESSAGES & filters.TEXT & ~filters.COMMAND
    return [
        MessageHandler(text & filters.ChatType.PRIVATE, private_text),
        MessageHandler(text & filters.ChatType.GROUPS & ADDRESSED, group_text),
    ]
