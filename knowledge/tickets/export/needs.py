"""The renovation demand list for the street office: per item (households asking, share
of registered households, co-funding, urgency) and per building."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from pathlib import Path
from typing import IO

import aiosqlite

from knowledge.households.addressing import format_building
from knowledge.spreadsheet import Sheet, SpreadsheetFormat, write_spreadsheet, write_xlsx
from knowledge.tickets.categories import Catalog
from knowledge.tickets.export.complaints import ExportResult
from knowledge.tickets.service import COFUND_LABELS, URGENCY_LABELS, Cofund, Urgency
from storage import households_repo
from storage import tickets_repo as repo
from storage.tickets_repo import Need

SUMMARY_SHEET = "改造需求汇总"
BUILDING_SHEET = "按楼栋"
SUMMARY_HEADERS = (
    "类别",
    "项目",
    "提出户数",
    "登记户数",
    "占登记户比例",
    *(COFUND_LABELS[c] for c in Cofund),
    *(URGENCY_LABELS[u] for u in reversed(Urgency)),
)
BUILDING_HEADERS = ("小区", "楼栋", "类别", "项目", "提出户数", "登记户数", "占本楼登记户比例")
UNLINKED = "未关联房屋"


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def needs_sheets(conn: aiosqlite.Connection, catalog: Catalog) -> list[Sheet]:
    """The demand list: per item (households asking, share of registered households,
    co-funding, urgency) and per building."""
    needs = await repo.current_needs(conn)
    households = {h.id: h for h in await households_repo.all_households(conn)}
    registered = len(households)
    per_building_total = Counter((h.community, h.building) for h in households.values())
    asking: dict[str, list[Need]] = defaultdict(list)
    by_building: Counter[tuple[str, str, str]] = Counter()
    for need in needs:
        home = households.get(need.household_id) if need.household_id is not None else None
        for key in need.items:
            asking[key].append(need)
            place = (home.community, home.building) if home else (UNLINKED, "")
            by_building[(*place, key)] += 1
    summary: list[list[object]] = []
    for klass in catalog.classes:
        for item in klass.items:
            rows = asking.get(item.key, [])
            linked = sum(1 for n in rows if n.household_id is not None)
            cofund = Counter(n.cofund for n in rows)
            urgency = Counter(n.urgency for n in rows)
            summary.append(
                [
                    klass.label,
                    item.label,
                    len(rows),
                    registered,
                    _share(linked, registered),
                    *(cofund[c.value] for c in Cofund),
                    *(urgency[u.value] for u in reversed(Urgency)),
                ]
            )
    building_rows: list[list[object]] = []
    for (community, building, key), count in sorted(by_building.items()):
        item_info = catalog.item(key)
        total = per_building_total.get((community, building), 0)
        building_rows.append(
            [
                community,
                format_building(building) if building else "",
                item_info.klass_label if item_info else "",
                item_info.label if item_info else key,
                count,
                total or None,
                _share(count, total),
            ]
        )
    return [
        Sheet(SUMMARY_SHEET, SUMMARY_HEADERS, summary),
        Sheet(BUILDING_SHEET, BUILDING_HEADERS, building_rows),
    ]


def buildings_path(path: Path) -> Path:
    """`needs.csv` → `needs-buildings.csv`: the CSV export's per-building file."""
    return path.with_name(f"{path.stem}-buildings{path.suffix}")


async def export_needs(
    conn: aiosqlite.Connection, path: Path, fmt: SpreadsheetFormat, *, catalog: Catalog
) -> ExportResult:
    """The demand list to `path` (XLSX: two sheets; CSV: and `-buildings.csv` beside it)."""
    summary, buildings = await needs_sheets(conn, catalog)
    if fmt is SpreadsheetFormat.XLSX:
        await asyncio.to_thread(write_spreadsheet, path, [summary, buildings])
        return ExportResult(len(await repo.current_needs(conn)), 0, (path,))
    await asyncio.to_thread(write_spreadsheet, path, [summary])
    await asyncio.to_thread(write_spreadsheet, buildings_path(path), [buildings])
    return ExportResult(len(await repo.current_needs(conn)), 0, (path, buildings_path(path)))


async def write_needs(conn: aiosqlite.Connection, out: IO[bytes], *, catalog: Catalog) -> int:
    """The demand list as one XLSX workbook (both sheets) into a stream, as `/export needs`
    sends it; returns the number of current submissions it counts."""
    sheets = await needs_sheets(conn, catalog)
    await asyncio.to_thread(write_xlsx, out, sheets)
    return len(await repo.current_needs(conn))
