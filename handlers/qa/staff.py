"""Staff side of the knowledge base: import documents, /kb, /unanswered, answers → FAQ,
and teaching: a question stored as another phrasing of the passage staff pick for it."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import callbacks
from handlers.access import NEW_MESSAGES, ensure_staff, in_staff_place, staff_upload
from handlers.callbacks import parse_id
from handlers.context import BotContext
from handlers.qa import texts as t
from knowledge.qa.errors import KnowledgeImportError
from knowledge.qa.questions import MAX_FAQ_ANSWER
from knowledge.qa.service import SearchResult
from storage import staff_repo
from storage.clock import to_local

logger = logging.getLogger(__name__)

PREFIX = "kbs"
# /kb and /unanswered buttons: action → number of ids
ACTIONS = {"rm": 1, "rmok": 1, "cancel": 1, "faq": 1, "no": 1, "pick": 1, "use": 2}
PENDING_FAQ = "kb_pending_faq"  # user_data key: question id a staff member is answering
PENDING_PICK = "kb_pending_pick"  # user_data key: question id staff are finding a passage for
# The staff conversation's states: writing an FAQ answer, or searching for a passage.
WRITING_FAQ = 1
SEARCHING = 2
PREVIEW_CHARS = 60  # of a candidate passage in the pick list
BUTTON_PREVIEW_CHARS = 18


async def receive_document(update: Update, context: BotContext) -> None:
    """A document sent in private: staff import it; anyone else is refused, nothing stored."""
    upload = await staff_upload(
        update,
        context,
        default_name="文件.txt",
        not_staff=t.NOT_STAFF_DOCUMENT,
        too_big=t.FILE_TOO_BIG,
    )
    if upload is None:
        return
    message, document, name = upload.message, upload.document, upload.name
    await message.reply_text(t.IMPORTING.format(name=name))
    data = bytes(await (await document.get_file()).download_as_bytearray())
    try:
        summary = await context.services.knowledge().import_bytes(name, data)
    except KnowledgeImportError as exc:
        await message.reply_text(t.IMPORT_FAILED.format(reason=exc))
        return
    await staff_repo.record_audit(
        context.services.db,
        message.from_user.id if message.from_user else 0,
        "kb.import",
        str(summary.doc_id),
        f"{summary.title} ({summary.passages} passages)",
    )
    await message.reply_text(
        t.IMPORT_DONE.format(
            title=summary.title,
            sections=summary.sections,
            passages=summary.passages,
            replaced=t.IMPORT_REPLACED if summary.replaced else "",
        )
    )


async def kb_command(update: Update, context: BotContext) -> None:
    """/kb lists imported documents; /kb remove <id> deletes one."""
    message = update.effective_message
    if message is None or not await ensure_staff(update, context):
        return
    args = context.args or []
    if args and args[0].lower() in {"remove", "rm", "del", "删除"}:
        doc_id = parse_id(args[1]) if len(args) > 1 else None
        if doc_id is None:
            await message.reply_text(t.KB_USAGE)
            return
        await message.reply_text(await _remove(update, context, doc_id))
        return
    if args:
        await message.reply_text(t.KB_USAGE)
        return
    docs = await context.services.knowledge().list_documents()
    if not docs:
        await message.reply_text(t.KB_EMPTY)
        return
    lines = [t.KB_HEAD.format(count=len(docs))]
    lines += [
        t.KB_LINE.format(
            doc_id=d.doc_id,
            title=d.title,
            sections=d.sections,
            passages=d.passages,
            date=d.imported_at[:10],
        )
        for d in docs[:50]
    ]
    buttons = [
        [
            InlineKeyboardButton(
                t.KB_REMOVE_BUTTON.format(doc_id=d.doc_id),
                callback_data=callbacks.encode(PREFIX, "rm", d.doc_id),
            )
        ]
        for d in docs[:20]
    ]
    await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))


async def _remove(update: Update, context: BotContext, doc_id: int) -> str:
    if not await context.services.knowledge().remove_document(doc_id):
        return t.KB_NOT_FOUND.format(doc_id=doc_id)
    actor = update.effective_user
    await staff_repo.record_audit(
        context.services.db, actor.id if actor else 0, "kb.remove", str(doc_id)
    )
    return t.KB_REMOVED.format(doc_id=doc_id)


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


async def staff_button(update: Update, context: BotContext) -> int | None:
    """Buttons under /kb and /unanswered; staff rights are checked again on every press.

    Also the staff conversation's entry point: 写答案 returns WRITING_FAQ, 选原文
    SEARCHING, and a picked passage ends it.
    """
    query = update.callback_query
    if query is None or not await ensure_staff(update, context):
        return None
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    if pressed is None:
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return None
    ident = pressed.id
    chat_id = query.message.chat.id if query.message else query.from_user.id
    if pressed.action == "rm":
        docs = {d.doc_id: d for d in await context.services.knowledge().list_documents()}
        if ident not in docs:
            await query.answer(t.KB_NOT_FOUND.format(doc_id=ident), show_alert=True)
            return None
        await query.answer()
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        t.KB_CONFIRM_YES, callback_data=callbacks.encode(PREFIX, "rmok", ident)
                    ),
                    InlineKeyboardButton(
                        t.KB_CANCEL, callback_data=callbacks.encode(PREFIX, "cancel", 0)
                    ),
                ]
            ]
        )
        await context.bot.send_message(
            chat_id, t.KB_CONFIRM.format(title=docs[ident].title), reply_markup=markup
        )
        return None
    if pressed.action == "rmok":
        await query.answer()
        await query.edit_message_text(await _remove(update, context, ident))
        return None
    if pressed.action == "cancel":
        await query.answer()
        await query.edit_message_text(t.KB_CANCELLED)
        return None
    qa = context.services.questions()
    record = await qa.open_question(ident)
    if record is None:
        await query.answer(t.FAQ_CLOSED.format(qid=ident), show_alert=True)
        return None
    if pressed.action == "use":
        return await _use_passage(update, context, ident, pressed.ids[1])
    if pressed.action == "pick":
        return await _start_pick(update, context, ident, record.question)
    if pressed.action == "no":
        await query.answer()
        await qa.dismiss(ident, staff_id=query.from_user.id)
        await context.bot.send_message(chat_id, t.DISMISSED.format(qid=ident))
        return None
    # 写答案: the answer is collected in the private chat, whatever chat the list was in.
    try:
        await context.bot.send_message(
            query.from_user.id, t.FAQ_PROMPT.format(qid=ident, question=record.question[:200])
        )
    except Forbidden:
        await query.answer(t.FAQ_NEED_PRIVATE, show_alert=True)
        return None
    await query.answer()
    if context.user_data is not None:
        context.user_data.pop(PENDING_PICK, None)
        context.user_data[PENDING_FAQ] = ident
    return WRITING_FAQ


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


async def _start_pick(update: Update, context: BotContext, qid: int, question: str) -> int | None:
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


async def _use_passage(update: Update, context: BotContext, qid: int, passage_id: int) -> int:
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
        await _tell_asker(context, record.chat_id, notice, qid)
    return ConversationHandler.END


async def _tell_asker(context: BotContext, chat_id: int, notice: str, qid: int) -> None:
    """The resident who asked question `qid` hears the answer; a blocked bot is logged."""
    try:
        await context.bot.send_message(chat_id, notice)
    except TelegramError as exc:
        logger.info("Could not tell the asker of question %s: %s", qid, exc)


async def pick_search(update: Update, context: BotContext) -> int:
    """Words typed while picking: the passages they find, as buttons."""
    pending = _pending_text(update, context, PENDING_PICK)
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


def _pending_text(
    update: Update, context: BotContext, key: str
) -> tuple[Message, str, dict[str, Any]] | None:
    """(message, its text, user_data) when a staff member's text continues a flow waiting
    under `key`; None otherwise, and the wait is dropped if their rights were revoked."""
    message = update.effective_message
    data = context.user_data if context.user_data is not None else {}
    if message is None or message.text is None or key not in data:
        return None
    if not context.services.is_staff(message.from_user.id if message.from_user else None):
        data.pop(key, None)  # rights were revoked mid-flow
        return None
    return message, message.text, data


async def pick_not_text(update: Update, context: BotContext) -> int:
    """A sticker or photo while picking: ask for words, stay in the flow."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.PICK_NEED_TEXT)
    return SEARCHING


async def faq_answer(update: Update, context: BotContext) -> int:
    """The staff member's answer: it becomes an FAQ entry and the asker is told."""
    pending = _pending_text(update, context, PENDING_FAQ)
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
        await _tell_asker(context, record.chat_id, notice, qid)
    return ConversationHandler.END


async def faq_not_text(update: Update, context: BotContext) -> int:
    """A sticker or photo while an answer is expected: ask for text, stay in the flow."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.FAQ_NEED_TEXT)
    return WRITING_FAQ


async def faq_cancel(update: Update, context: BotContext) -> int:
    """/cancel inside the FAQ or the pick flow: the question stays open."""
    picking = False
    if context.user_data is not None:
        context.user_data.pop(PENDING_FAQ, None)
        picking = context.user_data.pop(PENDING_PICK, None) is not None
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.PICK_CANCELLED if picking else t.FAQ_CANCELLED)
    return ConversationHandler.END


def faq_conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """写答案 → the answer, in private; 选原文 → typed words search, a pressed passage
    teaches. Keyed by user alone (per_chat=False): the button may be pressed in the staff
    group while the answer comes in the private chat. One conversation for both flows, so
    that starting one ends the other: two conversations would both wait for the same
    staff member's next text."""
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        # PTB warns that with per_message=False a CallbackQueryHandler is not tracked per
        # message; that is intended here: one pending answer per staff member.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CallbackQueryHandler(staff_button, pattern=callbacks.pattern(PREFIX))],
            states={
                WRITING_FAQ: [
                    MessageHandler(private & filters.TEXT & ~filters.COMMAND, faq_answer),
                    MessageHandler(private & ~filters.TEXT & ~filters.COMMAND, faq_not_text),
                ],
                SEARCHING: [
                    MessageHandler(private & filters.TEXT & ~filters.COMMAND, pick_search),
                    MessageHandler(private & ~filters.TEXT & ~filters.COMMAND, pick_not_text),
                ],
            },
            fallbacks=[CommandHandler("cancel", faq_cancel, filters=private)],
            name="qa_faq_answer",
            persistent=True,
            per_chat=False,
            allow_reentry=True,
        )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        MessageHandler(
            NEW_MESSAGES & filters.Document.ALL & filters.ChatType.PRIVATE, receive_document
        ),
        CommandHandler("kb", kb_command, filters=NEW_MESSAGES),
        CommandHandler("unanswered", unanswered_command, filters=NEW_MESSAGES),
    ]
