"""Staff side: decide binding requests, /household and unlink; every staff button's press.

Every view of a household's personal data and every change goes to the audit log; rights
are checked again on every button press. The roster file by chat is in roster_upload.py
(its `roster_handlers` re-exported here); its 确认导入 button is parsed here with the others.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from handlers import callbacks
from handlers.access import NEW_MESSAGES, ensure_staff, in_staff_place
from handlers.context import BotContext
from handlers.households import texts as t
from handlers.households.roster_upload import confirm_import
from handlers.households.roster_upload import roster_handlers as roster_handlers
from handlers.households.staff_buttons import ACTIONS, PREFIX
from knowledge.households import linking
from knowledge.households.addressing import format_address, mask_phone, parse_address
from knowledge.households.linking import Role
from storage import household_links_repo, households_repo, staff_repo
from storage.clock import to_local
from storage.households_repo import Household

logger = logging.getLogger(__name__)


def _address(h: Household) -> str:
    return format_address(h.building, h.unit, h.room)


# --- binding requests -------------------------------------------------------------------


async def notify_staff_of_request(
    context: BotContext, link_id: int, household: Household, user: User, role: Role
) -> bool:
    """Post a request with 通过/拒绝 in the staff chat; False when there is none to post to."""
    chat_id = context.services.settings.staff_chat_id
    if chat_id is None:
        return False
    text = t.STAFF_REQUEST.format(
        link_id=link_id,
        community=household.community,
        address=_address(household),
        role=t.ROLE_LABELS[role.value],
        name=user.full_name,
        user_id=user.id,
        owners="、".join(household.owners) or t.NONE,
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.BTN_APPROVE, callback_data=callbacks.encode(PREFIX, "ok", link_id)
                ),
                InlineKeyboardButton(
                    t.BTN_REJECT, callback_data=callbacks.encode(PREFIX, "no", link_id)
                ),
            ]
        ]
    )
    try:
        await context.bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramError as exc:
        logger.warning("Could not post binding request %s to the staff chat: %s", link_id, exc)
        return False
    return True


async def _decide(update: Update, context: BotContext, link_id: int, approve: bool) -> None:
    query = update.callback_query
    assert query is not None
    db = context.services.db
    link = await linking.decide_request(db, link_id, query.from_user.id, approve)
    if link is None:
        await query.answer(t.REQUEST_DECIDED, show_alert=True)
        return
    await query.answer()
    household = await households_repo.get_household(db, link.household_id)
    address = (household.community + _address(household)) if household else ""
    done = t.STAFF_APPROVED if approve else t.STAFF_REJECTED
    original = query.message.text or "" if isinstance(query.message, Message) else ""
    await query.edit_message_text(done.format(text=original, staff=query.from_user.full_name))
    notice = (
        t.RESIDENT_APPROVED.format(address=address, role=t.ROLE_LABELS.get(link.role, link.role))
        if approve
        else t.RESIDENT_REJECTED.format(address=address)
    )
    try:
        await context.bot.send_message(link.user_id, notice)
    except TelegramError as exc:
        logger.info("Could not tell user of link %s the decision: %s", link_id, exc)


# --- /household -----------------------------------------------------------------------


async def household_command(update: Update, context: BotContext) -> None:
    """/household 3-1-101 [小区]: the room, its owners and who is linked, with unlink buttons."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or not await ensure_staff(update, context):
        return
    if not in_staff_place(update, context):
        await message.reply_text(t.HOUSEHOLD_PRIVATE_ONLY)
        return
    args = context.args or []
    if not args:
        await message.reply_text(t.HOUSEHOLD_USAGE)
        return
    db = context.services.db
    parsed = parse_address(args[0])
    if parsed is None:
        await message.reply_text(t.HOUSEHOLD_USAGE)
        return
    community = await _community(update, context, " ".join(args[1:]))
    if community is None:
        return
    household = await households_repo.find_household(db, community, *parsed)
    if household is None:
        await message.reply_text(
            t.HOUSEHOLD_NOT_FOUND.format(community=community, address=format_address(*parsed))
        )
        return
    text, markup = await household_view(context, household)
    await staff_repo.record_audit(db, user.id, "household.view", str(household.id))
    await message.reply_text(text, reply_markup=markup)


async def _community(update: Update, context: BotContext, typed: str) -> str | None:
    """The community meant: as typed, else the only one, else the bot's own; asks if unclear."""
    message = update.effective_message
    assert message is not None
    db = context.services.db
    if typed:
        found = await households_repo.find_community(db, typed)
        if found is None:
            await message.reply_text(t.HOUSEHOLD_NO_COMMUNITY.format(name=typed))
        return found
    names = await households_repo.list_communities(db)
    if len(names) == 1:
        return names[0]
    own = await households_repo.find_community(db, context.services.settings.community)
    if own is not None:
        return own
    await message.reply_text(t.HOUSEHOLD_WHICH_COMMUNITY.format(names="、".join(names) or t.NONE))
    return None


async def household_view(
    context: BotContext, household: Household
) -> tuple[str, InlineKeyboardMarkup | None]:
    links = await household_links_repo.links_for_household(context.services.db, household.id)
    tz = context.services.settings.timezone
    lines = [
        t.HOUSEHOLD_VIEW.format(
            community=household.community,
            address=_address(household),
            area=f"{household.area:.2f}",
            unsold=t.HOUSEHOLD_UNSOLD if household.unsold else "",
            owners="、".join(household.owners) or t.NONE,
            phones="、".join(mask_phone(p) for p in household.phones) or t.NONE,
            owner_key=household.owner_key or t.NONE,
        )
    ]
    lines += [
        t.HOUSEHOLD_LINK.format(
            user_id=link.user_id,
            role=t.ROLE_LABELS.get(link.role, link.role),
            status=t.STATUS_LABELS.get(link.status, link.status),
            via=t.VIA_LABELS.get(link.via, link.via),
            date=to_local(link.created_at, tz).strftime("%Y-%m-%d"),
        )
        for link in links
    ] or [t.HOUSEHOLD_NO_LINKS]
    buttons = [
        [
            InlineKeyboardButton(
                t.BTN_UNLINK.format(user_id=link.user_id),
                callback_data=callbacks.encode(PREFIX, "unl", link.id),
            )
        ]
        for link in links[:20]
    ]
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None


async def _unlink(update: Update, context: BotContext, link_id: int) -> None:
    query = update.callback_query
    assert query is not None
    db = context.services.db
    link = await linking.unlink(db, link_id, query.from_user.id)
    if link is None:
        await query.answer(t.UNLINK_GONE, show_alert=True)
        return
    await query.answer()
    household = await households_repo.get_household(db, link.household_id)
    address = (household.community + _address(household)) if household else ""
    chat_id = query.message.chat.id if query.message else query.from_user.id
    await context.bot.send_message(
        chat_id, t.UNLINKED.format(user_id=link.user_id, address=address)
    )
    if household is not None:
        text, markup = await household_view(context, household)
        await query.edit_message_text(text, reply_markup=markup)


async def staff_button(update: Update, context: BotContext) -> None:
    """通过/拒绝, 解除, 确认导入/取消: staff rights and the place are checked on every press."""
    query = update.callback_query
    if query is None:
        return
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    if pressed is None:
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return
    if not await ensure_staff(update, context):
        return
    if not in_staff_place(update, context):
        await query.answer(t.HOUSEHOLD_PRIVATE_ONLY, show_alert=True)
        return
    if pressed.action in {"ok", "no"}:
        await _decide(update, context, pressed.id, pressed.action == "ok")
    elif pressed.action == "unl":
        await _unlink(update, context, pressed.id)
    else:
        await confirm_import(update, context, pressed.action == "imp")


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("household", household_command, filters=NEW_MESSAGES),
        CallbackQueryHandler(staff_button, pattern=callbacks.pattern(PREFIX)),
    ]
