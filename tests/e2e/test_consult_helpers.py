"""Helpers common to the consultation e2e tests (no tests here)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiosqlite

from bot.local_api import LocalBotApi, User
from knowledge.consult.service import ConsultService, Draft
from storage import household_links_repo as links
from storage.clock import utc_now
from storage.db import DatabaseHandle
from tests.e2e.conftest import ADMIN, GROUP, button_data
from tests.e2e.test_foundation_helpers import answer_of
from tests.e2e.test_households_support import household_id, seed_register

TITLE = "3号楼加装电梯"
LATE_OWNER = User(id=1004, first_name="王五", language_code="zh-hans")  # never opts in


async def register_and_group(api: LocalBotApi, db: aiosqlite.Connection) -> dict[str, int]:
    """The register seeded and the group bound to 幸福小区 3号楼; household ids by address."""
    await seed_register(db)
    api.send_text(GROUP, ADMIN, "/bindgroup 幸福小区 3号楼")
    await api.next_message(GROUP.id)
    return {
        f"{b}-{u}-{r}": await household_id(db, b, u, r)
        for b, u, r in (("3", "1", "101"), ("3", "1", "102"), ("3", "2", "201"), ("4", "1", "101"))
    }


async def link(db: aiosqlite.Connection, household: int, user: User, role: str = "owner") -> None:
    await links.save_link(db, household, user.id, role, "active", "code", "2025-01-01")


async def publish(
    database: DatabaseHandle, *, hours: float = 72, rule: str = "double-two-thirds"
) -> int:
    """A consultation on 幸福小区 3号楼, open since a minute ago, published (not yet posted)."""
    svc = ConsultService(database)
    now = utc_now()
    cid = await svc.create(
        Draft(
            title=TITLE,
            question="是否同意3号楼加装电梯？",
            scope="building:幸福小区/3",
            rule=rule,
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=hours),
        ),
        ADMIN.id,
    )
    await svc.publish(cid)
    return cid


async def press(api: LocalBotApi, chat: Any, user: User, msg: dict[str, Any], label: str) -> str:
    """Press the button whose label contains `label`; the text of the bot's answer."""
    query = api.press_button(chat, user, msg, button_data(msg, label))
    return str((await answer_of(api, query)).params.get("text", ""))


async def forged(api: LocalBotApi, chat: Any, user: User, msg: dict[str, Any], data: str) -> str:
    """A modified client's press with `data`; the text of the bot's answer."""
    query = api.press_button(chat, user, msg, data, forged=True)
    return str((await answer_of(api, query)).params.get("text", ""))
