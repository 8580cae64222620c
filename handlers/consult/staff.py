"""Staff: the guided /consult flow, /consult list|tally|publish|close, and /record."""

from __future__ import annotations

import io
import re
import tempfile
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

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
from handlers.access import NEW_MESSAGES, ensure_staff
from handlers.callbacks import parse_id
from handlers.consult import texts as t
from handlers.consult.ballot import mark_dirty, service
from handlers.context import BotContext
from knowledge.consult.export import write_record
from knowledge.consult.rules import RULES, parse_rule
from knowledge.consult.scope import ScopeError, parse_scope, scope_label
from knowledge.consult.service import ConsultError, Draft, when
from knowledge.consult.wording import decision_lines, rule_name, tally_lines
from knowledge.households.addressing import canonical_building
from storage.clock import utc_now

PREFIX = "cs"
ACTIONS = {"rule": 1, "go": 1, "no": 0}
TITLE, SCOPE, RULE, CLOSES, CONFIRM = range(5)
DRAFT = "consult_draft"  # user_data key
RULE_KEYS = tuple(RULES)
_DAYS = re.compile(r"^(\d{1,2})\s*天$")


def _button(label: str, action: str, *ids: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(PREFIX, action, *ids))


def _draft(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault(DRAFT, {})
    return draft


async def consult_command(update: Update, context: BotContext) -> int:
    """/consult starts the flow; with arguments it lists, tallies, publishes or closes."""
    message = update.effective_message
    if message is None or not await ensure_staff(update, context):
        return ConversationHandler.END
    args = context.args or []
    if args:
        await message.reply_text(await _subcommand(update, context, args))
        return ConversationHandler.END
    if update.effective_chat is None or update.effective_chat.type != "private":
        await message.reply_text(t.USAGE)
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data[DRAFT] = {}
    await message.reply_text(t.ASK_TITLE)
    return TITLE


async def _subcommand(update: Update, context: BotContext, args: list[str]) -> str:
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


async def got_title(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    _draft(context)["title"] = message.text.strip()[:200]
    await message.reply_text(t.ASK_SCOPE)
    return SCOPE


def _scope_spec(text: str) -> str:
    parts = []
    for piece in re.split(r"[,，、]", text):
        piece = piece.strip()
        if not piece:
            continue
        community, slash, building = piece.partition("/")
        if slash:
            parts.append(f"building:{community.strip()}/{canonical_building(building)}")
        else:
            parts.append(f"community:{community.strip()}")
    return ",".join(parts)


async def got_scope(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    try:
        spec = _scope_spec(message.text)
        parse_scope(spec)
    except ScopeError as exc:
        await message.reply_text(t.BAD_SCOPE.format(reason=exc))
        return SCOPE
    _draft(context)["scope"] = spec
    rows = [[_button(rule_name(parse_rule(k)), "rule", i)] for i, k in enumerate(RULE_KEYS)]
    await message.reply_text(t.ASK_RULE, reply_markup=InlineKeyboardMarkup(rows))
    return RULE


async def got_rule(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    if pressed is None or pressed.action != "rule" or pressed.id >= len(RULE_KEYS):
        await query.answer(t.STALE, show_alert=True)
        return RULE
    await query.answer()
    _draft(context)["rule"] = RULE_KEYS[pressed.id]
    await context.bot.send_message(query.from_user.id, t.ASK_CLOSES)
    return CLOSES


def parse_closes(text: str, now: datetime) -> datetime | None:
    raw = text.strip()
    days = _DAYS.match(raw)
    if days:
        return now + timedelta(days=int(days.group(1)))
    try:
        moment = datetime.strptime(raw, "%Y-%m-%d %H:%M").replace(tzinfo=now.tzinfo)
    except ValueError:
        return None
    return moment if moment > now else None


async def got_closes(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    now = utc_now().astimezone(context.services.settings.timezone)
    closes = parse_closes(message.text, now)
    if closes is None:
        await message.reply_text(t.BAD_CLOSES)
        return CLOSES
    draft = _draft(context)
    draft["closes"] = closes.isoformat()
    draft["opens"] = now.isoformat()
    text = t.CONFIRM.format(
        title=draft["title"],
        scope=scope_label(parse_scope(draft["scope"])),
        rule=rule_name(parse_rule(draft["rule"])),
        closes=closes.strftime("%Y-%m-%d %H:%M"),
    )
    buttons = InlineKeyboardMarkup(
        [
            [_button(t.BTN_PUBLISH, "go", 0)],
            [_button(t.BTN_PUBLISH_TALLY, "go", 1)],
            [_button(t.BTN_CANCEL, "no")],
        ]
    )
    await message.reply_text(text, reply_markup=buttons)
    return CONFIRM


async def confirmed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    if not await ensure_staff(update, context):
        return ConversationHandler.END
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    if pressed is None or pressed.action not in {"go", "no"}:
        await query.answer(t.STALE, show_alert=True)
        return CONFIRM
    await query.answer()
    assert context.user_data is not None
    draft = context.user_data.pop(DRAFT, {})
    if pressed.action == "no" or not draft:
        await context.bot.send_message(query.from_user.id, t.CANCELLED)
        return ConversationHandler.END
    svc = service(context.services)
    try:
        cid = await svc.create(
            Draft(
                title=draft["title"], question=draft["title"], scope=draft["scope"],
                rule=draft["rule"], opens_at=datetime.fromisoformat(draft["opens"]),
                closes_at=datetime.fromisoformat(draft["closes"]), show_tally=bool(pressed.id),
            ),
            query.from_user.id,
        )  # fmt: skip
        await svc.publish(cid)
    except (ConsultError, ScopeError) as exc:
        await context.bot.send_message(query.from_user.id, t.CREATE_FAILED.format(reason=exc))
        return ConversationHandler.END
    await context.bot.send_message(query.from_user.id, t.CREATED.format(cid=cid))
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.CANCELLED)
    return ConversationHandler.END


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


def conversation() -> ConversationHandler:  # type: ignore[type-arg]
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    buttons = CallbackQueryHandler
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("consult", consult_command, filters=NEW_MESSAGES)],
            states={
                TITLE: [MessageHandler(text, got_title)],
                SCOPE: [MessageHandler(text, got_scope)],
                RULE: [buttons(got_rule, pattern=callbacks.pattern(PREFIX))],
                CLOSES: [MessageHandler(text, got_closes)],
                CONFIRM: [buttons(confirmed, pattern=callbacks.pattern(PREFIX))],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            name="consult_create",
            persistent=True,
            allow_reentry=True,
        )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [CommandHandler("record", record_command, filters=NEW_MESSAGES)]
