"""Staff display names, end to end: /staff list names people only where personal data may
be shown, /staff add by reply keeps the name of someone who never used the bot, /me lists
a kept name and /leave deletes it (table and cache), to be kept again on the next staff
action; names with emoji or of the longest length Telegram allows work throughout."""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot.local_api import LocalBotApi, User
from handlers import texts as common
from handlers.admin import texts as admin_texts
from handlers.context import ResidentApplication
from handlers.households import texts as t
from storage import staff_repo
from tests.e2e.conftest import ADMIN, GROUP, NEIGHBOUR, RESIDENT, STAFF, STAFF_CHAT, buttons, rows
from tests.e2e.test_foundation_helpers import eventually
from tests.e2e.test_foundation_staff import add_staff
from tests.e2e.test_households_support import current_text, press

EMOJI = User(id=1003, first_name="🙂网格员", last_name="小李🌸", language_code="zh-hans")
# 64 + 64 characters, Telegram's limits for first and last name: 129 with the space.
LONGEST = User(id=1004, first_name="长" * 64, last_name="名" * 64, language_code="zh-hans")
LONGEST_NAME = "长" * 64 + " " + "名" * 64
QUIET = 0.2


async def _name(db: aiosqlite.Connection, user_id: int) -> list[tuple[Any, ...]]:
    return await rows(db, "SELECT display_name FROM staff_names WHERE user_id = ?", user_id)


async def _add_by_reply(api: LocalBotApi, author: User) -> None:
    """The admin replies /staff add to `author`'s message in the residents' group."""
    theirs = api.send_text(GROUP, author, "我是新来的网格员")
    api.send_text(GROUP, ADMIN, "/staff add", reply_to=theirs)
    reply = await api.next_message(GROUP.id)
    assert reply["text"] == admin_texts.STAFF_ADDED.format(user_id=author.id)


async def test_staff_list_names_people_in_private_and_the_staff_chat_only(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    await add_staff(api, STAFF.id)
    staff = api.private_chat(STAFF)
    api.send_text(staff, STAFF, "/staff list")
    listing = (await api.next_message(staff.id))["text"]
    assert "管理员（配置）：李主任（900）" in listing
    assert "• 网格员小张（901），" in listing
    assert "由 李主任（900） 添加" in listing

    api.send_text(STAFF_CHAT, STAFF, "/staff list")
    assert "网格员小张（901）" in (await api.next_message(STAFF_CHAT.id))["text"]

    # The residents' group: no roster at all, so no name.
    api.send_text(GROUP, STAFF, "/staff list")
    refused = await api.next_message(GROUP.id)
    assert refused["text"] == common.NOT_IN_GROUP
    assert "网格员小张" not in refused["text"]
    await api.expect_no_message(GROUP.id, within=QUIET)


async def test_staff_list_shows_an_id_alone_when_no_name_is_kept(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    await add_staff(api, STAFF.id)  # added by id: 901 has not used the bot yet
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/staff list")
    listing = (await api.next_message(admin.id))["text"]
    assert "• 901，" in listing
    assert "网格员小张" not in listing


async def test_staff_add_by_reply_keeps_the_name_of_who_never_used_the_bot(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    db = bot.services.db
    await _add_by_reply(api, NEIGHBOUR)
    assert await _name(db, NEIGHBOUR.id) == [("老王",)]
    await _add_by_reply(api, EMOJI)
    assert await _name(db, EMOJI.id) == [("🙂网格员 小李🌸",)]
    await _add_by_reply(api, LONGEST)
    assert await _name(db, LONGEST.id) == [(LONGEST_NAME,)]
    assert len(LONGEST_NAME) == 129

    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/staff list")
    listing = (await api.next_message(admin.id))["text"]
    assert "老王（1002）" in listing
    assert "🙂网格员 小李🌸（1003）" in listing
    assert f"{LONGEST_NAME}（1004）" in listing

    # Replying to one person while naming another by id keeps nobody's name.
    theirs = api.send_text(GROUP, RESIDENT, "随便说一句")
    api.send_text(GROUP, ADMIN, f"/staff add {STAFF.id}", reply_to=theirs)
    assert (await api.next_message(GROUP.id))["text"] == admin_texts.STAFF_ADDED.format(
        user_id=STAFF.id
    )
    assert await _name(db, RESIDENT.id) == []
    assert await _name(db, STAFF.id) == []


async def test_a_long_roster_of_long_names_is_split_under_telegrams_limit(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    for user_id in range(5000, 5040):
        await staff_repo.add_staff(db, user_id, added_by=ADMIN.id)
        await staff_repo.set_staff_name(db, user_id, "名" * 129)
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/staff list")
    first = await api.next_message(admin.id)
    second = await api.next_message(admin.id)
    assert all(len(m["text"]) <= 4096 for m in (first, second))
    assert buttons(first) == []
    assert len(buttons(second)) == 20  # the 移除 buttons come under the last part
    listed = first["text"] + second["text"]
    assert all(f"（{user_id}）" in listed for user_id in range(5000, 5040))


async def test_me_lists_the_name_and_leave_deletes_it_until_the_next_staff_action(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    db = bot.services.db
    await _add_by_reply(api, EMOJI)
    chat = api.private_chat(EMOJI)
    # A staff member with no home bound: /me still tells what is kept.
    api.send_text(chat, EMOJI, "/me")
    me = (await api.next_message(chat.id))["text"]
    assert me != t.ME_EMPTY
    assert t.ME_STAFF_NAME.format(name="🙂网格员 小李🌸") in me

    api.send_text(chat, EMOJI, "/leave")
    confirm = await api.next_message(chat.id)
    assert confirm["text"] == t.LEAVE_CONFIRM + t.LEAVE_CONFIRM_STAFF
    await press(api, chat, EMOJI, confirm, "确定注销")

    async def told() -> bool:
        return current_text(api, chat.id, confirm["message_id"]) == t.LEFT

    await eventually(told, what="the confirmation edited to say it is done")
    assert await _name(db, EMOJI.id) == []
    assert EMOJI.id not in bot.services.staff_names
    api.send_text(chat, EMOJI, "/me")
    assert (await api.next_message(chat.id))["text"] == t.ME_EMPTY
    # Still staff: the next staff action keeps the name again (the cache does not hide it).
    api.send_text(chat, EMOJI, "/staff list")
    await api.next_message(chat.id)
    assert await _name(db, EMOJI.id) == [("🙂网格员 小李🌸",)]
    assert bot.services.staff_names[EMOJI.id] == "🙂网格员 小李🌸"


async def test_an_admins_name_is_listed_and_deleted_and_no_one_elses(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    db = bot.services.db
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/staff list")  # the admin's name is kept on use
    await api.next_message(admin.id)
    api.send_text(admin, ADMIN, "/me")
    me = (await api.next_message(admin.id))["text"]
    assert t.ME_STAFF_NAME.format(name="李主任") in me
    assert t.ME_ID.format(user_id=ADMIN.id) in me

    api.send_text(admin, ADMIN, "/leave")
    confirm = await api.next_message(admin.id)
    await press(api, admin, ADMIN, confirm, "确定注销")

    async def gone() -> bool:
        return await _name(db, ADMIN.id) == []

    await eventually(gone, what="the admin's kept name deleted")
    assert ADMIN.id not in bot.services.staff_names
    # A resident's /leave touches no one else's name, and mentions no staff name.
    await add_staff(api, STAFF.id)
    staff = api.private_chat(STAFF)
    api.send_text(staff, STAFF, "/staff list")
    await api.next_message(staff.id)
    resident = api.private_chat(RESIDENT)
    api.send_text(resident, RESIDENT, "/leave")
    confirm = await api.next_message(resident.id)
    assert confirm["text"] == t.LEAVE_CONFIRM
    await press(api, resident, RESIDENT, confirm, "确定注销")

    async def done() -> bool:
        return current_text(api, resident.id, confirm["message_id"]) == t.LEFT

    await eventually(done, what="the resident's /leave done")
    assert await _name(db, STAFF.id) == [("网格员小张",)]
