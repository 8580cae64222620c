"""Staff side of the knowledge base: import documents, /kb, and the one conversation behind
the /kb and /unanswered buttons: the unanswered queue and answers → FAQ (`unanswered`), and
teaching: a question stored as another phrasing of the passage staff pick for it (`teach`)."""

from __future__ import annotations

import warnings

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
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
from handlers.access import NEW_MESSAGES, ensure_staff, staff_upload
from handlers.callbacks import parse_id
from handlers.context import BotContext
from handlers.qa import texts as t
from handlers.qa.staff_flow import (
    ACTIONS,
    PENDING_FAQ,
    PENDING_PICK,
    PREFIX,
    SEARCHING,
    WRITING_FAQ,
)
from handlers.qa.teach import pick_not_text, pick_search, start_pick, use_passage
from handlers.qa.unanswered import faq_answer, faq_not_text, start_faq, unanswered_command
from knowledge.qa.errors import KnowledgeImportError
from storage import staff_repo


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
        return await use_passage(update, context, ident, pressed.ids[1])
    if pressed.action == "pick":
        return await start_pick(update, context, ident, record.question)
    if pressed.action == "no":
        await query.answer()
        await qa.dismiss(ident, staff_id=query.from_user.id)
        await context.bot.send_message(chat_id, t.DISMISSED.format(qid=ident))
        return None
    return await start_faq(update, context, ident, record.question)


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
