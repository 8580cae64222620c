"""Consultations end to end: publish, vote by button in a group and in private, refusals,
vote change, receipt, automatic close (also after a restart) and the result message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers.consult import texts as t
from handlers.context import ResidentApplication
from knowledge.consult.service import ConsultService, Draft, Refusal
from storage import household_links_repo as links
from storage.clock import utc_now
from storage.db import DatabaseHandle
from tests.e2e.conftest import ADMIN, GROUP, NEIGHBOUR, RESIDENT, button_data, forge_press, rows
from tests.e2e.test_foundation_helpers import answer_of
from tests.e2e.test_households_support import household_id, seed_register

pytestmark = pytest.mark.usefixtures("fast_consult_sync")

TENANT_ID = 1003


async def _setup(api: LocalBotApi, db: aiosqlite.Connection) -> dict[str, int]:
    await seed_register(db)
    api.send_text(GROUP, ADMIN, "/bindgroup 幸福小区 3号楼")
    await api.next_message(GROUP.id)
    ids = {
        "3-1-101": await household_id(db, "3", "1", "101"),
        "3-1-102": await household_id(db, "3", "1", "102"),
        "4-1-101": await household_id(db, "4", "1", "101"),
    }
    await links.save_link(db, ids["3-1-101"], RESIDENT.id, "owner", "active", "code", "2025-01-01")
    await links.save_link(db, ids["3-1-102"], TENANT_ID, "tenant", "active", "code", "2025-01-01")
    await links.save_link(
        db, ids["4-1-101"], NEIGHBOUR.id, "owner", "active", "code", "2025-01-01"
    )
    return ids


async def _publish(database: DatabaseHandle, *, seconds: float = 3600, opens: float = -60) -> int:
    svc = ConsultService(database)
    now = utc_now()
    cid = await svc.create(
        Draft(
            title="3号楼加装电梯",
            question="是否同意3号楼加装电梯？",
            scope="building:幸福小区/3",
            rule="double-two-thirds",
            opens_at=now + timedelta(seconds=opens),
            closes_at=now + timedelta(seconds=seconds),
            show_tally=True,
        ),
        ADMIN.id,
    )
    await svc.publish(cid)
    return cid


async def _press(api: LocalBotApi, chat: Any, user: Any, msg: dict[str, Any], label: str) -> str:
    query = api.press_button(chat, user, msg, button_data(msg, label))
    return str((await answer_of(api, query)).params.get("text", ""))


async def test_vote_in_group_and_private_refusals_change_and_receipt(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await _setup(api, db)
    cid = await _publish(bot.services.database)
    ballot = await api.next_message(GROUP.id, timeout=8)
    assert f"#{cid}" in ballot["text"]
    assert "3号楼加装电梯" in ballot["text"]

    # the owner votes in the group: alert + private receipt, nothing in the group
    assert "已记录：同意" in await _press(api, GROUP, RESIDENT, ballot, "同意")
    receipt = await api.next_message(api.private_chat(RESIDENT).id)
    assert "幸福小区3号楼1单元101室" in receipt["text"]
    assert "意见：同意" in receipt["text"]
    code = receipt["text"].split("回执码：")[1][:9]

    # refusals: unlinked, tenant, household outside the scope (a callback answer only)
    stranger = type(RESIDENT)(id=1999, first_name="路人")
    tenant = type(RESIDENT)(id=TENANT_ID, first_name="租户")
    assert await _press(api, GROUP, stranger, ballot, "不同意") == t.REFUSALS[Refusal.NOT_LINKED]
    assert await _press(api, GROUP, tenant, ballot, "不同意") == t.REFUSALS[Refusal.NOT_OWNER]
    assert await _press(api, GROUP, NEIGHBOUR, ballot, "同意") == t.REFUSALS[Refusal.OUT_OF_SCOPE]
    # a forged button: another option index
    query = forge_press(api, GROUP, RESIDENT, ballot, f"cv:v:{cid}:9")
    assert (await answer_of(api, query)).params["text"] == t.REFUSALS[Refusal.BAD_OPTION]
    query = forge_press(api, GROUP, RESIDENT, ballot, "cv:v:x:1")
    assert (await answer_of(api, query)).params["text"] == t.STALE

    # the vote changed, in private
    private = api.private_chat(RESIDENT)
    api.skip_messages(private.id)
    assert "不同意" in await _press(api, GROUP, RESIDENT, ballot, "不同意")
    changed = await api.next_message(private.id)
    assert t.RECEIPT_CHANGED in changed["text"]
    await api.expect_no_message(GROUP.id, within=0.3)

    recorded = await rows(
        db, "SELECT seq, option FROM consult_votes WHERE consultation_id = ? ORDER BY seq", cid
    )
    assert recorded == [(1, "同意"), (2, "不同意")]
    assert code.replace("-", "").lower() == (await rows(
        db, "SELECT substr(hash, 1, 8) FROM consult_votes WHERE seq = 1"))[0][0]  # fmt: skip

    # the tally is edited in place (show_tally)
    async def edited() -> bool:
        text = str(api.message(GROUP.id, ballot["message_id"])["text"])  # type: ignore[index]
        return "当前计票" in text and "不同意：1户" in text

    for _ in range(40):
        if await edited():
            break
        await asyncio.sleep(0.2)
    assert await edited()

    # early close by staff; then a press is refused, and the result goes to the group
    api.send_text(api.private_chat(ADMIN), ADMIN, f"/consult close {cid}")
    await api.next_message(api.private_chat(ADMIN).id)
    result = await api.next_message(GROUP.id, timeout=8)
    assert f"【征询结果 #{cid}】" in result["text"]
    assert "未通过" in result["text"]
    assert "公示期" in result["text"]
    # the buttons are gone; an old client still sending the press is refused
    assert not (api.message(GROUP.id, ballot["message_id"]) or {}).get("reply_markup")
    query = forge_press(api, GROUP, RESIDENT, ballot, f"cv:v:{cid}:0")
    assert (await answer_of(api, query)).params["text"] == t.REFUSALS[Refusal.CLOSED]


async def test_before_opening_refused(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await _setup(api, db)
    cid = await _publish(bot.services.database, opens=3600, seconds=7200)
    ballot = await api.next_message(GROUP.id, timeout=8)
    assert f"#{cid}" in ballot["text"]
    assert await _press(api, GROUP, RESIDENT, ballot, "同意") == t.REFUSALS[Refusal.NOT_OPEN_YET]


async def test_deadline_passed_while_down_closes_at_start(
    api: LocalBotApi, restart: Callable[[], Any]
) -> None:
    async with restart() as app:
        db = app.services.db
        await _setup(api, db)
        cid = await _publish(app.services.database, seconds=6)
        ballot = await api.next_message(GROUP.id, timeout=5)
        await _press(api, GROUP, RESIDENT, ballot, "同意")
        closes = (await rows(db, "SELECT closes_at FROM consultations WHERE id = ?", cid))[0][0]
    # the bot is down when the deadline passes
    while utc_now().isoformat(timespec="seconds") <= closes:  # noqa: ASYNC110 - wall clock
        await asyncio.sleep(0.2)
    async with restart() as app:
        result = await api.next_message(GROUP.id, timeout=5)
        assert f"【征询结果 #{cid}】" in result["text"]
        assert "SHA-256" in result["text"]
        assert await rows(
            app.services.db, "SELECT status, close_reason FROM consultations WHERE id = ?", cid
        ) == [("closed", "deadline")]
