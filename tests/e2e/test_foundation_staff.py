"""Foundation, end to end: staff management, access checks, and forged buttons."""

from __future__ import annotations

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers import texts
from handlers.admin import texts as admin_texts
from handlers.qa import texts as qa_texts
from tests.e2e.conftest import ADMIN, GROUP, NEIGHBOUR, RESIDENT, STAFF, STAFF_CHAT, buttons, rows
from tests.e2e.test_foundation_helpers import answer_of, forge_press

QUIET = 0.3


async def staff_ids(db: aiosqlite.Connection) -> list[int]:
    return [r[0] for r in await rows(db, "SELECT user_id FROM staff ORDER BY user_id")]


async def audit(db: aiosqlite.Connection) -> list[tuple[int, str, str | None]]:
    return [
        (r[0], r[1], r[2])
        for r in await rows(db, "SELECT actor_id, action, target FROM audit_log ORDER BY id")
    ]


async def add_staff(api: LocalBotApi, user_id: int) -> None:
    chat = api.private_chat(ADMIN)
    api.send_text(chat, ADMIN, f"/staff add {user_id}")
    assert (await api.next_message(chat.id))["text"] == admin_texts.STAFF_ADDED.format(
        user_id=user_id
    )


# ---------------------------------------------------------------- the admin manages staff


async def test_admin_adds_staff_then_staff_can_list(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, f"/staff add {STAFF.id}")
    assert (await api.next_message(admin.id))["text"] == admin_texts.STAFF_ADDED.format(
        user_id=901
    )
    assert await rows(db, "SELECT user_id, added_by FROM staff") == [(901, 900)]
    assert await audit(db) == [(900, "staff.add", "901")]

    staff = api.private_chat(STAFF)
    api.send_text(staff, STAFF, "/staff list")
    listing = await api.next_message(staff.id)
    # Both named beside their id: each one's Telegram name was kept when they used /staff.
    assert "管理员（配置）：李主任（900）" in listing["text"]
    assert "• 网格员小张（901），" in listing["text"]
    assert buttons(listing) == []  # only an admin gets the 移除 buttons

    # Adding again changes nothing.
    api.send_text(admin, ADMIN, "/staff add 901")
    assert (await api.next_message(admin.id))["text"] == admin_texts.STAFF_ALREADY.format(
        user_id=901
    )
    assert await staff_ids(db) == [901]
    assert len(await audit(db)) == 1


async def test_staff_list_without_staff_is_empty(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/staff")
    listing = await api.next_message(admin.id)
    assert admin_texts.STAFF_LIST_EMPTY in listing["text"]
    assert buttons(listing) == []


async def test_staff_add_as_reply_adds_the_author(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    theirs = api.send_text(GROUP, NEIGHBOUR, "我是网格员老王")
    api.send_text(GROUP, ADMIN, "/staff add", reply_to=theirs)
    reply = await api.next_message(GROUP.id)
    assert reply["text"] == admin_texts.STAFF_ADDED.format(user_id=NEIGHBOUR.id)
    assert await staff_ids(db) == [NEIGHBOUR.id]
    assert await audit(db) == [(900, "staff.add", str(NEIGHBOUR.id))]

    api.send_text(GROUP, ADMIN, "/staff remove", reply_to=theirs)
    reply = await api.next_message(GROUP.id)
    assert reply["text"] == admin_texts.STAFF_REMOVED.format(user_id=NEIGHBOUR.id)
    assert await staff_ids(db) == []


async def test_staff_add_without_target_shows_usage(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/staff add")
    assert (await api.next_message(admin.id))["text"] == admin_texts.STAFF_USAGE
    api.send_text(admin, ADMIN, "/staff promote 901")
    assert (await api.next_message(admin.id))["text"] == admin_texts.STAFF_USAGE
    assert await staff_ids(db) == []


async def test_admin_removes_staff_by_command(api: LocalBotApi, db: aiosqlite.Connection) -> None:
    await add_staff(api, STAFF.id)
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, f"/staff remove {STAFF.id}")
    assert (await api.next_message(admin.id))["text"] == admin_texts.STAFF_REMOVED.format(
        user_id=901
    )
    assert await staff_ids(db) == []
    assert await audit(db) == [(900, "staff.add", "901"), (900, "staff.remove", "901")]

    # Removed means removed: 901 is refused now.
    staff = api.private_chat(STAFF)
    api.send_text(staff, STAFF, "/staff list")
    assert (await api.next_message(staff.id))["text"] == texts.NOT_STAFF

    api.send_text(admin, ADMIN, f"/staff remove {STAFF.id}")
    assert (await api.next_message(admin.id))["text"] == admin_texts.STAFF_NOT_FOUND.format(
        user_id=901
    )
    assert len(await audit(db)) == 2


async def test_admin_removes_staff_with_the_list_button(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    await add_staff(api, STAFF.id)
    await add_staff(api, NEIGHBOUR.id)
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/staff list")
    listing = await api.next_message(admin.id)
    assert [b["text"] for b in buttons(listing)] == ["移除 901", "移除 1002"]

    query = api.press_button(admin, ADMIN, listing, "staff:rm:901")
    confirmation = await api.next_message(admin.id)
    assert confirmation["text"] == admin_texts.STAFF_REMOVED.format(user_id=901)
    answer = await answer_of(api, query)
    assert answer.ok
    assert answer.params["text"] == admin_texts.STAFF_REMOVED.format(user_id=901)
    assert await staff_ids(db) == [NEIGHBOUR.id]
    assert (900, "staff.remove", "901") in await audit(db)


@pytest.mark.parametrize("command", ["/staff remove 900", "/staff rm 900"])
async def test_configured_admin_cannot_be_removed(
    api: LocalBotApi, db: aiosqlite.Connection, command: str
) -> None:
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, command)
    assert (await api.next_message(admin.id))["text"] == admin_texts.STAFF_IS_ADMIN.format(
        user_id=900
    )
    assert await audit(db) == []
    # Still an admin.
    api.send_text(admin, ADMIN, f"/staff add {STAFF.id}")
    assert (await api.next_message(admin.id))["text"] == admin_texts.STAFF_ADDED.format(
        user_id=901
    )


async def test_adding_the_configured_admin_records_nothing(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/staff add 900")
    assert (await api.next_message(admin.id))["text"] == admin_texts.STAFF_ALREADY.format(
        user_id=900
    )
    assert await staff_ids(db) == []
    assert await audit(db) == []


@pytest.mark.parametrize(
    "bad_id",
    [
        "abc",
        "-901",
        "12ab",
        "９０１x",
        "123456789012345678901",  # 21 digits
        "99999999999999999999",
        "²",
    ],
)
async def test_bad_user_id_gets_a_chinese_error(
    api: LocalBotApi, db: aiosqlite.Connection, bad_id: str
) -> None:
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, f"/staff add {bad_id}")
    assert (await api.next_message(admin.id))["text"] == admin_texts.STAFF_BAD_ID
    assert await staff_ids(db) == []
    assert await audit(db) == []


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "command",
    [
        "/staff",
        "/staff list",
        f"/staff add {RESIDENT.id}",
        "/staff remove 901",
        "/bindgroup 幸福里3号楼",
        "/chats",
        "/kb",
        "/kb remove 1",
        "/unanswered",
    ],
)
@pytest.mark.parametrize("where", ["private", "group"])
async def test_non_staff_is_refused_on_every_staff_command(
    api: LocalBotApi, db: aiosqlite.Connection, command: str, where: str
) -> None:
    chat = api.private_chat(RESIDENT) if where == "private" else GROUP
    sent = api.send_text(chat, RESIDENT, command)
    reply = await api.next_message(chat.id)
    assert reply["text"] == texts.NOT_STAFF
    if where == "group":  # replies quote the command in groups only
        assert reply["reply_to_message"]["message_id"] == sent["message_id"]
    await api.expect_no_message(chat.id, within=0.1)
    assert await staff_ids(db) == []
    assert await audit(db) == []
    assert await rows(db, "SELECT chat_id FROM chats WHERE bound_name IS NOT NULL") == []


@pytest.mark.parametrize("command", [f"/staff add {RESIDENT.id}", "/staff remove 901"])
async def test_staff_who_is_not_admin_cannot_manage_staff(
    api: LocalBotApi, db: aiosqlite.Connection, command: str
) -> None:
    await add_staff(api, STAFF.id)
    chat = api.private_chat(STAFF)
    api.send_text(chat, STAFF, command)
    assert (await api.next_message(chat.id))["text"] == texts.NOT_ADMIN
    assert await staff_ids(db) == [STAFF.id]
    assert await audit(db) == [(900, "staff.add", "901")]


@pytest.mark.parametrize("presser", [STAFF, RESIDENT], ids=["staff", "resident"])
async def test_remove_button_pressed_by_non_admin_is_refused(
    api: LocalBotApi, db: aiosqlite.Connection, presser: object
) -> None:
    await add_staff(api, STAFF.id)
    api.send_text(STAFF_CHAT, ADMIN, "/staff list")
    listing = await api.next_message(STAFF_CHAT.id)
    assert buttons(listing)[0]["callback_data"] == "staff:rm:901"

    query = api.press_button(STAFF_CHAT, presser, listing, "staff:rm:901")  # type: ignore[arg-type]
    answer = await answer_of(api, query)
    assert answer.ok
    assert answer.params["text"] == texts.NOT_ADMIN
    assert answer.params["show_alert"] is True
    await api.expect_no_message(STAFF_CHAT.id, within=QUIET)
    assert await staff_ids(db) == [STAFF.id]
    assert [a for a in await audit(db) if a[1] == "staff.remove"] == []


async def test_forged_remove_of_the_admin_via_button_is_refused(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    await add_staff(api, STAFF.id)
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/staff list")
    listing = await api.next_message(admin.id)
    query = forge_press(api, admin, ADMIN, listing, "staff:rm:900")
    answer = await answer_of(api, query)
    assert answer.params["text"] == admin_texts.STAFF_IS_ADMIN.format(user_id=900)
    assert await staff_ids(db) == [STAFF.id]


@pytest.mark.parametrize(
    "data",
    [
        "menu:nonexistent",
        "menu:",
        "xyz",
        "staff:rm:abc",
        "kb:zz:1",
        "x" * 64,
        "🙂" * 16,  # 64 bytes of UTF-8
        "\x00\x01junk" + "#" * 57,
        "staff:rm:99999999999999999999",
        "staff:rm:²",
    ],
)
async def test_forged_or_garbage_callback_data_gets_an_alert(
    api: LocalBotApi, db: aiosqlite.Connection, data: str
) -> None:
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/menu")
    menu = await api.next_message(admin.id)
    query = forge_press(api, admin, ADMIN, menu, data)
    answer = await answer_of(api, query)
    assert answer.ok
    assert answer.params["show_alert"] is True
    # The menu's alert, or the Q&A's for a forged kb: button.
    assert answer.params["text"] in {texts.STALE_BUTTON, qa_texts.STALE_BUTTON}
    assert answer.params["text"] != texts.ERROR
    await api.expect_no_message(admin.id, within=0.1)
    # The bot is still up.
    api.send_text(admin, ADMIN, "/start")
    assert texts.MENU_TITLE in (await api.next_message(admin.id))["text"]
