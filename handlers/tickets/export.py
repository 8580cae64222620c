"""/export: staff download the complaint log (with its history sheet) or, with `needs`, the
renovation demand list, as XLSX in private chat: the same files `resident-bot export`
writes, through the one spreadsheet writer (formula-like cells neutralised there). Staff
who handled a case are named as 网格员小张（901）: the export reads the display names
`handlers.access` keeps for staff (and kept for former staff).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from telegram import Update
from telegram.constants import ChatAction, FileSizeLimit
from telegram.ext import CommandHandler

from handlers.access import NEW_MESSAGES, ensure_staff, is_private
from handlers.context import BotContext
from handlers.tickets import common
from handlers.tickets import texts as t
from knowledge.spreadsheet import SpreadsheetFormat
from knowledge.tickets.export import ComplaintSelection, write_complaints, write_needs
from knowledge.tickets.lifecycle import Status

MAX_DAYS = 3650
NEEDS_WORDS = {"needs", "need", "改造", "改造需求", "需求"}
_DAYS = re.compile(r"([0-9]{1,4})天?")


@dataclass(frozen=True)
class ExportRequest:
    needs: bool = False
    days: int | None = None
    status: Status | None = None

    def selection(self, today: date) -> ComplaintSelection:
        since = today - timedelta(days=self.days - 1) if self.days else None
        return ComplaintSelection(since=since, until=today if since else None, status=self.status)

    def scope(self) -> str:
        parts = [t.EXPORT_LAST_DAYS.format(days=self.days) if self.days else t.EXPORT_ALL_DAYS]
        if self.status is not None:
            parts.append(self.status.label)
        return "，".join(parts)


def parse_args(args: Sequence[str]) -> ExportRequest | None:
    """`needs`, or `[days] [status]` in either order; None for anything else."""
    words = [a.strip().lower() for a in args if a.strip()]
    if words and words[0] in NEEDS_WORDS:
        return ExportRequest(needs=True) if len(words) == 1 else None
    days: int | None = None
    status: Status | None = None
    for word in words:
        found = _DAYS.fullmatch(word)
        if found is not None and days is None:
            days = int(found[1])
            if not 1 <= days <= MAX_DAYS:
                return None
            continue
        match = next((s for s in Status if word in (s.value, s.label)), None)
        if match is None or status is not None:
            return None
        status = match
    return ExportRequest(days=days, status=status)


async def export_command(update: Update, context: BotContext) -> None:
    """/export [days] [status] | /export needs: an XLSX file, staff only, private only."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    if not await ensure_staff(update, context):
        return
    if not is_private(update):
        # Names and phones of residents: never into a group, not even the staff group.
        await message.reply_text(t.EXPORT_PRIVATE_ONLY)
        return
    request = parse_args(context.args or [])
    if request is None:
        await message.reply_text(t.EXPORT_USAGE)
        return
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    settings = context.services.settings
    now = datetime.now(settings.timezone)
    db = context.services.db
    buffer = io.BytesIO()
    if request.needs:
        what, scope = t.EXPORT_NEEDS, t.EXPORT_ALL_DAYS
        count = await write_needs(db, buffer, catalog=common.catalog(context))
        filename = t.EXPORT_FILENAME_NEEDS.format(stamp=f"{now:%Y%m%d}")
    else:
        what, scope = t.EXPORT_COMPLAINTS, request.scope()
        count, _events = await write_complaints(
            db,
            buffer,
            None,
            SpreadsheetFormat.XLSX,
            catalog=common.catalog(context),
            tz=settings.timezone,
            selection=request.selection(now.date()),
            now=now,
        )
        filename = t.EXPORT_FILENAME_COMPLAINTS.format(stamp=f"{now:%Y%m%d}")
    if count == 0:
        await message.reply_text(t.EXPORT_EMPTY.format(what=what, scope=scope))
        return
    data = buffer.getvalue()
    if len(data) > FileSizeLimit.FILESIZE_UPLOAD:  # what the Bot API lets a bot send
        await message.reply_text(t.EXPORT_TOO_BIG.format(size_mb=len(data) // (1024 * 1024)))
        return
    await common.service(context).record_export(
        user.id, "needs" if request.needs else "complaints", scope
    )
    caption = t.EXPORT_CAPTION.format(
        what=what, count=count, scope=scope, at=f"{now:%Y-%m-%d %H:%M}"
    )
    await message.reply_document(document=data, filename=filename, caption=caption)


def handlers() -> common.Handlers:
    return [CommandHandler("export", export_command, filters=NEW_MESSAGES)]
