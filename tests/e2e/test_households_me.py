"""/me shows a resident's data; an owner invites a family member; /leave deletes it all."""

from __future__ import annotations

import re

import aiosqlite

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.households import texts as t
from tests.e2e.conftest import NEIGHBOUR, RESIDENT, buttons, rows
from tests.e2e.test_foundation_helpers import eventually
from tests.e2e.test_households_support import (
    bind_with_code,
    codes,
    current_text,
    press,
    seed_register,
)


async def test_me_invite_and_leave(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/me")
    assert (await api.next_message(chat.id))["text"] == t.ME_EMPTY

    await bind_with_code(api, RESIDENT, (await codes(db))["3-1-101"])
    api.send_text(chat, RESIDENT, "/me")
    me = await api.next_message(chat.id)
    assert "幸福小区3号楼1单元101室（业主，已绑定）" in me["text"]
    assert f"账号 ID：{RESIDENT.id}" in me["text"]
    assert [b["text"] for b in buttons(me)] == [
        t.BTN_INVITE.format(address="3号楼1单元101室"),
        t.BTN_LEAVE,
    ]

    # The owner invites a family member with a one-time deep link.
    await press(api, chat, RESIDENT, me, "邀请家人")
    invite = await api.next_message(chat.id)
    found = re.search(r"start=bind-([A-Z0-9]+)", invite["text"])
    assert found is not None
    done = await bind_with_code(api, NEIGHBOUR, found[1], "家属", deep_link=True)
    assert done["text"] == t.BOUND.format(address="幸福小区3号楼1单元101室", role="家属")
    neighbour = api.private_chat(NEIGHBOUR)
    api.send_text(neighbour, NEIGHBOUR, f"/bind {found[1]}")  # single use
    assert (await api.next_message(neighbour.id))["text"] == t.CODE_USED

    # /leave asks first; 取消 changes nothing.
    api.send_text(chat, RESIDENT, "/leave")
    confirm = await api.next_message(chat.id)
    assert confirm["text"] == t.LEAVE_CONFIRM
    await press(api, chat, RESIDENT, confirm, "取消")
    assert await rows(
        db, "SELECT COUNT(*) FROM household_links WHERE user_id = ?", RESIDENT.id
    ) == [(1,)]
    api.send_text(chat, RESIDENT, "/leave")
    confirm = await api.next_message(chat.id)
    await press(api, chat, RESIDENT, confirm, "确定注销")

    async def gone() -> bool:
        left = [
            await rows(db, f"SELECT 1 FROM {table} WHERE {column} = ?", RESIDENT.id)
            for table, column in (
                ("household_links", "user_id"),
                ("residents", "user_id"),
                ("bind_attempts", "user_id"),
                ("ptb_user_data", "user_id"),
                ("ptb_chat_data", "chat_id"),
                ("household_codes", "used_by"),
                ("household_codes", "created_by"),
            )
        ]
        return all(r == [] for r in left)

    await eventually(gone, what="every row about the resident deleted")

    async def told() -> bool:
        return current_text(api, chat.id, confirm["message_id"]) == t.LEFT

    await eventually(told, what="the confirmation edited to say it is done")
    # The family member stays linked.
    assert await rows(db, "SELECT user_id, role FROM household_links") == [
        (NEIGHBOUR.id, "family")
    ]
    api.send_text(chat, RESIDENT, "/me")
    assert (await api.next_message(chat.id))["text"] == t.ME_EMPTY
