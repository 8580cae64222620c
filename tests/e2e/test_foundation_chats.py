"""Foundation, end to end: the chats the bot is in, migrations, blocks and flood limits."""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot.local_api import Chat, LocalBotApi
from handlers import texts
from handlers.admin import texts as admin_texts
from tests.e2e.conftest import ADMIN, GROUP, RESIDENT, STAFF, rows
from tests.e2e.test_foundation_helpers import eventually

QUIET = 0.3
OLD_GROUP = Chat(id=-4_001_234, type="group", title="幸福里3号楼邻里群")
NEW_SUPERGROUP_ID = -1_004_001_234


async def status_becomes(db: aiosqlite.Connection, chat_id: int, status: str) -> None:
    async def check() -> bool:
        row = await chat_row(db, chat_id)
        return row is not None and row[3] == status

    await eventually(check, what=f"chat {chat_id} status {status!r}")


async def chat_row(db: aiosqlite.Connection, chat_id: int) -> tuple[Any, ...] | None:
    found = await rows(
        db,
        "SELECT chat_id, type, title, status, bound_name, migrated_from FROM chats"
        " WHERE chat_id = ?",
        chat_id,
    )
    return found[0] if found else None


async def test_bot_added_to_group_records_it_and_greets_once(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    api.bot_added(GROUP, ADMIN)
    greeting = await api.next_message(GROUP.id)
    assert greeting["text"] == texts.GROUP_GREETING.format(community="幸福里社区")
    await api.expect_no_message(GROUP.id, within=QUIET)  # the service message adds nothing
    assert await chat_row(db, GROUP.id) == (
        GROUP.id, "supergroup", "幸福里业主群", "member", None, None,
    )  # fmt: skip


async def test_bot_promoted_in_group_does_not_greet_again(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    api.bot_added(GROUP, ADMIN)
    await api.next_message(GROUP.id)
    api.bot_added(GROUP, ADMIN, status="administrator", service_message=False)
    await api.expect_no_message(GROUP.id, within=QUIET)
    row = await chat_row(db, GROUP.id)
    assert row is not None
    assert row[3] == "member"


async def test_bot_removed_from_group_marks_it_left(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    api.bot_added(OLD_GROUP, ADMIN)
    await api.next_message(OLD_GROUP.id)
    api.bot_removed(OLD_GROUP, ADMIN)
    await status_becomes(db, OLD_GROUP.id, "left")
    await api.expect_no_message(OLD_GROUP.id, within=0.1)

    # /chats shows it as 已退出.
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/chats")
    listing = (await api.next_message(admin.id))["text"]
    assert f"幸福里3号楼邻里群（{OLD_GROUP.id}） 已退出" in listing


async def test_bot_kicked_from_supergroup_marks_it_kicked(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    api.bot_added(GROUP, ADMIN)
    await api.next_message(GROUP.id)
    api.bot_removed(GROUP, ADMIN)
    await status_becomes(db, GROUP.id, "kicked")


async def test_bindgroup_then_migration_keeps_the_binding(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    api.bot_added(OLD_GROUP, ADMIN)
    await api.next_message(OLD_GROUP.id)
    api.send_text(OLD_GROUP, ADMIN, "/bindgroup 幸福里3号楼")
    done = await api.next_message(OLD_GROUP.id)
    assert (
        done["text"]
        == admin_texts.BIND_DONE.format(name="幸福里3号楼") + admin_texts.BIND_NOT_IN_REGISTER
    )
    assert (await chat_row(db, OLD_GROUP.id)) == (
        OLD_GROUP.id, "group", "幸福里3号楼邻里群", "member", "幸福里3号楼", None,
    )  # fmt: skip
    assert await rows(db, "SELECT actor_id, action, target, detail FROM audit_log") == [
        (ADMIN.id, "chat.bind", str(OLD_GROUP.id), "幸福里3号楼 → community:幸福里3号楼")
    ]

    new_group = api.migrate_group(OLD_GROUP, NEW_SUPERGROUP_ID)
    # The bot answers in the new supergroup (so both migration messages were processed).
    api.send_text(new_group, RESIDENT, "/start")
    assert texts.MENU_TITLE in (await api.next_message(new_group.id))["text"]

    assert await chat_row(db, OLD_GROUP.id) is None
    assert await chat_row(db, NEW_SUPERGROUP_ID) == (
        NEW_SUPERGROUP_ID, "supergroup", "幸福里3号楼邻里群", "member", "幸福里3号楼",
        OLD_GROUP.id,
    )  # fmt: skip
    assert await rows(db, "SELECT chat_id FROM chats") == [(NEW_SUPERGROUP_ID,)]

    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/chats")
    listing = (await api.next_message(admin.id))["text"]
    assert f"（{NEW_SUPERGROUP_ID}）" in listing
    assert "「幸福里3号楼」" in listing
    assert str(OLD_GROUP.id) + "）" not in listing


async def test_bindgroup_by_added_staff_and_its_errors(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, f"/staff add {STAFF.id}")
    await api.next_message(admin.id)

    api.send_text(GROUP, STAFF, "/bindgroup")
    assert (await api.next_message(GROUP.id))["text"] == admin_texts.BIND_USAGE
    api.send_text(GROUP, STAFF, "/bindgroup " + "楼" * 41)
    assert (await api.next_message(GROUP.id))["text"] == admin_texts.BIND_TOO_LONG
    staff = api.private_chat(STAFF)
    api.send_text(staff, STAFF, "/bindgroup 幸福里3号楼")
    assert (await api.next_message(staff.id))["text"] == admin_texts.BIND_ONLY_GROUP
    assert await rows(db, "SELECT chat_id FROM chats WHERE bound_name IS NOT NULL") == []

    api.send_text(GROUP, STAFF, "/bindgroup 幸福里 5号楼")
    assert (await api.next_message(GROUP.id))["text"] == admin_texts.BIND_DONE.format(
        name="幸福里 5号楼"
    ) + admin_texts.BIND_NOT_IN_REGISTER
    row = await chat_row(db, GROUP.id)
    assert row is not None
    assert row[4] == "幸福里 5号楼"


async def test_user_who_blocked_the_bot_does_not_crash_it(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    api.block_chat(chat.id)
    api.send_text(chat, RESIDENT, "/start")
    failed = await api.wait_for_call("sendMessage", lambda c: c.params.get("chat_id") == chat.id)
    assert failed.error is not None
    assert failed.error["error_code"] == 403
    await status_becomes(db, chat.id, "blocked")
    # No apology was attempted into the blocked chat.
    assert len([c for c in api.calls_to("sendMessage") if c.params.get("chat_id") == chat.id]) == 1

    # Others are still served, and the user is again once they unblock.
    other = api.private_chat(STAFF)
    api.send_text(other, STAFF, "/start")
    assert texts.MENU_TITLE in (await api.next_message(other.id))["text"]
    api.bot_added(chat, RESIDENT)
    api.send_text(chat, RESIDENT, "/start")
    assert texts.MENU_TITLE in (await api.next_message(chat.id))["text"]
    row = await chat_row(db, chat.id)
    assert row is not None
    assert row[3] == "member"


async def test_user_blocking_the_bot_is_recorded(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/start")
    await api.next_message(chat.id)
    api.bot_removed(chat, RESIDENT)
    await status_becomes(db, chat.id, "blocked")
    await api.expect_no_message(chat.id, within=0.1)


async def test_flood_limit_429_is_retried_and_the_message_arrives(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    api.fail_next("sendMessage", error_code=429, parameters={"retry_after": 1})
    api.send_text(chat, RESIDENT, "/start")
    reply = await api.next_message(chat.id, timeout=6)
    assert texts.MENU_TITLE in reply["text"]
    sends = [c for c in api.calls_to("sendMessage") if c.params.get("chat_id") == chat.id]
    assert [c.error["error_code"] if c.error else "ok" for c in sends] == [429, "ok"]
    assert sends[1].at - sends[0].at >= 0.9  # it waited as Telegram asked
    await api.expect_no_message(chat.id, within=QUIET)  # no apology on top
