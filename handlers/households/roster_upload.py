"""The roster file by chat: staff send a .csv/.xlsx in private, see the checked plan, and
确认导入 fetches, checks and writes it (the button is parsed in `staff.staff_button`)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, MessageHandler, filters

from handlers import callbacks
from handlers.access import NEW_MESSAGES, staff_upload
from handlers.context import BotContext
from handlers.households import texts as t
from handlers.households.staff_buttons import PREFIX
from knowledge.households.roster_service import RosterImportError, apply_import, plan_import

MAX_ERRORS_SHOWN = 30
ROSTER = "hh_roster"  # user_data key: the checked file awaiting 确认导入
ROSTER_FILES = filters.Document.FileExtension("csv") | filters.Document.FileExtension("xlsx")


async def receive_roster(update: Update, context: BotContext) -> None:
    """A .csv/.xlsx in private: staff get a checked summary and 确认导入; others nothing."""
    upload = await staff_upload(
        update,
        context,
        default_name="roster.csv",
        not_staff=t.ROSTER_NOT_STAFF,
        too_big=t.ROSTER_TOO_BIG,
    )
    if upload is None:
        return
    message, document, name = upload.message, upload.document, upload.name
    await message.reply_text(t.ROSTER_CHECKING.format(name=name))
    community = (message.caption or "").strip() or None
    data = bytes(await (await document.get_file()).download_as_bytearray())
    plan = await plan_import(context.services.db, data, name, community, False)
    if plan.errors:
        await message.reply_text(_errors_text(t.ROSTER_ERRORS, plan.errors))
        return
    if context.user_data is not None:
        context.user_data[ROSTER] = {
            "file_id": document.file_id,
            "name": name,
            "community": community,
        }
    counts = plan.counts
    warnings = (
        t.ROSTER_WARNINGS.format(lines="\n".join(plan.warnings[:10])) if plan.warnings else ""
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.BTN_IMPORT, callback_data=callbacks.encode(PREFIX, "imp")),
                InlineKeyboardButton(
                    t.BTN_IMPORT_CANCEL, callback_data=callbacks.encode(PREFIX, "impno")
                ),
            ]
        ]
    )
    await message.reply_text(
        t.ROSTER_PLAN.format(
            name=name,
            added=counts.added,
            changed=counts.changed,
            unchanged=counts.unchanged,
            removed="",
            warnings=warnings,
        ),
        reply_markup=markup,
    )


def _errors_text(template: str, errors: tuple[str, ...]) -> str:
    shown = list(errors[:MAX_ERRORS_SHOWN])
    if len(errors) > MAX_ERRORS_SHOWN:
        shown.append(t.ROSTER_MORE_ERRORS.format(count=len(errors) - MAX_ERRORS_SHOWN))
    return template.format(count=len(errors), errors="\n".join(shown))


async def confirm_import(update: Update, context: BotContext, confirmed: bool) -> None:
    """确认导入: the file is fetched and checked again, then written; 取消: forgotten."""
    query = update.callback_query
    assert query is not None
    pending = context.user_data.pop(ROSTER, None) if context.user_data is not None else None
    if not isinstance(pending, dict):
        await query.answer(t.ROSTER_EXPIRED, show_alert=True)
        return
    await query.answer()
    if not confirmed:
        await query.edit_message_text(t.ROSTER_CANCELLED)
        return
    db = context.services.db
    file = await context.bot.get_file(str(pending["file_id"]))
    data = bytes(await file.download_as_bytearray())
    plan = await plan_import(db, data, str(pending["name"]), pending.get("community"), False)
    try:
        done = await apply_import(db, plan, query.from_user.id)
    except RosterImportError as exc:
        await query.edit_message_text(t.ROSTER_CHANGED.format(errors="\n".join(exc.errors[:30])))
        return
    await query.edit_message_text(
        t.ROSTER_DONE.format(
            added=done.added, changed=done.changed, unchanged=done.unchanged, removed=""
        )
    )


def roster_handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Registered with the conversations, ahead of the Q&A's document import, so a roster
    file is never taken for a policy document."""
    return [MessageHandler(NEW_MESSAGES & filters.ChatType.PRIVATE & ROSTER_FILES, receive_roster)]
