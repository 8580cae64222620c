"""One-time codes that link an account to a household: printed slips and owners' invites.

A code is 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), drawn with
`secrets`; only its keyed hash (HMAC-SHA256, the key in a file beside the database) is
stored, so 20,000 codes are issued in well under a second and a copied database alone does
not reveal a working code. A code is used once, expires (30 days by default for printed
slips, 7 for an owner's invite) and a new `issue_codes` run revokes a room's unused slip.

Guessing is throttled: after `MAX_FAILED` failed codes within `THROTTLE_WINDOW` a user is
refused until the oldest of them is an hour old; every attempt is logged in bind_attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import aiosqlite

from knowledge.households.link_roles import ALL_ROLES, INVITE_ROLES, Role
from storage import household_links_repo as repo
from storage import staff_repo
from storage.clock import stored, utc_now
from storage.db import transaction
from storage.households_repo import Household, all_households, get_household

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH = 10  # 31**10 ≈ 8e14 codes
ROSTER_DAYS = 30
INVITE_DAYS = 7
MAX_FAILED = 5
THROTTLE_WINDOW = timedelta(hours=1)
DEEP_LINK_PREFIX = "bind-"


class RedeemResult(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    THROTTLED = "throttled"
    ALREADY_LINKED = "already_linked"
    ROLE_NOT_ALLOWED = "role_not_allowed"


@dataclass(frozen=True)
class CodeCheck:
    result: RedeemResult
    code_id: int | None = None
    household: Household | None = None
    kind: str | None = None
    retry_after: datetime | None = None  # when a throttled user may try again

    @property
    def roles(self) -> tuple[Role, ...]:
        return INVITE_ROLES if self.kind == "invite" else ALL_ROLES


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """What a resident typed, as a code: full-width → ASCII, upper case, no spaces/dashes,
    and a `bind-` deep-link prefix dropped."""
    value = unicodedata.normalize("NFKC", text).strip()
    if value.lower().startswith(DEEP_LINK_PREFIX):
        value = value[len(DEEP_LINK_PREFIX) :]
    return "".join(ch for ch in value.upper() if ch not in " -_\t")


def looks_like_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def hash_code(key: bytes, code: str) -> str:
    return hmac.new(key, code.encode("ascii", "replace"), hashlib.sha256).hexdigest()


def deep_link_payload(code: str) -> str:
    return f"{DEEP_LINK_PREFIX}{code}"


async def issue_codes(
    conn: aiosqlite.Connection,
    community: str | None,
    building: str | None = None,
    days: int = ROSTER_DAYS,
    actor_id: int = 0,
) -> list[tuple[Household, str]]:
    """A fresh printed code for every sold room (of a community, of a building).

    Each room's unused roster code is revoked in the same transaction; links already
    made stay. The plain codes are returned once and never stored.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    rooms = [h for h in await all_households(conn, community, building) if not h.unsold]
    if not rooms:
        return []
    key = await repo.code_key(conn)
    now = utc_now()
    created, expires = stored(now), stored(now + timedelta(days=days))
    issued = [(h, new_code()) for h in rooms]
    async with transaction(conn):
        await repo.revoke_unused(conn, [h.id for h in rooms], "roster", created)
        await repo.insert_codes(
            conn,
            (
                (h.id, hash_code(key, code), "roster", actor_id or None, created, expires)
                for h, code in issued
            ),
        )
        scope = "/".join(p for p in (community or "*", building) if p)
        await staff_repo.record_audit(
            conn, actor_id, "household.codes", scope, f"{len(issued)} codes, {days} days"
        )
    return issued


async def throttled_until(conn: aiosqlite.Connection, user_id: int) -> datetime | None:
    """When a throttled user may try again; None when they may try now."""
    now = utc_now()
    failed = await repo.failed_attempts_since(conn, user_id, stored(now - THROTTLE_WINDOW))
    if len(failed) < MAX_FAILED:
        return None
    # Free again once fewer than MAX_FAILED failures lie within the last hour.
    return datetime.fromisoformat(failed[-MAX_FAILED]) + THROTTLE_WINDOW


async def check_code(conn: aiosqlite.Connection, user_id: int, text: str) -> CodeCheck:
    """Whether `text` is a code this user may use now; logs the attempt. Uses nothing."""
    now = utc_now()
    until = await throttled_until(conn, user_id)
    if until is not None:
        await repo.record_attempt(conn, user_id, stored(now), repo.ATTEMPT_REFUSED)
        return CodeCheck(RedeemResult.THROTTLED, retry_after=until)
    code = normalize_code(text)
    record = None
    if looks_like_code(code):
        record = await repo.find_code(conn, hash_code(await repo.code_key(conn), code))
    result = _state(record, now)
    if record is not None and result is RedeemResult.OK:
        link = await repo.find_link(conn, record.household_id, user_id)
        if link is not None and link.status == "active":
            result = RedeemResult.ALREADY_LINKED
    ok = result in (RedeemResult.OK, RedeemResult.ALREADY_LINKED)
    await repo.record_attempt(
        conn, user_id, stored(now), repo.ATTEMPT_OK if ok else repo.ATTEMPT_FAILED
    )
    if record is None or not ok:
        return CodeCheck(result)
    household = await get_household(conn, record.household_id)
    if household is None:  # the room left the register after the code was printed
        return CodeCheck(RedeemResult.REVOKED)
    return CodeCheck(result, record.id, household, record.kind)


def _state(record: repo.CodeRecord | None, now: datetime) -> RedeemResult:
    if record is None:
        return RedeemResult.WRONG
    if record.used_at is not None:
        return RedeemResult.USED
    if record.revoked_at is not None:
        return RedeemResult.REVOKED
    if datetime.fromisoformat(record.expires_at) <= now:
        return RedeemResult.EXPIRED
    return RedeemResult.OK


async def claim_code(
    conn: aiosqlite.Connection, user_id: int, code_id: int, role: Role
) -> RedeemResult:
    """Use a checked code: the link is made and consent recorded, all or nothing.

    Checked again here, since the resident may have taken a day over the consent text.
    """
    now = utc_now()
    at = stored(now)
    record = await repo.get_code(conn, code_id)
    result = _state(record, now)
    if record is None or result is not RedeemResult.OK:
        return result
    if record.kind == "invite" and role not in INVITE_ROLES:
        return RedeemResult.ROLE_NOT_ALLOWED
    async with transaction(conn):
        # Marking it used is the race's referee: someone else may have just used it.
        used = await repo.mark_code_used(conn, code_id, user_id, at)
        if used:
            via = "invite" if record.kind == "invite" else "code"
            await repo.save_link(conn, record.household_id, user_id, role, "active", via, at)
            await repo.add_resident(conn, user_id, at)
    if not used:
        fresh = await repo.get_code(conn, code_id)
        return _state(fresh, now) if fresh else RedeemResult.WRONG
    return RedeemResult.OK


async def redeem(conn: aiosqlite.Connection, user_id: int, code: str, role: Role) -> RedeemResult:
    """Check and use a code in one step (the chat flow checks first, then claims)."""
    checked = await check_code(conn, user_id, code)
    if checked.result is not RedeemResult.OK or checked.code_id is None:
        return checked.result
    return await claim_code(conn, user_id, checked.code_id, role)


async def create_invite(
    conn: aiosqlite.Connection, owner_id: int, household_id: int, days: int = INVITE_DAYS
) -> str | None:
    """A one-time invite code from a linked owner; None when they are not one."""
    link = await repo.find_link(conn, household_id, owner_id)
    if link is None or link.status != "active" or link.role != Role.OWNER:
        return None
    key = await repo.code_key(conn)
    now = utc_now()
    code = new_code()
    await repo.insert_codes(
        conn,
        [
            (
                household_id,
                hash_code(key, code),
                "invite",
                owner_id,
                stored(now),
                stored(now + timedelta(days=days)),
            )
        ],
    )
    return code
