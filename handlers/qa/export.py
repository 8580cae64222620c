"""/kbexport: staff download the residents' question log as an Excel file for the street office."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from telegram import Update
from telegram.constants import ChatAction, FileSizeLimit
from telegram.ext import BaseHandler, CommandHandler

from handlers.access import NEW_MESSAGES, ensure_staff, in_staff_place
from handlers.context import BotContext
from handlers.qa import texts as t
from knowledge.qa.question_export import (
    STATUS_WORDS,
    ExportFormat,
    ExportSelection,
    write_question_log,
)
from storage import staff_repo

MAX_DAYS = 3650
_DAYS = re.compile(r"([0-9]{1,4})天?")
_BEIJING_ZONES = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"}


def parse_export_args(args: Sequence[str], today: date) -> ExportSelection | None:
    """`[days] [status]` in either order; None for anything else (shown the usage)."""
    days: int | None = None
    statuses: frozenset[str] | None = None
    for raw in args:
        word = raw.strip().lower()
        match = _DAYS.fullmatch(word)
        if match is not None and days is None:
            days = int(match.group(1))
            if not 1 <= days <= MAX_DAYS:
                return None
        elif word in STATUS_WORDS and statuses is None:
            statuses = STATUS_WORDS[word]
        else:
            return None
    if days is None:
        return ExportSelection(statuses=statuses)
    return ExportSelection(start=today - timedelta(days=days - 1), end=today, statuses=statuses)


async def kbexport_command(update: Update, context: BotContext) -> None:
    """/kbexport [days] [status]: the question log as XLSX, in private or the staff chat."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or not await ensure_staff(update, context):
        return
    settings = context.services.settings
    if not in_staff_place(update, context):
        # Residents' questions can be personal: never send the log to a residents' group.
        await message.reply_text(t.EXPORT_PRIVATE_ONLY)
        return
    today = datetime.now(settings.timezone).date()
    selection = parse_export_args(context.args or [], today)
    if selection is None:
        await message.reply_text(t.EXPORT_USAGE.format(max_days=MAX_DAYS))
        return
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    buffer = io.BytesIO()
    db = context.services.db
    count = await write_question_log(
        db, buffer, ExportFormat.XLSX, tz=settings.timezone, selection=selection
    )
    dates, statuses = selection.describe_dates(), selection.describe_statuses()
    if count == 0:
        await message.reply_text(t.EXPORT_EMPTY.format(dates=dates, statuses=statuses))
        return
    data = buffer.getvalue()
    if len(data) > FileSizeLimit.FILESIZE_UPLOAD:  # what the Bot API lets a bot send
        await message.reply_text(t.EXPORT_TOO_BIG.format(size_mb=len(data) // (1024 * 1024)))
        return
    user = update.effective_user
    await staff_repo.record_audit(
        db, user.id if user else 0, "kb.export", None, f"{count} rows; {dates}; {statuses}"
    )
    tz_name = settings.tz_name
    caption = t.EXPORT_CAPTION.format(
        count=count,
        dates=dates,
        statuses=statuses,
        tz=t.TZ_BEIJING if tz_name in _BEIJING_ZONES else t.TZ_OTHER.format(name=tz_name),
    )
    await message.reply_document(
        document=data, filename=_filename(selection, today), caption=caption
    )


def _filename(selection: ExportSelection, today: date) -> str:
    if selection.start is not None and selection.end is not None:
        stamp = f"{selection.start:%Y%m%d}-{selection.end:%Y%m%d}"
    else:
        stamp = t.STAMP_UNTIL.format(day=f"{today:%Y%m%d}")
    return t.EXPORT_FILENAME.format(stamp=stamp)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [CommandHandler("kbexport", kbexport_command, filters=NEW_MESSAGES)]
