"""Staff side of the knowledge base: import documents, /kb, /unanswered, answers → FAQ."""

from __future__ import annotations

import logging
from pathlib import PurePath

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.services import BotContext
from handlers import knowledge_texts as t
from handlers.access import ensure_staff, in_staff_place, parse_id
from handlers.menu import NEW_MESSAGES, add_staff_help
from knowledge.service import KnowledgeImportError
from storage import kb_questions_repo as questions
from storage import staff_repo
from storage.clock import to_local

logger = logging.getLogger(__name__)

PREFIX = "kbs:"
MAX_FILE_BYTES = 20 * 1024 * 1024  # what the Bot API lets a bot download
PENDING_FAQ = "kb_pending_faq"  # user_data key: question id a staff member is answering


async def receive_document(update: Update, context: BotContext) -> None:
    """A document sent in private: staff import it; anyone else is refused, nothing stored."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    if not await context.services.is_staff(message.from_user.id if message.from_user else None):
        await message.reply_text(t.NOT_STAFF_DOCUMENT)
        return
    document = message.document
    name = PurePath(document.file_name or "文件.txt").name
    if document.file_size and document.file_size > MAX_FILE_BYTES:
        await message.reply_text(t.FILE_TOO_BIG)
        return
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
                t.KB_REMOVE_BUTTON.format(doc_id=d.doc_id), callback_data=f"{PREFIX}rm:{d.doc_id}"
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
    db = context.services.db
    pending = await questions.open_questions(db, limit=10)
    if not pending:
        await message.reply_text(t.UNANSWERED_EMPTY)
        return
    tz = context.services.settings.timezone
    lines = [t.UNANSWERED_HEAD.format(count=await questions.count_open(db), shown=len(pending))]
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
                t.BTN_WRITE_FAQ.format(qid=q.id), callback_data=f"{PREFIX}faq:{q.id}"
            ),
            InlineKeyboardButton(
                t.BTN_DISMISS.format(qid=q.id), callback_data=f"{PREFIX}no:{q.id}"
            ),
        ]
        for q in pending
    ]
    await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))


async def staff_button(update: Update, context: BotContext) -> None:
    """Buttons under /kb and /unanswered; staff rights are checked again on every press."""
    query = update.callback_query
    if query is None or query.data is None or not await ensure_staff(update, context):
        return
    parts = query.data.split(":")
    ident = parse_id(parts[2]) if len(parts) == 3 else None
    if ident is None:
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    action = parts[1]
    chat_id = query.message.chat.id if query.message else query.from_user.id
    db = context.services.db
    if action == "rm":
        docs = {d.doc_id: d for d in await context.services.knowledge().list_documents()}
        if ident not in docs:
            await query.answer(t.KB_NOT_FOUND.format(doc_id=ident), show_alert=True)
            return
        await query.answer()
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(t.KB_CONFIRM_YES, callback_data=f"{PREFIX}rmok:{ident}"),
                    InlineKeyboardButton(t.KB_CANCEL, callback_data=f"{PREFIX}cancel:0"),
                ]
            ]
        )
        await context.bot.send_message(
            chat_id, t.KB_CONFIRM.format(title=docs[ident].title), reply_markup=markup
        )
    elif action == "rmok":
        await query.answer()
        text = await _remove(update, context, ident)
        await query.edit_message_text(text)
    elif action == "cancel":
        await query.answer()
        await query.edit_message_text(t.KB_CANCELLED)
    elif action in {"faq", "no"}:
        record = await questions.get_question(db, ident)
        if record is None or record.status not in questions.OPEN_STATUSES:
            await query.answer(t.FAQ_CLOSED.format(qid=ident), show_alert=True)
            return
        if action == "no":
            await query.answer()
            await questions.close_question(
                db, ident, staff_id=query.from_user.id, status="dismissed"
            )
            await staff_repo.record_audit(db, query.from_user.id, "kb.dismiss", str(ident))
            await context.bot.send_message(chat_id, t.DISMISSED.format(qid=ident))
            return
        # The answer is collected in the private chat, whatever chat the list was in.
        try:
            await context.bot.send_message(
                query.from_user.id, t.FAQ_PROMPT.format(qid=ident, question=record.question[:200])
            )
        except Forbidden:
            await query.answer(t.FAQ_NEED_PRIVATE, show_alert=True)
            return
        await query.answer()
        if context.user_data is not None:
            context.user_data[PENDING_FAQ] = ident
    else:
        await query.answer(t.STALE_BUTTON, show_alert=True)


async def take_pending_faq_answer(update: Update, context: BotContext) -> bool:
    """If this staff member is writing an FAQ answer, store it; True when consumed."""
    message = update.effective_message
    data = context.user_data
    if message is None or message.text is None or not data or PENDING_FAQ not in data:
        return False
    user_id = message.from_user.id if message.from_user else None
    if not await context.services.is_staff(user_id):
        data.pop(PENDING_FAQ, None)  # rights were revoked mid-flow
        return False
    answer = message.text.strip()
    if len(answer) > 400:
        await message.reply_text(t.FAQ_TOO_LONG.format(length=len(answer)))
        return True
    qid = int(data.pop(PENDING_FAQ))
    db = context.services.db
    record = await questions.get_question(db, qid)
    if record is None or record.status not in questions.OPEN_STATUSES:
        await message.reply_text(t.FAQ_CLOSED.format(qid=qid))
        return True
    assert user_id is not None
    faq_id = await context.services.knowledge().add_faq(
        record.question, answer, created_by=user_id
    )
    await questions.close_question(
        db, qid, staff_id=user_id, status="resolved", faq_passage=faq_id
    )
    await staff_repo.record_audit(db, user_id, "kb.faq_from_question", str(qid), answer[:100])
    await message.reply_text(t.FAQ_SAVED)
    if record.chat_id is not None and record.user_id != user_id:
        notice = t.ASKER_NOTICE.format(question=record.question[:100], answer=answer)
        try:
            await context.bot.send_message(record.chat_id, notice)
        except TelegramError as exc:
            logger.info("Could not tell the asker of question %s: %s", qid, exc)
    return True


async def cancel_command(update: Update, context: BotContext) -> None:
    """/cancel: leave whatever multi-step flow this user is in."""
    message = update.effective_message
    if message is None:
        return
    if context.user_data is not None and context.user_data.pop(PENDING_FAQ, None) is not None:
        await message.reply_text(t.FAQ_CANCELLED)
        return
    await message.reply_text(t.KB_CANCELLED)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(
        MessageHandler(
            NEW_MESSAGES & filters.Document.ALL & filters.ChatType.PRIVATE, receive_document
        )
    )
    app.add_handler(CommandHandler("kb", kb_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("unanswered", unanswered_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("cancel", cancel_command, filters=NEW_MESSAGES))
    app.add_handler(CallbackQueryHandler(staff_button, pattern=f"^{PREFIX}"))
    add_staff_help(
        "\n• /kb —— 查看/删除已导入的政策文件（私聊发送文件即可导入）"
        "\n• /unanswered —— 处理答不上来和转人工的问题"
    )
