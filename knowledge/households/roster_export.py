"""The roster export: the register as one sheet that re-imports unchanged."""

from __future__ import annotations

import json

import aiosqlite

from knowledge.households.addressing import mask_phone
from knowledge.spreadsheet import Sheet
from storage import households_repo as repo
from storage.staff_repo import record_audit

EXPORT_HEADERS = (
    "小区",
    "楼栋",
    "单元",
    "房号",
    "面积",
    "业主",
    "电话",
    "业主编号",
    "未售",
    "已绑定账号数",
)
EXPORT_WIDTHS = (14, 8, 6, 8, 10, 16, 26, 10, 6, 12)


async def roster_sheet(
    conn: aiosqlite.Connection,
    community: str | None = None,
    with_contact: bool = False,
    actor_id: int | None = None,
) -> Sheet:
    """The register as one sheet with the import headers (so it re-imports unchanged).

    With `actor_id` the export is written to the audit log (it shows personal data).
    """
    if community is not None:
        community = await repo.find_community(conn, community) or community
    households = await repo.all_households(conn, community)
    if actor_id is not None:
        detail = json.dumps({"rooms": len(households), "with_contact": with_contact})
        await record_audit(conn, actor_id, "roster.export", community, detail)
    links = await repo.link_counts(conn)

    def rows() -> list[list[object]]:
        return [
            [
                h.community,
                h.building,
                h.unit,
                h.room,
                f"{h.area:.2f}",
                "、".join(h.owners),
                "、".join(p if with_contact else mask_phone(p) for p in h.phones),
                h.owner_key or "",
                "是" if h.unsold else "",
                links.get(h.id, 0),
            ]
            for h in households
        ]

    return Sheet("房屋名册", EXPORT_HEADERS, rows(), EXPORT_WIDTHS)
