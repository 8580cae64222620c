"""Linking Telegram accounts to households: requests staff decide, unlinking, forgetting.

An account is linked by a one-time code or an owner's invite (`link_codes`, which says how
codes are made, stored and throttled) or by a request staff approve (here). The roles are in
`link_roles`. Names from both are re-exported here (`name as name`), so `linking.X` keeps
reaching all of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import aiosqlite

from knowledge.households.link_codes import ALPHABET as ALPHABET
from knowledge.households.link_codes import CODE_LENGTH as CODE_LENGTH
from knowledge.households.link_codes import DEEP_LINK_PREFIX as DEEP_LINK_PREFIX
from knowledge.households.link_codes import INVITE_DAYS as INVITE_DAYS
from knowledge.households.link_codes import MAX_FAILED as MAX_FAILED
from knowledge.households.link_codes import ROSTER_DAYS as ROSTER_DAYS
from knowledge.households.link_codes import THROTTLE_WINDOW as THROTTLE_WINDOW
from knowledge.households.link_codes import CodeCheck as CodeCheck
from knowledge.households.link_codes import RedeemResult as RedeemResult
from knowledge.households.link_codes import check_code as check_code
from knowledge.households.link_codes import claim_code as claim_code
from knowledge.households.link_codes import create_invite as create_invite
from knowledge.households.link_codes import deep_link_payload as deep_link_payload
from knowledge.households.link_codes import hash_code as hash_code
from knowledge.households.link_codes import issue_codes as issue_codes
from knowledge.households.link_codes import looks_like_code as looks_like_code
from knowledge.households.link_codes import new_code as new_code
from knowledge.households.link_codes import normalize_code as normalize_code
from knowledge.households.link_codes import redeem as redeem
from knowledge.households.link_codes import throttled_until as throttled_until
from knowledge.households.link_roles import ALL_ROLES as ALL_ROLES
from knowledge.households.link_roles import INVITE_ROLES as INVITE_ROLES
from knowledge.households.link_roles import Role as Role
from storage import household_links_repo as repo
from storage import staff_repo
from storage.clock import stored, utc_now
from storage.db import transaction
from storage.household_links_repo import Link
from storage.households_repo import Household, get_household

MAX_PENDING_REQUESTS = 3
# What records that must stay (tickets, votes) show for a resident who used /leave.
FORGOTTEN = "已注销居民"


class RequestResult(StrEnum):
    OK = "ok"
    ALREADY_LINKED = "already_linked"
    ALREADY_PENDING = "already_pending"
    TOO_MANY = "too_many"


async def request_link(
    conn: aiosqlite.Connection, user_id: int, household_id: int, role: Role
) -> tuple[RequestResult, int | None]:
    """A pending link for staff to approve; returns the result and the link id."""
    existing = await repo.find_link(conn, household_id, user_id)
    if existing is not None and existing.status == "active":
        return RequestResult.ALREADY_LINKED, existing.id
    if existing is not None and existing.status == "pending":
        return RequestResult.ALREADY_PENDING, existing.id
    if await repo.count_pending(conn, user_id) >= MAX_PENDING_REQUESTS:
        return RequestResult.TOO_MANY, None
    at = stored(utc_now())
    async with transaction(conn):
        link_id = await repo.save_link(conn, household_id, user_id, role, "pending", "request", at)
        await repo.add_resident(conn, user_id, at)
    return RequestResult.OK, link_id


async def decide_request(
    conn: aiosqlite.Connection, link_id: int, staff_id: int, approve: bool
) -> Link | None:
    """Staff approve or reject a pending request; None when it is no longer pending."""
    status = "active" if approve else "rejected"
    at = stored(utc_now())
    if not await repo.set_link_status(conn, link_id, status, staff_id, at, only_from=("pending",)):
        return None
    await staff_repo.record_audit(
        conn, staff_id, f"household.{'approve' if approve else 'reject'}", str(link_id)
    )
    return await repo.get_link(conn, link_id)


async def unlink(conn: aiosqlite.Connection, link_id: int, actor_id: int) -> Link | None:
    """Remove a link (staff from /household); None when it was not live."""
    at = stored(utc_now())
    done = await repo.set_link_status(
        conn, link_id, "removed", actor_id, at, only_from=("pending", "active")
    )
    if not done:
        return None
    link = await repo.get_link(conn, link_id)
    if link is not None:
        await staff_repo.record_audit(
            conn, actor_id, "household.unlink", str(link.household_id), f"link {link_id}"
        )
    return link


@dataclass(frozen=True)
class ResidentData:
    """Everything the households feature keeps about one account, for /me."""

    consented_at: str | None
    links: Sequence[tuple[Link, Household]]
    attempts: int
    staff_name: str | None = None  # kept for staff exports (storage/staff_repo.py)


async def resident_data(conn: aiosqlite.Connection, user_id: int) -> ResidentData:
    pairs = []
    for link in await repo.links_for_user(conn, user_id):
        household = await get_household(conn, link.household_id)
        if household is not None:
            pairs.append((link, household))
    return ResidentData(
        await repo.consented_at(conn, user_id),
        pairs,
        await repo.count_attempts(conn, user_id),
        await staff_repo.staff_name(conn, user_id),
    )


async def forget_resident(conn: aiosqlite.Connection, user_id: int) -> None:
    """/leave: links, consent, attempts, stored chat state, a staff display name: gone.
    Unused invites revoked."""
    await repo.forget_user(conn, user_id, stored(utc_now()))


def display_name_for(user_id: int | None, name: str | None = None) -> str:
    """How a kept record names its author: `FORGOTTEN` once they left (user id cleared)."""
    if user_id is None:
        return FORGOTTEN
    return name or str(user_id)
