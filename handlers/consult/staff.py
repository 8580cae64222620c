"""Staff: /consult list|tally|publish|close and /record (the guided flow is in create.py)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CommandHandler,
)

from handlers.access import NEW_MESSAGES, ensure_staff
from handlers.callbacks import parse_id
from handlers.consult import texts as t
from handlers.consult.ballot import mark_dirty, service
from handlers.context import BotContext
from knowledge.consult.export import write_record
from knowledge.consult.service import ConsultError, when
from knowledge.consult.wording import decision_lines, tally_lines


async def subcommand(update: Update, context: BotContext, args: list[str]) -> str:
    svc = service(context.services)
    tz = context.services.settings.timezone
    if args[0] == "list":
        records = await svc.list_all()
        if not records:
            return t.LIST_EMPTY
        return "\n".join(
            t.LIST_LINE.format(
                cid=r.id, status=t.STATUS[r.status], title=r.title, events=r.events,
                closes=when(r.closes_at).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            )
            for r in records[:20]
        )  # fmt: skip
    cid = parse_id(args[1]) if len(args) == 2 else None
    if cid is None or args[0] not in {"tally", "publish", "close"}:
        return t.USAGE
    record = await svc.get(cid)
    if record is None:
        return t.NOT_FOUND.format(cid=cid)
    if args[0] == "tally":
        result = await svc.tally(cid)
        assert result is not None
        lines = tally_lines(result.tally) + decision_lines(result.decision, result.tally)
        return f"#{cid} {record.title}（{t.STATUS[record.status]}）\n" + "\n".join(lines)
    if args[0] == "publish":
        try:
            await svc.publish(cid)
        except ConsultError as exc:
            return t.PUBLISH_FAILED.format(reason=exc)
        return t.PUBLISHED.format(cid=cid)
    if record.status == "closed":
        return t.ALREADY_CLOSED.format(cid=cid)
    user = update.effective_user
    await svc.close(cid, user.id if user else 0, early=True)
    mark_dirty(context.application, cid)
    return t.CLOSED_NOW.format(cid=cid)


async def record_command(update: Update, context: BotContext) -> None:
    """/record ID: the record's summary as text and the workbook as a file."""
    message = update.effective_message
    if message is None or not await ensure_staff(update, context):
        return
    args = context.args or []
    cid = parse_id(args[0]) if len(args) == 1 else None
    if cid is None:
        await message.reply_text(t.RECORD_USAGE)
        return
    record = await service(context.services).record(cid, context.services.settings.timezone)
    if record is None:
        await message.reply_text(t.NOT_FOUND.format(cid=cid))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"征询记录-{cid}.xlsx"
        write_record(record, path)
        data = path.read_bytes()
    summary = "\n".join(
        [f"征询记录 #{cid}：{record.context.title}", *record.lines,
         f"记录校验码：{record.context.final_hash}"]
    )  # fmt: skip
    await message.reply_text(summary)
    await message.reply_document(
        io.BytesIO(data), filename=f"征询记录-{cid}.xlsx", caption=t.RECORD_CAPTION.format(cid=cid)
    )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [CommandHandler("record", record_command, filters=NEW_MESSAGES)]
