"""The chats the bot is in: joins, removals, migrations, and naming a group's community."""

from __future__ import annotations

import logging
import re

import aiosqlite
from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.ext import (
    BaseHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import texts as common
from handlers.access import NEW_MESSAGES, ensure_staff, in_staff_place, is_private
from handlers.admin import texts
from handlers.context import BotContext
from knowledge.households.addressing import canonical_building
from storage import chats_repo, households_repo, staff_repo

logger = logging.getLogger(__name__)

_PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}


async def remember_chat(update: Update, context: BotContext) -> None:
    """Record every chat a message arrives from (once per process)."""
    chat = update.effective_chat
    services = context.services
    if chat is None or chat.id in services.seen_chats or update.my_chat_member is not None:
        return
    await chats_repo.touch_chat(services.db, chat.id, chat.type, chat.title)
    services.seen_chats.add(chat.id)


async def membership_changed(update: Update, context: BotContext) -> None:
    """The bot was added to, removed from, or blocked in a chat."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    new_status = change.new_chat_member.status
    if new_status in _PRESENT:
        status = "member"
    elif new_status == ChatMember.BANNED:
        status = "blocked" if chat.type == "private" else "kicked"
    else:
        status = "left"
    db = context.services.db
    await chats_repo.upsert_chat(db, chat.id, chat.type, chat.title, status)
    context.services.seen_chats.discard(chat.id)
    logger.info("Membership in chat %s is now %s", chat.id, status)
    was_present = change.old_chat_member.status in _PRESENT
    if status == "member" and not was_present and chat.type != "private":
        await context.bot.send_message(
            chat.id, common.GROUP_GREETING.format(community=context.services.settings.community)
        )


async def chat_migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup: the stored record follows the new id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old_id, new_id = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old_id, new_id = message.migrate_from_chat_id, message.chat.id
    else:
        return
    if await chats_repo.get_chat(context.services.db, old_id) is None and (
        await chats_repo.get_chat(context.services.db, new_id) is not None
    ):
        return  # the other half of the migration pair already moved it
    await chats_repo.migrate_chat(context.services.db, old_id, new_id)
    context.application.migrate_chat_data(old_chat_id=old_id, new_chat_id=new_id)
    context.services.seen_chats.discard(old_id)
    logger.info("Chat %s migrated to %s", old_id, new_id)


async def bind_group(update: Update, context: BotContext) -> None:
    """/bindgroup <小区> [楼栋]: staff record which community or building a group belongs to.

    Matched against the household register with the spellings import accepts (3 / 3号楼 /
    3栋), so later features can target `building:幸福小区/3`; a name not in the register is
    still recorded (a community without a roster still gets notices), and the reply says so.
    """
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or not await ensure_staff(update, context):
        return
    if is_private(update):
        await message.reply_text(texts.BIND_ONLY_GROUP)
        return
    args = context.args or []
    name = " ".join(args).strip()
    if not name:
        await message.reply_text(texts.BIND_USAGE)
        return
    if len(name) > 40:
        await message.reply_text(texts.BIND_TOO_LONG)
        return
    db = context.services.db
    community, building, registered = await _match_register(db, args)
    await chats_repo.touch_chat(db, chat.id, chat.type, chat.title)
    await chats_repo.bind_chat(db, chat.id, name, community, building)
    actor = update.effective_user
    target = f"building:{community}/{building}" if building else f"community:{community}"
    await staff_repo.record_audit(
        db, actor.id if actor else 0, "chat.bind", str(chat.id), f"{name} → {target}"
    )
    reply = texts.BIND_DONE.format(name=name)
    if not registered:
        reply += texts.BIND_NOT_IN_REGISTER
    await message.reply_text(reply)


_TRAILING_BUILDING = re.compile(
    r"^(?P<c>.+?)(?P<b>[0-9０-９一二三四五六七八九十A-Za-z]+(号楼|栋|幢|座))$"
)


async def _match_register(
    db: aiosqlite.Connection, args: list[str]
) -> tuple[str, str | None, bool]:
    """(community, canonical building or None, whether the register holds them).

    `幸福小区 3号楼`, `幸福小区 3`, and `幸福小区3号楼` in one word all name building 3.
    """
    community_text, building_text = args[0], " ".join(args[1:]).strip()
    found = await households_repo.find_community(db, " ".join(args))
    if found is not None:
        return found, None, True
    found = await households_repo.find_community(db, community_text)
    if found is None and not building_text:
        split = _TRAILING_BUILDING.match(community_text)
        if split is not None:
            in_register = await households_repo.find_community(db, split["c"])
            if in_register is not None:
                found, building_text = in_register, split["b"]
    building = canonical_building(building_text) if building_text else None
    if found is None:
        return community_text, building, False
    if building is None:
        return found, None, True
    return found, building, building in await households_repo.list_buildings(db, found)


async def list_chats(update: Update, context: BotContext) -> None:
    """/chats: the groups the bot knows, with their status and binding."""
    message = update.effective_message
    if message is None or not await ensure_staff(update, context):
        return
    if not in_staff_place(update, context):
        # Group titles and ids (the staff group's among them) are not for residents' eyes.
        await message.reply_text(common.NOT_IN_GROUP)
        return
    records = await chats_repo.list_chats(context.services.db, groups_only=True)
    if not records:
        await message.reply_text(texts.CHATS_EMPTY)
        return
    lines = [
        texts.CHAT_LINE.format(
            title=r.title or "未命名群",
            chat_id=r.chat_id,
            status=texts.CHAT_STATUS.get(r.status, r.status),
            bound=f" —「{r.bound_name}」" if r.bound_name else "",
        )
        for r in records[:100]
    ]
    await message.reply_text("\n".join([texts.CHATS_HEAD, *lines]))


def observers() -> list[BaseHandler]:  # type: ignore[type-arg]
    # Group -1 runs before everything else and never stops other handlers.
    return [TypeHandler(Update, remember_chat)]


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, chat_migrated),
        CommandHandler("bindgroup", bind_group, filters=NEW_MESSAGES),
        CommandHandler("chats", list_chats, filters=NEW_MESSAGES),
    ]
