"""Merging owners across rooms: one shared 业主编号 for the rooms of one person."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

import aiosqlite

from knowledge.households.roster_service import CLI_ACTOR
from storage import households_repo as repo
from storage.households_repo import AuditEntry, Household


async def merge_owners(
    conn: aiosqlite.Connection,
    household_ids: Sequence[int],
    owner_key: str | None = None,
    actor_id: int = CLI_ACTOR,
) -> str:
    """Mark these rooms as one owner's (one shared 业主编号); returns the key used.

    Without `owner_key` an existing key of one of the rooms is reused, else one is made.
    """
    found = [await repo.get_household(conn, hid) for hid in household_ids]
    missing = [hid for hid, h in zip(household_ids, found, strict=True) if h is None]
    if missing:
        raise ValueError(f"没有这些房屋：{missing}")
    households = [h for h in found if h is not None]
    key = owner_key or next(
        (h.owner_key for h in sorted(households, key=lambda h: h.id) if h.owner_key),
        f"M{min(household_ids)}",
    )
    detail = json.dumps({"owner_key": key, "households": sorted(household_ids)})
    await repo.set_owner_key(
        conn, household_ids, key, AuditEntry(actor_id, "roster.merge_owners", key, detail)
    )
    return key


def _same_person_keys(h: Household) -> list[tuple[str, str]]:
    return [(name, phone) for name in h.owners for phone in h.phones if phone]


async def find_same_owner_candidates(
    conn: aiosqlite.Connection, community: str | None = None
) -> list[tuple[Household, ...]]:
    """Groups of rooms whose owner has the same name and phone but no shared 业主编号."""
    households = await repo.all_households(conn, community)
    parent = {h.id: h.id for h in households}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[tuple[str, str], int] = {}
    for h in households:
        for key in _same_person_keys(h):
            if key in first:
                parent[root(h.id)] = root(first[key])
            else:
                first[key] = h.id
    groups: dict[int, list[Household]] = defaultdict(list)
    for h in households:
        groups[root(h.id)].append(h)
    return [
        tuple(group)
        for group in groups.values()
        if len(group) > 1 and (len({h.owner_key for h in group}) > 1 or group[0].owner_key is None)
    ]
