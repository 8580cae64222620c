"""/broadcast (compose → preview → target → options → confirm) and /notices with reports."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import callbacks
from handlers.access import NEW_MESSAGES, ensure_staff, is_private
from handlers.context import BotContext, Services
from handlers.notices import texts as t
from knowledge.notices.service import NoticeService
from knowledge.notices.targets import Target
from storage import notices_repo
from storage.clock import to_local

logger = logging.getLogger(__name__)

PREFIX = "ntc"  # buttons of the /broadcast conversation
ACTIONS = {
    **dict.fromkeys(("all", "com", "chs", "done", "sub", "pin", "urg", "ok", "no", "back"), 0),
    **dict.fromkeys(("cp", "tg", "tp"), 1),
}
LIST_PREFIX = "ntf"  # buttons of /notices and of the "queued" message
LIST_ACTIONS = {"show": 1, "stop": 1}
DRAFT = "notice_draft"
COMPOSE, CHOOSE = 1, 2
MAX_PICK = 30


def _service(context: BotContext) -> NoticeService:
    notices = context.services.notices
    if notices is None:
        raise RuntimeError("notice service used before post_init opened it")
    return notices


def _user_data(context: BotContext) -> dict[Any, Any]:
    data = context.user_data
    assert data is not None  # every update of this flow has a user
    return data


def _button(label: str, action: str, *ids: int, prefix: str = PREFIX) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(prefix, action, *ids))


async def start(update: Update, context: BotContext) -> int:
    """/broadcast: staff only, in private."""
    if not await ensure_staff(update, context):
        return ConversationHandler.END
    message = update.effective_message
    assert message is not None
    if not is_private(update):
        await message.reply_text(t.PRIVATE_ONLY)
        return ConversationHandler.END
    _user_data(context)[DRAFT] = {"pin": False, "urgent": False}
    await message.reply_text(t.COMPOSE)
    return COMPOSE


async def content(update: Update, context: BotContext) -> int:
    """The notice itself: text, or a photo/document with an optional caption."""
    message = update.effective_message
    assert message is not None
    if not await ensure_staff(update, context):
        return ConversationHandler.END
    draft: dict[str, Any] = {"pin": False, "urgent": False}
    if message.photo:
        draft["photo"] = message.photo[-1].file_id
    elif message.document:
        draft["document"] = message.document.file_id
    text = (message.text or message.caption or "").strip()
    limit = MessageLimit.CAPTION_LENGTH if message.photo or message.document else 4096
    if not text and not (message.photo or message.document):
        await message.reply_text(t.EMPTY)
        return COMPOSE
    if len(text) > limit:
        await message.reply_text(t.TOO_LONG.format(limit=limit))
        return COMPOSE
    draft["text"] = text
    _user_data(context)[DRAFT] = draft
    await message.reply_text(t.PREVIEW_HEAD)
    await send_as_residents_see(context.bot, message.chat_id, draft)
    await message.reply_text(t.CHOOSE_TARGET, reply_markup=_target_menu())
    return CHOOSE


async def not_content(update: Update, context: BotContext) -> int:
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.NOT_CONTENT)
    return COMPOSE


async def send_as_residents_see(bot: ExtBot[Any], chat_id: int, draft: dict[str, Any]) -> Message:
    """The preview goes out exactly as the delivery worker sends it (text or caption)."""
    text = draft.get("text") or None
    if draft.get("photo"):
        return await bot.send_photo(chat_id, draft["photo"], caption=text)
    if draft.get("document"):
        return await bot.send_document(chat_id, draft["document"], caption=text)
    return await bot.send_message(chat_id, draft.get("text", ""))


def _target_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(t.TARGET_ALL, "all"), _button(t.TARGET_COMMUNITY, "com")],
            [_button(t.TARGET_CHATS, "chs"), _button(t.TARGET_SUBSCRIBERS, "sub")],
            [_button(t.CANCEL, "no")],
        ]
    )


async def chosen(update: Update, context: BotContext) -> int:
    """Every button of the flow; who pressed is checked again on each press."""
    query = update.callback_query
    assert query is not None
    if not await ensure_staff(update, context):
        return ConversationHandler.END
    press = callbacks.parse(query.data, PREFIX, ACTIONS)
    draft: dict[str, Any] | None = _user_data(context).get(DRAFT)
    if press is None or draft is None or "text" not in draft:
        await query.answer(t.EXPIRED, show_alert=True)
        return ConversationHandler.END
    await query.answer()
    services = context.services
    db = services.db
    match press.action:
        case "no":
            _user_data(context).pop(DRAFT, None)
            await query.edit_message_text(t.CANCELLED)
            return ConversationHandler.END
        case "back":
            await query.edit_message_text(t.CHOOSE_TARGET, reply_markup=_target_menu())
        case "all":
            return await _summary(query.message, context, draft, Target.all())
        case "com":
            pairs = await notices_repo.known_communities(db)
            if not pairs:
                await query.edit_message_text(t.NO_COMMUNITIES, reply_markup=_target_menu())
                return CHOOSE
            specs = [Target.community(c, b).spec() for c, b in pairs]
            communities = list(dict.fromkeys(Target.community(c).spec() for c, _ in pairs))
            draft["choices"] = (communities + [s for s in specs if s not in communities])[:40]
            rows = [[_button(t.target_label(s), "cp", i)] for i, s in enumerate(draft["choices"])]
            await query.edit_message_text(
                t.PICK_COMMUNITY,
                reply_markup=InlineKeyboardMarkup([*rows, [_button(t.BACK, "back")]]),
            )
        case "cp":
            choices = draft.get("choices") or []
            if press.id >= len(choices):
                return CHOOSE
            return await _summary(query.message, context, draft, Target.parse(choices[press.id]))
        case "chs" | "tg":
            if press.action == "chs":
                groups = (await notices_repo.group_chats(db))[:MAX_PICK]
                if not groups:
                    await query.edit_message_text(t.NO_GROUPS, reply_markup=_target_menu())
                    return CHOOSE
                draft["groups"], draft["picked"] = groups, []
            elif press.id < len(draft.get("groups", [])):
                chat_id = draft["groups"][press.id]
                picked = draft["picked"]
                picked.remove(chat_id) if chat_id in picked else picked.append(chat_id)
            await query.edit_message_text(
                t.PICK_CHATS, reply_markup=await _chat_picker(services, draft)
            )
        case "done":
            if not draft.get("picked"):
                await query.answer(t.NOTHING_PICKED, show_alert=True)
                return CHOOSE
            return await _summary(query.message, context, draft, Target.chats(draft["picked"]))
        case "sub":
            rows = [[_button(topic, "tp", i)] for i, topic in enumerate(t.TOPICS)]
            await query.edit_message_text(
                t.PICK_TOPIC, reply_markup=InlineKeyboardMarkup([*rows, [_button(t.BACK, "back")]])
            )
        case "tp":
            if press.id >= len(t.TOPICS):
                return CHOOSE
            target = Target.subscribers(t.TOPICS[press.id])
            return await _summary(query.message, context, draft, target)
        case "pin" | "urg":
            key = "pin" if press.action == "pin" else "urgent"
            draft[key] = not draft[key]
            return await _summary(query.message, context, draft, Target.parse(draft["target"]))
        case "ok":
            return await _confirm(update, context, draft)
    return CHOOSE


async def _chat_picker(services: Services, draft: dict[str, Any]) -> InlineKeyboardMarkup:
    titles = await notices_repo.chat_titles(services.db, draft["groups"])
    rows = [
        [_button(("✅ " if c in draft["picked"] else "") + (titles.get(c) or str(c)), "tg", i)]
        for i, c in enumerate(draft["groups"])
    ]
    return InlineKeyboardMarkup(
        [*rows, [_button(t.DONE_PICKING, "done"), _button(t.BACK, "back")]]
    )


async def _summary(
    message: object, context: BotContext, draft: dict[str, Any], target: Target
) -> int:
    count = len(await _service(context).resolve(target))
    assert isinstance(message, Message)
    if not count:
        await message.edit_text(t.NO_RECIPIENTS, reply_markup=_target_menu())
        return CHOOSE
    draft["target"] = target.spec()
    draft["count"] = count
    yes_no = {True: t.YES, False: t.NO}
    await message.edit_text(
        t.SUMMARY.format(
            target=t.target_label(target.spec()),
            count=count,
            pin=yes_no[draft["pin"]],
            urgent=yes_no[draft["urgent"]],
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    _button(t.TOGGLE_PIN.format(state=yes_no[draft["pin"]]), "pin"),
                    _button(t.TOGGLE_URGENT.format(state=yes_no[draft["urgent"]]), "urg"),
                ],
                [_button(t.CONFIRM, "ok"), _button(t.CANCEL, "no"), _button(t.BACK, "back")],
            ]
        ),
    )
    return CHOOSE


async def _confirm(update: Update, context: BotContext, draft: dict[str, Any]) -> int:
    query = update.callback_query
    user = update.effective_user
    assert query is not None
    assert user is not None
    if "target" not in draft:
        return CHOOSE
    target = Target.parse(draft["target"])
    notice_id = await _service(context).create_notice(
        text=draft["text"],
        kind="broadcast",
        target=target,
        topic=None,
        urgent=bool(draft["urgent"]),
        pin=bool(draft["pin"]),
        created_by=user.id,
        ref=None,
        photo_file_id=draft.get("photo"),
        document_file_id=draft.get("document"),
    )
    _user_data(context).pop(DRAFT, None)
    notice = await _service(context).get_notice(notice_id)
    await query.edit_message_text(
        t.QUEUED.format(id=notice_id, count=notice.total if notice else 0),
        reply_markup=InlineKeyboardMarkup(
            [[_button(t.STOP_BUTTON.format(id=notice_id), "stop", notice_id, prefix=LIST_PREFIX)]]
        ),
    )
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    _user_data(context).pop(DRAFT, None)
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.CANCELLED)
    return ConversationHandler.END


async def notices_command(update: Update, context: BotContext) -> None:
    """/notices: the latest notices, each with its report button (and stop while sending)."""
    if not await ensure_staff(update, context):
        return
    message = update.effective_message
    assert message is not None
    notices = await _service(context).list_notices(limit=10)
    if not notices:
        await message.reply_text(t.NO_NOTICES)
        return
    tz = context.services.settings.timezone
    lines, rows = [t.NOTICES_HEAD], []
    for n in notices:
        lines.append(
            t.NOTICE_LINE.format(
                id=n.id,
                when=to_local(n.created_at, tz).strftime("%m-%d %H:%M"),
                kind=t.KIND.get(n.kind, n.kind),
                urgent="（紧急）" if n.urgent else "",
                target=t.target_label(n.target),
                status=t.STATE.get(n.state, n.state),
            )
        )
        row = [_button(t.SHOW_BUTTON.format(id=n.id), "show", n.id, prefix=LIST_PREFIX)]
        if n.state == "queued":
            row.append(_button(t.STOP_BUTTON.format(id=n.id), "stop", n.id, prefix=LIST_PREFIX))
        rows.append(row)
    await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


async def notice_button(update: Update, context: BotContext) -> None:
    """报告 / 停止发送 buttons; staff only, checked on every press."""
    query = update.callback_query
    assert query is not None
    if not await ensure_staff(update, context):
        return
    press = callbacks.parse(query.data, LIST_PREFIX, LIST_ACTIONS)
    if press is None:
        await query.answer(t.EXPIRED, show_alert=True)
        return
    await query.answer()
    service = _service(context)
    chat_id = query.message.chat.id if query.message else update.effective_user.id  # type: ignore[union-attr]
    if press.action == "stop":
        user = update.effective_user
        skipped = await service.cancel_notice(press.id, by=user.id if user else 0)
        text = (
            t.NOT_RUNNING.format(id=press.id)
            if skipped is None
            else t.STOPPED.format(id=press.id, skipped=skipped)
        )
        await context.bot.send_message(chat_id, text)
        return
    report = await service.notice_report(press.id)
    await context.bot.send_message(chat_id, t.report(report) if report else t.NOT_FOUND)


async def send_report(bot: ExtBot[Any], service: NoticeService, notice_id: int) -> None:
    """A finished notice's report, to the staff member who sent it (not for CLI notices)."""
    report = await service.notice_report(notice_id)
    if report is None or report.notice.created_by <= 0:
        return
    await bot.send_message(report.notice.created_by, t.report(report))


def conversation() -> ConversationHandler:  # type: ignore[type-arg]
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    body = private & ((filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL)
    with warnings.catch_warnings():
        # One draft per staff member; the buttons need not be tracked per message.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("broadcast", start, filters=NEW_MESSAGES)],
            states={
                COMPOSE: [
                    MessageHandler(body, content),
                    MessageHandler(private & ~filters.COMMAND, not_content),
                ],
                CHOOSE: [CallbackQueryHandler(chosen, pattern=callbacks.pattern(PREFIX))],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            name="notices_broadcast",
            persistent=True,
            allow_reentry=True,
        )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("notices", notices_command, filters=NEW_MESSAGES),
        CallbackQueryHandler(notice_button, pattern=callbacks.pattern(LIST_PREFIX)),
        # A forged or stale flow button outside the conversation: refused the same way.
        CallbackQueryHandler(chosen, pattern=callbacks.pattern(PREFIX)),
    ]
