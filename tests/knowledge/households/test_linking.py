"""Binding codes, redeeming them, the guessing throttle, requests, invites and forgetting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from knowledge.households import linking
from knowledge.households.linking import (
    ALPHABET,
    CODE_LENGTH,
    RedeemResult,
    RequestResult,
    Role,
)
from storage import household_links_repo as repo
from storage import staff_repo
from storage.clock import utc_now
from storage.db import open_database
from storage.households_repo import HouseholdValues, ensure_community, write_households

RESIDENT, OTHER, OWNER, STAFF = 1001, 1002, 1003, 900


def _room(building: str, unit: str, room: str, unsold: bool = False) -> HouseholdValues:
    return HouseholdValues(building, unit, room, Decimal("85.50"), ("张三",), (), None, unsold)


async def seed(conn: aiosqlite.Connection, rooms: list[HouseholdValues]) -> None:
    community_id = await ensure_community(conn, "幸福小区")
    await write_households(conn, community_id, inserts=rooms)


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "bot.db")
    await seed(
        connection,
        [_room("3", "1", "101"), _room("3", "1", "102"), _room("4", "", "201", unsold=True)],
    )
    yield connection
    await connection.close()


async def rows(conn: aiosqlite.Connection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    async with conn.execute(sql, params) as cur:
        return [tuple(r) async for r in cur]


def test_codes_use_an_alphabet_without_look_alikes() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    codes = {linking.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == CODE_LENGTH >= 8 and set(c) <= set(ALPHABET) for c in codes)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("abcd234567", "ABCD234567"),
        (" ABCD-2345-67 ", "ABCD234567"),
        ("ＡＢＣＤ２３４５６７", "ABCD234567"),
        ("bind-ABCD234567", "ABCD234567"),
    ],
)
def test_normalize_code(typed: str, code: str) -> None:
    assert linking.normalize_code(typed) == code


async def test_issue_codes_stores_only_hashes_and_skips_unsold(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    issued = await linking.issue_codes(conn, "幸福小区", days=30, actor_id=STAFF)
    assert sorted(h.room for h, _ in issued) == ["101", "102"]  # 201 is unsold
    stored = await rows(conn, "SELECT code_hash, kind, expires_at FROM household_codes")
    assert len(stored) == 2
    plain = {code for _, code in issued}
    assert not plain & {r[0] for r in stored}
    assert all(plain_code not in r[0] for r in stored for plain_code in plain)
    # The key lives beside the database, not in it.
    assert (tmp_path / "bot.db.code-key").stat().st_mode & 0o077 == 0
    # Expiry: 30 days.
    expires = min(r[2] for r in stored)
    assert expires > (utc_now() + timedelta(days=29)).isoformat()
    audit = await rows(conn, "SELECT action, actor_id FROM audit_log")
    assert audit[-1:] == [("household.codes", STAFF)]


async def test_building_filter_and_a_new_run_revokes_unused_codes(
    conn: aiosqlite.Connection,
) -> None:
    first = dict((h.room, c) for h, c in await linking.issue_codes(conn, "幸福小区", "3"))
    assert await linking.redeem(conn, OWNER, first["101"], Role.OWNER) is RedeemResult.OK
    second = dict((h.room, c) for h, c in await linking.issue_codes(conn, "幸福小区", "3"))
    # 102's unused first code is revoked; 101's was used and stays used.
    assert await linking.redeem(conn, RESIDENT, first["102"], Role.OWNER) is RedeemResult.REVOKED
    assert await linking.redeem(conn, RESIDENT, first["101"], Role.OWNER) is RedeemResult.USED
    assert await linking.redeem(conn, RESIDENT, second["102"], Role.TENANT) is RedeemResult.OK
    assert await linking.issue_codes(conn, "幸福小区", "9") == []


async def test_redeem_links_once(conn: aiosqlite.Connection) -> None:
    ((household, code),) = [
        p for p in await linking.issue_codes(conn, "幸福小区") if p[0].room == "101"
    ]
    assert await linking.redeem(conn, RESIDENT, code.lower(), Role.FAMILY) is RedeemResult.OK
    assert await rows(
        conn, "SELECT household_id, user_id, role, status, via FROM household_links"
    ) == [(household.id, RESIDENT, "family", "active", "code")]
    assert await repo.consented_at(conn, RESIDENT) is not None
    assert await linking.redeem(conn, OTHER, code, Role.OWNER) is RedeemResult.USED
    assert await rows(conn, "SELECT user_id, ok FROM bind_attempts ORDER BY id") == [
        (RESIDENT, 1),
        (OTHER, 0),
    ]


async def test_expired_and_wrong_codes(conn: aiosqlite.Connection) -> None:
    issued = await linking.issue_codes(conn, "幸福小区")
    code = issued[0][1]
    past = (utc_now() - timedelta(seconds=1)).isoformat(timespec="seconds")
    await conn.execute("UPDATE household_codes SET expires_at = ?", (past,))
    assert await linking.redeem(conn, RESIDENT, code, Role.OWNER) is RedeemResult.EXPIRED
    assert await linking.redeem(conn, RESIDENT, "ZZZZZZZZZZ", Role.OWNER) is RedeemResult.WRONG
    assert await linking.redeem(conn, RESIDENT, "not a code", Role.OWNER) is RedeemResult.WRONG


async def test_throttle_after_five_failures_in_an_hour(conn: aiosqlite.Connection) -> None:
    issued = await linking.issue_codes(conn, "幸福小区")
    for _ in range(linking.MAX_FAILED):
        assert await linking.redeem(conn, RESIDENT, "ZZZZZZZZZZ", Role.OWNER) is RedeemResult.WRONG
    checked = await linking.check_code(conn, RESIDENT, issued[0][1])
    assert checked.result is RedeemResult.THROTTLED
    assert checked.retry_after is not None
    assert checked.retry_after > utc_now() + timedelta(minutes=59)
    # Another user is not affected; refused attempts are logged but do not prolong it.
    assert await linking.redeem(conn, OTHER, issued[0][1], Role.OWNER) is RedeemResult.OK
    assert await rows(
        conn, "SELECT ok, COUNT(*) FROM bind_attempts WHERE user_id = ? GROUP BY ok", RESIDENT
    ) == [(-1, 1), (0, 5)]
    # An hour later the user may try again.
    old = (utc_now() - timedelta(minutes=61)).isoformat(timespec="seconds")
    await conn.execute("UPDATE bind_attempts SET at = ? WHERE user_id = ?", (old, RESIDENT))
    assert await linking.throttled_until(conn, RESIDENT) is None


async def test_invites_only_from_linked_owners(conn: aiosqlite.Connection) -> None:
    issued = {h.room: (h, c) for h, c in await linking.issue_codes(conn, "幸福小区")}
    household, code = issued["101"]
    assert await linking.create_invite(conn, OWNER, household.id) is None
    assert await linking.redeem(conn, OWNER, code, Role.OWNER) is RedeemResult.OK
    invite = await linking.create_invite(conn, OWNER, household.id)
    assert invite is not None
    checked = await linking.check_code(conn, RESIDENT, invite)
    assert checked.result is RedeemResult.OK
    assert checked.roles == (Role.FAMILY, Role.TENANT)
    assert checked.code_id is not None
    assert (
        await linking.claim_code(conn, RESIDENT, checked.code_id, Role.OWNER)
        is RedeemResult.ROLE_NOT_ALLOWED
    )
    assert await linking.redeem(conn, RESIDENT, invite, Role.FAMILY) is RedeemResult.OK
    assert await linking.create_invite(conn, RESIDENT, household.id) is None  # family


async def test_request_then_decision(conn: aiosqlite.Connection) -> None:
    household = (await linking.issue_codes(conn, "幸福小区"))[0][0]
    result, link_id = await linking.request_link(conn, RESIDENT, household.id, Role.OWNER)
    assert result is RequestResult.OK
    assert link_id is not None
    again = await linking.request_link(conn, RESIDENT, household.id, Role.OWNER)
    assert again == (RequestResult.ALREADY_PENDING, link_id)
    link = await linking.decide_request(conn, link_id, STAFF, approve=True)
    assert link is not None
    assert (link.status, link.decided_by) == ("active", STAFF)
    assert await linking.decide_request(conn, link_id, STAFF, approve=False) is None
    assert await linking.unlink(conn, link_id, STAFF) is not None
    assert await repo.links_for_user(conn, RESIDENT) == []
    actions = [r[0] for r in await rows(conn, "SELECT action FROM audit_log ORDER BY id")]
    assert actions[-2:] == ["household.approve", "household.unlink"]


async def test_forget_resident_removes_every_row(conn: aiosqlite.Connection) -> None:
    issued = {h.room: (h, c) for h, c in await linking.issue_codes(conn, "幸福小区")}
    household, code = issued["101"]
    assert await linking.redeem(conn, RESIDENT, code, Role.OWNER) is RedeemResult.OK
    invite = await linking.create_invite(conn, RESIDENT, household.id)
    assert invite is not None
    await linking.request_link(conn, RESIDENT, issued["102"][0].id, Role.TENANT)
    await linking.redeem(conn, RESIDENT, "ZZZZZZZZZZ", Role.OWNER)
    await conn.execute("INSERT INTO ptb_user_data (user_id, data) VALUES (?, '{}')", (RESIDENT,))
    await staff_repo.set_staff_name(conn, RESIDENT, "网格员小张")

    await linking.forget_resident(conn, RESIDENT)

    for table, column in [
        ("household_links", "user_id"),
        ("residents", "user_id"),
        ("bind_attempts", "user_id"),
        ("ptb_user_data", "user_id"),
        ("staff_names", "user_id"),
        ("household_codes", "used_by"),
        ("household_codes", "created_by"),
    ]:
        assert await rows(conn, f"SELECT 1 FROM {table} WHERE {column} = ?", RESIDENT) == []
    # The resident's unused invite no longer opens their (former) home.
    assert await linking.redeem(conn, OTHER, invite, Role.FAMILY) is RedeemResult.REVOKED
    assert linking.display_name_for(None) == linking.FORGOTTEN == "已注销居民"
    assert linking.display_name_for(5, "老王") == "老王"
