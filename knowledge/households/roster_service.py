"""Roster import: plan → apply.

Import is all or nothing: `plan_import` reads and validates the whole file and compares it
with the register without writing; `apply_import` writes only a plan without errors, in
short transactions of `BATCH_ROWS` rooms, so a 20,000-room file never holds the database
for seconds. Planning is deterministic: the chat upload keeps the file and plans again at
confirm, and `apply_import` compares with the register once more at that moment.

The export is in `roster_export`, merging owners across rooms in `owner_merge`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiosqlite

from knowledge.households.addressing import format_address, is_masked_phone, mask_phone
from knowledge.households.roster import Column, ParsedRoster, RosterRow, parse_roster
from storage import households_repo as repo
from storage.households_repo import AuditEntry, Household, HouseholdValues

BATCH_ROWS = 1_000
CLI_ACTOR = 0


class RosterImportError(Exception):
    """The plan cannot be applied (it has errors, or the register changed under it)."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = tuple(errors)


@dataclass(frozen=True)
class ImportCounts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0

    def describe(self, replace: bool) -> str:
        text = f"新增 {self.added}，修改 {self.changed}，未变 {self.unchanged}"
        return f"{text}，删除 {self.removed}" if replace else text


@dataclass(frozen=True)
class ImportPlan:
    """What importing a file would do; `errors` non-empty means it must not be applied."""

    filename: str
    replace: bool
    rows: tuple[RosterRow, ...]
    columns: frozenset[Column]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    counts: ImportCounts

    @property
    def ok(self) -> bool:
        return not self.errors


ImportSummary = ImportCounts


@dataclass
class _CommunityDiff:
    inserts: list[HouseholdValues] = field(default_factory=list)
    updates: list[tuple[int, HouseholdValues]] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class _Diff:
    communities: dict[str, _CommunityDiff]
    errors: list[str]
    warnings: list[str]

    def counts(self) -> ImportCounts:
        parts = self.communities.values()
        return ImportCounts(
            added=sum(len(d.inserts) for d in parts),
            changed=sum(len(d.updates) for d in parts),
            unchanged=sum(d.unchanged for d in parts),
            removed=sum(len(d.deletes) for d in parts),
        )


def _values(h: Household) -> HouseholdValues:
    return HouseholdValues(
        h.building, h.unit, h.room, h.area, h.owners, h.phones, h.owner_key, h.unsold
    )


def resolve_phones(
    incoming: tuple[str, ...], stored: tuple[str, ...]
) -> tuple[tuple[str, ...], list[str]]:
    """The phones to store: a masked one (138****0001, from our own export) stands for the
    stored number it masks and never replaces it; one that masks nothing stored is dropped.
    Returns (phones, the masked ones dropped)."""
    phones: list[str] = []
    dropped: list[str] = []
    for phone in incoming:
        if not is_masked_phone(phone):
            phones.append(phone)
            continue
        match = next((s for s in stored if mask_phone(s) == phone and s not in phones), None)
        if match is None:
            dropped.append(phone)
        else:
            phones.append(match)
    return tuple(phones), dropped


def merge_row(
    row: RosterRow, stored: Household | None, columns: frozenset[Column]
) -> tuple[HouseholdValues, list[str]]:
    """The room as it will be stored: a column the file lacks keeps the stored value."""
    old = _values(stored) if stored is not None else None
    phones, dropped = resolve_phones(row.phones, stored.phones if stored else ())
    if Column.PHONES not in columns and old is not None:
        phones, dropped = old.phones, []
    values = HouseholdValues(
        building=row.building,
        unit=row.unit,
        room=row.room,
        area=row.area,
        owners=old.owners if old and Column.OWNERS not in columns else row.owners,
        phones=phones,
        owner_key=old.owner_key if old and Column.OWNER_KEY not in columns else row.owner_key,
        unsold=old.unsold
        if old and Column.UNSOLD not in columns and not row.unsold
        else row.unsold,
    )
    warnings = [
        f'第{row.line}行 电话: "{p}" 是打码的号码，与已存号码对不上，已忽略' for p in dropped
    ]
    return values, warnings


async def _diff(
    conn: aiosqlite.Connection,
    rows: Sequence[RosterRow],
    columns: frozenset[Column],
    replace: bool,
) -> _Diff:
    by_community: dict[str, list[RosterRow]] = defaultdict(list)
    stored_names: dict[str, str | None] = {}
    for row in rows:
        name = row.community or ""
        if name not in stored_names:  # one look-up per community, not per row
            stored_names[name] = await repo.find_community(conn, name)
        by_community[stored_names[name] or name].append(row)
    diff = _Diff({}, [], [])
    live = await repo.link_counts(conn, repo.LIVE_LINK_STATES) if replace else {}
    for community, community_rows in by_community.items():
        part = diff.communities.setdefault(community, _CommunityDiff())
        existing = {
            (h.building, h.unit, h.room): h for h in await repo.all_households(conn, community)
        }
        for row in community_rows:
            stored = existing.pop((row.building, row.unit, row.room), None)
            values, warnings = merge_row(row, stored, columns)
            diff.warnings.extend(warnings)
            if stored is None:
                part.inserts.append(values)
            elif values == _values(stored):
                part.unchanged += 1
            else:
                part.updates.append((stored.id, values))
        if not replace:
            continue
        for h in existing.values():
            if live.get(h.id):
                diff.errors.append(
                    f"{community} {format_address(h.building, h.unit, h.room)}: 文件里没有这户，"
                    f"但它有 {live[h.id]} 个已绑定（或待审核）的账号，不能用 --replace 删除；"
                    "请先解除绑定，或把这户留在文件里"
                )
            else:
                part.deletes.append(h.id)
    return diff


async def plan_import(
    conn: aiosqlite.Connection,
    data: bytes,
    filename: str,
    community: str | None,
    replace: bool,
) -> ImportPlan:
    """Read, validate and compare with the register; nothing is written."""
    parsed: ParsedRoster = parse_roster(data, filename, community)
    diff = await _diff(conn, parsed.rows, parsed.columns, replace)
    errors = tuple(str(e) for e in parsed.errors) + tuple(diff.errors)
    return ImportPlan(
        filename=filename,
        replace=replace,
        rows=parsed.rows,
        columns=parsed.columns,
        errors=errors,
        warnings=parsed.warnings + tuple(diff.warnings),
        counts=diff.counts(),
    )


async def apply_import(
    conn: aiosqlite.Connection, plan: ImportPlan, actor_id: int
) -> ImportSummary:
    """Write a plan without errors, compared once more with the register as it is now."""
    if plan.errors:
        raise RosterImportError(plan.errors)
    diff = await _diff(conn, plan.rows, plan.columns, plan.replace)
    if diff.errors:
        raise RosterImportError(diff.errors)
    for community, part in diff.communities.items():
        community_id = await repo.ensure_community(conn, community)
        batches = _batches(part)
        for number, (inserts, updates, deletes) in enumerate(batches, 1):
            detail = json.dumps(
                {
                    "file": plan.filename,
                    "batch": f"{number}/{len(batches)}",
                    "added": len(inserts),
                    "changed": len(updates),
                    "removed": len(deletes),
                },
                ensure_ascii=False,
            )
            await repo.write_households(
                conn,
                community_id,
                inserts=inserts,
                updates=updates,
                deletes=deletes,
                audit=[AuditEntry(actor_id, "roster.import", community, detail)],
            )
    return diff.counts()


_Batch = tuple[list[HouseholdValues], list[tuple[int, HouseholdValues]], list[int]]


def _batches(part: _CommunityDiff) -> list[_Batch]:
    """The community's changes cut into transactions of at most `BATCH_ROWS` rooms."""
    batches: list[_Batch] = []
    size = BATCH_ROWS
    batches.extend((part.inserts[i : i + size], [], []) for i in range(0, len(part.inserts), size))
    batches.extend(([], part.updates[i : i + size], []) for i in range(0, len(part.updates), size))
    batches.extend(([], [], part.deletes[i : i + size]) for i in range(0, len(part.deletes), size))
    return batches
