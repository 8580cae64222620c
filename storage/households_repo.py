"""The household register (房屋): communities, households and their linked-account counts.

Values are stored canonical (building '3' for 3号楼, room '101' for 101室), so lookups here
compare plain strings; the caller canonicalises (knowledge/households/addressing.py). Area
is kept as an integer number of hundredths of a m² (`area_centi`), so it stays exact.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import aiosqlite

from storage.clock import now_iso
from storage.db import transaction
from storage.staff_repo import record_audit

_SELECT = (
    "SELECT h.id, c.name, h.building, h.unit, h.room, h.area_centi, h.owners, h.phones,"
    " h.owner_key, h.unsold FROM households h JOIN communities c ON c.id = h.community_id"
)
# Link states that tie an account to a room (a room holding them is not deleted by --replace).
LIVE_LINK_STATES = ("active", "pending")


@dataclass(frozen=True)
class Household:
    id: int
    community: str
    building: str
    unit: str
    room: str
    area: Decimal
    owners: tuple[str, ...]
    phones: tuple[str, ...]
    owner_key: str | None
    unsold: bool


@dataclass(frozen=True)
class HouseholdValues:
    """What a write stores for one room (the community is given beside it)."""

    building: str
    unit: str
    room: str
    area: Decimal
    owners: tuple[str, ...]
    phones: tuple[str, ...]
    owner_key: str | None
    unsold: bool


@dataclass(frozen=True)
class AuditEntry:
    actor_id: int
    action: str
    target: str | None = None
    detail: str | None = None


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting '2' before '10' and numbers before names ('A')."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", text)
        if part
    )


def _household_sort_key(h: Household) -> tuple[object, ...]:
    return (h.community, natural_key(h.building), natural_key(h.unit), natural_key(h.room))


def _json_list(raw: str) -> tuple[str, ...]:
    if not raw:
        return ()
    value = json.loads(raw)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _to_household(row: aiosqlite.Row) -> Household:
    return Household(
        id=row[0],
        community=row[1],
        building=row[2],
        unit=row[3],
        room=row[4],
        area=(Decimal(row[5]) / 100).quantize(Decimal("0.01")),
        owners=_json_list(row[6]),
        phones=_json_list(row[7]),
        owner_key=row[8],
        unsold=bool(row[9]),
    )


def _centi(area: Decimal) -> int:
    return int((area * 100).to_integral_value())


def _dump(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


async def _fetch(
    conn: aiosqlite.Connection, sql: str, params: Sequence[object]
) -> list[Household]:
    # fetchall: `async for` over an aiosqlite cursor crosses to its thread once per row.
    async with conn.execute(sql, params) as cur:
        return [_to_household(r) for r in await cur.fetchall()]


async def get_household(conn: aiosqlite.Connection, household_id: int) -> Household | None:
    found = await _fetch(conn, f"{_SELECT} WHERE h.id = ?", (household_id,))
    return found[0] if found else None


async def find_household(
    conn: aiosqlite.Connection, community: str, building: str, unit: str, room: str
) -> Household | None:
    """The room with these canonical values, in the community named exactly `community`."""
    found = await _fetch(
        conn,
        f"{_SELECT} WHERE c.name = ? AND h.building = ? AND h.unit = ? AND h.room = ?",
        (community, building, unit, room),
    )
    return found[0] if found else None


async def list_communities(conn: aiosqlite.Connection) -> list[str]:
    """Communities that hold at least one household, by name."""
    async with conn.execute(
        "SELECT name FROM communities c WHERE EXISTS"
        " (SELECT 1 FROM households h WHERE h.community_id = c.id) ORDER BY name"
    ) as cur:
        return [r[0] async for r in cur]


async def list_buildings(conn: aiosqlite.Connection, community: str) -> list[str]:
    async with conn.execute(
        "SELECT DISTINCT h.building FROM households h JOIN communities c"
        " ON c.id = h.community_id WHERE c.name = ?",
        (community,),
    ) as cur:
        return sorted([r[0] async for r in cur], key=natural_key)


async def list_units(conn: aiosqlite.Connection, community: str, building: str) -> list[str]:
    async with conn.execute(
        "SELECT DISTINCT h.unit FROM households h JOIN communities c"
        " ON c.id = h.community_id WHERE c.name = ? AND h.building = ?",
        (community, building),
    ) as cur:
        return sorted([r[0] async for r in cur], key=natural_key)


async def list_rooms(
    conn: aiosqlite.Connection, community: str, building: str, unit: str
) -> list[Household]:
    found = await _fetch(
        conn,
        f"{_SELECT} WHERE c.name = ? AND h.building = ? AND h.unit = ?",
        (community, building, unit),
    )
    return sorted(found, key=lambda h: natural_key(h.room))


def _loose(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


async def find_community(conn: aiosqlite.Connection, name: str) -> str | None:
    """The stored community `name` means: exact, else equal ignoring width, case, spaces."""
    async with conn.execute("SELECT name FROM communities ORDER BY id") as cur:
        names = [r[0] async for r in cur]
    if name in names:
        return name
    wanted = _loose(name)
    return next((n for n in names if _loose(n) == wanted), None) if wanted else None


async def all_households(
    conn: aiosqlite.Connection, community: str | None = None, building: str | None = None
) -> list[Household]:
    """Every household (of one community, of one building), in natural address order."""
    where, params = [], []
    if community is not None:
        where.append("c.name = ?")
        params.append(community)
    if building is not None:
        where.append("h.building = ?")
        params.append(building)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    return sorted(await _fetch(conn, sql, params), key=_household_sort_key)


async def link_counts(
    conn: aiosqlite.Connection, states: Iterable[str] = ("active",)
) -> dict[int, int]:
    """Linked accounts per household id, counting links in `states` (households without
    any are absent)."""
    wanted = tuple(states)
    marks = ",".join("?" * len(wanted))
    async with conn.execute(
        f"SELECT household_id, COUNT(*) FROM household_links WHERE status IN ({marks})"
        " GROUP BY household_id",
        wanted,
    ) as cur:
        return {r[0]: r[1] async for r in cur}


async def ensure_community(conn: aiosqlite.Connection, name: str) -> int:
    """The id of the community `name`, created when missing."""
    await conn.execute("INSERT OR IGNORE INTO communities (name) VALUES (?)", (name,))
    async with conn.execute("SELECT id FROM communities WHERE name = ?", (name,)) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


def _params(values: HouseholdValues) -> tuple[object, ...]:
    return (
        values.building,
        values.unit,
        values.room,
        _centi(values.area),
        _dump(values.owners),
        _dump(values.phones),
        values.owner_key,
        int(values.unsold),
    )


async def write_households(
    conn: aiosqlite.Connection,
    community_id: int,
    *,
    inserts: Sequence[HouseholdValues] = (),
    updates: Sequence[tuple[int, HouseholdValues]] = (),
    deletes: Sequence[int] = (),
    audit: Sequence[AuditEntry] = (),
) -> None:
    """One short transaction: insert, update (by id), delete (by id), and the audit rows."""
    now = now_iso()
    async with transaction(conn):
        await conn.executemany(
            "INSERT INTO households (community_id, building, unit, room, area_centi, owners,"
            " phones, owner_key, unsold, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(community_id, *_params(v), now, now) for v in inserts],
        )
        await conn.executemany(
            "UPDATE households SET building = ?, unit = ?, room = ?, area_centi = ?,"
            " owners = ?, phones = ?, owner_key = ?, unsold = ?, updated_at = ?"
            " WHERE id = ? AND community_id = ?",
            [(*_params(v), now, hid, community_id) for hid, v in updates],
        )
        await conn.executemany("DELETE FROM households WHERE id = ?", [(i,) for i in deletes])
        for entry in audit:
            await record_audit(conn, entry.actor_id, entry.action, entry.target, entry.detail)


async def set_owner_key(
    conn: aiosqlite.Connection, household_ids: Sequence[int], owner_key: str, audit: AuditEntry
) -> int:
    """Give these households one 业主编号; returns how many rows changed."""
    now = now_iso()
    changed = 0
    async with transaction(conn):
        for hid in household_ids:
            cur = await conn.execute(
                "UPDATE households SET owner_key = ?, updated_at = ? WHERE id = ?",
                (owner_key, now, hid),
            )
            changed += cur.rowcount
        await record_audit(conn, audit.actor_id, audit.action, audit.target, audit.detail)
    return changed
