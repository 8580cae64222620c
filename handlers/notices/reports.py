"""/notices: the latest notices with their delivery reports and a stop button, and the
report a finished notice sends to the staff member who wrote it."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ExtBot

from handlers import callbacks
from handlers.access import ensure_staff
from handlers.context import BotContext
from handlers.notices import texts as t
from knowledge.notices.service import NoticeService
from storage.clock import to_local

LIST_PREFIX = "ntf"  # buttons of /notices and of the "queued" message
LIST_ACTIONS = {"show": 1, "stop": 1}


def notice_service(context: BotContext) -> NoticeService:
    notices = context.services.notices
    if notices is None:
        raise RuntimeError("notice service used before post_init opened it")
    return notices


def _list_button(label: str, action: str, notice_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        label, callback_data=callbacks.encode(LIST_PREFIX, action, notice_id)
    )


def stop_button(notice_id: int) -> InlineKeyboardButton:
    """停止发送, under a queued notice in /notices and in the "queued" message."""
    return _list_button(t.STOP_BUTTON.format(id=notice_id), "stop", notice_id)


async def notices_command(update: Update, context: BotContext) -> None:
    """/notices: the latest notices, each with its report button (and stop while sending)."""
    if not await ensure_staff(update, context):
        return
    message = update.effective_message
    assert message is not None
    notices = await notice_service(context).list_notices(limit=10)
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
        row = [_list_button(t.SHOW_BUTTON.format(id=n.id), "show", n.id)]
        if n.state == "queued":
            row.append(stop_button(n.id))
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
    service = notice_service(context)
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
