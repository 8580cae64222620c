"""Residents link their account by code, by deep link; bad codes and guessing are refused."""

from __future__ import annotations

from datetime import timedelta

import aiosqlite

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.households import texts as t
from storage.clock import utc_now
from tests.e2e.conftest import GROUP, NEIGHBOUR, RESIDENT, buttons, rows
from tests.e2e.test_households_support import (
    bind_with_code,
    codes,
    household_id,
    press,
    seed_register,
)


async def test_bind_by_code_after_role_and_consent(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    code = (await codes(db))["3-1-101"]
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, f"/bind {code.lower()}")
    roles = await api.next_message(chat.id)
    assert roles["text"] == t.CODE_OK.format(address="幸福小区3号楼1单元101室")
    assert [b["text"] for b in buttons(roles)] == ["我是业主", "我是家属", "我是租户"]
    await press(api, chat, RESIDENT, roles, "业主")
    consent = await api.next_message(chat.id)
    for part in ("保存什么", "为什么", "谁能看到", "/leave"):
        assert part in consent["text"]
    # Nothing is stored before the resident agrees.
    assert await rows(db, "SELECT COUNT(*) FROM household_links") == [(0,)]
    assert await rows(db, "SELECT COUNT(*) FROM residents") == [(0,)]
    await press(api, chat, RESIDENT, consent, "同意并绑定")
    done = await api.next_message(chat.id)
    assert done["text"] == t.BOUND.format(address="幸福小区3号楼1单元101室", role="业主")
    hid = await household_id(db, "3", "1", "101")
    assert await rows(
        db, "SELECT household_id, user_id, role, status, via FROM household_links"
    ) == [(hid, RESIDENT.id, "owner", "active", "code")]
    assert await rows(db, "SELECT user_id FROM residents") == [(RESIDENT.id,)]


async def test_bind_by_deep_link_and_declining_consent_stores_nothing(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    issued = await codes(db)
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, f"/start bind-{issued['4-1-101']}")
    roles = await api.next_message(chat.id)
    await press(api, chat, RESIDENT, roles, "租户")
    consent = await api.next_message(chat.id)
    await press(api, chat, RESIDENT, consent, "不同意")
    assert (await api.next_message(chat.id))["text"] == t.NOT_SAVED
    assert await rows(db, "SELECT COUNT(*) FROM household_links") == [(0,)]
    assert await rows(db, "SELECT COUNT(*) FROM residents") == [(0,)]
    # The code was not used up: the deep link still works.
    done = await bind_with_code(api, RESIDENT, issued["3-1-102"], "家属", deep_link=True)
    assert done["text"] == t.BOUND.format(address="幸福小区3号楼1单元102室", role="家属")


async def test_used_expired_revoked_and_guessed_codes_are_refused_plainly(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    first = await codes(db)
    await bind_with_code(api, RESIDENT, first["3-1-101"])
    neighbour = api.private_chat(NEIGHBOUR)

    api.send_text(neighbour, NEIGHBOUR, f"/bind {first['3-1-101']}")  # used by someone else
    assert (await api.next_message(neighbour.id))["text"] == t.CODE_USED

    second = await codes(db)  # a new run revokes every unused printed code
    api.send_text(neighbour, NEIGHBOUR, f"/bind {first['3-1-102']}")
    assert (await api.next_message(neighbour.id))["text"] == t.CODE_REVOKED

    past = (utc_now() - timedelta(days=1)).isoformat(timespec="seconds")
    await db.execute("UPDATE household_codes SET expires_at = ? WHERE revoked_at IS NULL", (past,))
    api.send_text(neighbour, NEIGHBOUR, f"/bind {second['3-1-102']}")
    assert (await api.next_message(neighbour.id))["text"] == t.CODE_EXPIRED

    api.send_text(neighbour, NEIGHBOUR, "/bind ABCDEFGH23")
    assert (await api.next_message(neighbour.id))["text"] == t.CODE_WRONG
    assert await rows(db, "SELECT user_id FROM household_links") == [(RESIDENT.id,)]


async def test_five_wrong_codes_in_an_hour_lock_the_user_out(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    good = (await codes(db))["3-1-101"]
    chat = api.private_chat(NEIGHBOUR)
    for guess in ("AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC", "DDDDDDDDDD", "EEEEEEEEEE"):
        api.send_text(chat, NEIGHBOUR, f"/bind {guess}")
        assert (await api.next_message(chat.id))["text"] == t.CODE_WRONG
    api.send_text(chat, NEIGHBOUR, f"/bind {good}")  # even the right code is refused now
    refused = (await api.next_message(chat.id))["text"]
    assert refused.startswith("输错次数太多")
    assert await rows(db, "SELECT COUNT(*) FROM household_links") == [(0,)]
    assert await rows(
        db, "SELECT ok, COUNT(*) FROM bind_attempts WHERE user_id = ? GROUP BY ok", NEIGHBOUR.id
    ) == [(-1, 1), (0, 5)]
    # Another resident is not affected.
    done = await bind_with_code(api, RESIDENT, good)
    assert done["text"].startswith("绑定成功")


async def test_bind_in_a_group_points_to_the_private_chat(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    code = (await codes(db))["3-1-101"]
    api.send_text(GROUP, RESIDENT, f"/bind {code}")
    reply = await api.next_message(GROUP.id)
    assert reply["text"] == t.GO_PRIVATE
    assert buttons(reply)[0]["url"] == "https://t.me/resident_test_bot?start=bind"
    for command in ("/me", "/leave"):
        api.send_text(GROUP, RESIDENT, command)
        assert (await api.next_message(GROUP.id))["text"] == t.GO_PRIVATE
    assert await rows(db, "SELECT COUNT(*) FROM bind_attempts") == [(0,)]
