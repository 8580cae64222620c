"""Helpers for the households end-to-end tests (test_households_*.py); holds no tests itself."""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot.local_api import Chat, LocalBotApi, User
from knowledge.households import linking
from knowledge.households.roster_service import apply_import, plan_import
from storage.households_repo import find_household
from tests.e2e.conftest import button_data
from tests.e2e.test_foundation_helpers import answer_of

ROSTER_CSV = (
    "小区,楼栋,单元,房号,面积,业主,电话\n"
    "幸福小区,3号楼,1单元,101,85.5,张三,13800000001\n"
    "幸福小区,3号楼,1单元,102,90,李四,13800000002\n"
    "幸福小区,3号楼,2单元,201,70.25,王五,\n"
    "幸福小区,4栋,1,101室,60,赵六,\n"
).encode()


def current_text(api: LocalBotApi, chat_id: int, message_id: int) -> str:
    """A sent message's text as it is now (after the bot's edits)."""
    message = api.message(chat_id, message_id)
    assert message is not None
    return str(message["text"])


async def seed_register(db: aiosqlite.Connection) -> None:
    """The register as staff would import it: 幸福小区, buildings 3 (units 1, 2) and 4."""
    plan = await plan_import(db, ROSTER_CSV, "名册.csv", None, False)
    assert plan.errors == ()
    await apply_import(db, plan, 0)


async def codes(db: aiosqlite.Connection) -> dict[str, str]:
    """Fresh printed codes, by address '3-1-101'."""
    issued = await linking.issue_codes(db, "幸福小区")
    return {f"{h.building}-{h.unit}-{h.room}": code for h, code in issued}


async def household_id(db: aiosqlite.Connection, building: str, unit: str, room: str) -> int:
    found = await find_household(db, "幸福小区", building, unit, room)
    assert found is not None
    return found.id


async def press(
    api: LocalBotApi, chat: Chat, user: User, message: dict[str, Any], label: str
) -> dict[str, Any]:
    """Press the button whose label contains `label`; returns the bot's answer to the press."""
    query_id = api.press_button(chat, user, message, button_data(message, label))
    return (await answer_of(api, query_id)).params


async def bind_with_code(
    api: LocalBotApi, user: User, code: str, role_label: str = "业主", *, deep_link: bool = False
) -> dict[str, Any]:
    """/bind CODE (or the deep link) → role → consent → agree; returns the last message."""
    chat = api.private_chat(user)
    api.send_text(chat, user, f"/start bind-{code}" if deep_link else f"/bind {code}")
    roles = await api.next_message(chat.id)
    await press(api, chat, user, roles, role_label)
    consent = await api.next_message(chat.id)
    await press(api, chat, user, consent, "同意并绑定")
    return await api.next_message(chat.id)
