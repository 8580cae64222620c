"""Linking without a code: pick the room, staff approve in the staff chat; restarts; forgeries."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiosqlite

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.households import texts as t
from tests.e2e.conftest import (
    ADMIN,
    NEIGHBOUR,
    RESIDENT,
    STAFF_CHAT,
    button_data,
    buttons,
    forge_press,
    rows,
)
from tests.e2e.test_foundation_helpers import answer_of, eventually
from tests.e2e.test_households_support import current_text, household_id, press, seed_register

QUIET = 0.3


async def to_room_step(api: LocalBotApi, db: aiosqlite.Connection) -> dict[str, Any]:
    """/bind → 没有绑定码 → 3号楼 → 1单元: returns the room-buttons message."""
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/bind")
    start = await api.next_message(chat.id)
    await press(api, chat, RESIDENT, start, "没有绑定码")
    # One community in the register: it is chosen for the resident.
    pick_building = await api.next_message(chat.id)
    assert pick_building["text"] == t.PICK_BUILDING.format(community="幸福小区")
    assert [b["text"] for b in buttons(pick_building)] == ["3号楼", "4号楼"]
    await press(api, chat, RESIDENT, pick_building, "3号楼")
    pick_unit = await api.next_message(chat.id)
    await press(api, chat, RESIDENT, pick_unit, "1单元")
    rooms = await api.next_message(chat.id)
    assert [b["text"] for b in buttons(rooms)] == ["101", "102"]
    return rooms


async def finish_request(api: LocalBotApi, rooms: dict[str, Any]) -> None:
    chat = api.private_chat(RESIDENT)
    await press(api, chat, RESIDENT, rooms, "102")
    roles = await api.next_message(chat.id)
    assert roles["text"].startswith("申请绑定 幸福小区3号楼1单元102室")
    await press(api, chat, RESIDENT, roles, "租户")
    consent = await api.next_message(chat.id)
    await press(api, chat, RESIDENT, consent, "同意并绑定")
    sent = await api.next_message(chat.id)
    assert sent["text"] == t.REQUEST_SENT.format(address="幸福小区3号楼1单元102室", role="租户")


async def test_request_then_staff_approval(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    await finish_request(api, await to_room_step(api, db))
    hid = await household_id(db, "3", "1", "102")
    assert await rows(db, "SELECT household_id, role, status, via FROM household_links") == [
        (hid, "tenant", "pending", "request")
    ]
    request = await api.next_message(STAFF_CHAT.id)
    assert "幸福小区" in request["text"]
    assert "3号楼1单元102室" in request["text"]
    assert "李四" in request["text"]  # the registered owner, for staff to check against

    # A resident in the staff chat (or a forged press) cannot approve.
    query = api.press_button(STAFF_CHAT, NEIGHBOUR, request, button_data(request, "通过"))
    assert (await answer_of(api, query)).params[
        "text"
    ] == "抱歉，这个操作只有社区工作人员可以使用。"
    assert await rows(db, "SELECT status FROM household_links") == [("pending",)]

    await press(api, STAFF_CHAT, ADMIN, request, "通过")
    told = await api.next_message(RESIDENT.id)
    assert told["text"] == t.RESIDENT_APPROVED.format(
        address="幸福小区3号楼1单元102室", role="租户"
    )
    assert await rows(db, "SELECT status, decided_by FROM household_links") == [
        ("active", ADMIN.id)
    ]
    assert current_text(api, STAFF_CHAT.id, request["message_id"]).endswith("已通过（李主任）")
    assert await rows(db, "SELECT action FROM audit_log WHERE action LIKE 'household.%'") == [
        ("household.approve",)
    ]
    # The same button again: already decided.
    query = api.press_button(STAFF_CHAT, ADMIN, request, button_data(request, "通过"), forged=True)
    assert (await answer_of(api, query)).params["text"] == t.REQUEST_DECIDED


async def test_rejection_is_told(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    await finish_request(api, await to_room_step(api, db))
    request = await api.next_message(STAFF_CHAT.id)
    await press(api, STAFF_CHAT, ADMIN, request, "拒绝")
    told = await api.next_message(RESIDENT.id)
    assert told["text"] == t.RESIDENT_REJECTED.format(address="幸福小区3号楼1单元102室")
    assert await rows(db, "SELECT status FROM household_links") == [("rejected",)]


async def test_typed_room_and_cancel(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    await to_room_step(api, db)
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "999室")
    assert (await api.next_message(chat.id))["text"] == t.NOT_FOUND_TYPED.format(text="999室")
    api.send_text(chat, RESIDENT, "１０１室")
    roles = await api.next_message(chat.id)
    assert roles["text"].startswith("申请绑定 幸福小区3号楼1单元101室")
    api.send_text(chat, RESIDENT, "/cancel")
    assert (await api.next_message(chat.id))["text"] == t.CANCELLED
    assert await rows(db, "SELECT COUNT(*) FROM household_links") == [(0,)]


async def test_forged_buttons_are_refused(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    rooms = await to_room_step(api, db)
    chat = api.private_chat(RESIDENT)
    # A room of another unit, not among the buttons offered.
    other = await household_id(db, "3", "2", "201")
    for data in (f"hh:r:{other}", "hh:r:abc", "hh:role:9", "hhs:ok:1", "hhm:yes:5"):
        query = forge_press(api, chat, RESIDENT, rooms, data)
        answer = (await answer_of(api, query)).params
        assert answer.get("show_alert") is True, data
    assert await rows(db, "SELECT COUNT(*) FROM household_links") == [(0,)]
    assert await rows(db, "SELECT COUNT(*) FROM residents") == [(0,)]
    # The flow is still where it was: a real room button works.
    await finish_request(api, rooms)


async def test_request_flow_resumes_after_restart(
    api: LocalBotApi, restart: Callable[[], Any]
) -> None:
    async with restart() as app:
        db = app.services.db
        await seed_register(db)
        rooms = await to_room_step(api, db)

        async def saved() -> bool:
            stored = await rows(
                db, "SELECT state FROM ptb_conversations WHERE name = ?", "households_bind"
            )
            return [json.loads(r[0]) for r in stored] == [6]

        await eventually(saved, timeout=2, what="the ROOM state in ptb_conversations")
    async with restart() as app:
        await api.expect_no_message(RESIDENT.id, within=QUIET)
        await finish_request(api, rooms)
        request = await api.next_message(STAFF_CHAT.id)
        assert "3号楼1单元102室" in request["text"]
        assert await rows(app.services.db, "SELECT status FROM household_links") == [("pending",)]
