"""Import plans and their application, export, owner merging — on a real database."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import aiosqlite
import pytest

from knowledge.households.owner_merge import find_same_owner_candidates, merge_owners
from knowledge.households.roster_export import roster_sheet
from knowledge.households.roster_service import (
    ImportCounts,
    RosterImportError,
    apply_import,
    plan_import,
)
from knowledge.spreadsheet import write_csv
from storage import households_repo as repo
from storage.db import open_database

HEADER = "小区,楼栋,单元,房号,面积,业主,电话,业主编号\n"
FIRST = HEADER + (
    "幸福小区,3号楼,1单元,101室,85.5,张三,13800000001,\n"
    "幸福小区,3号楼,1单元,102室,90,李四,13900000002,\n"
    "幸福小区,3号楼,1单元,103室,70,王五,,\n"
)


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "t.db")
    yield connection
    await connection.close()


async def do_import(
    conn: aiosqlite.Connection, text: str, *, replace: bool = False, community: str | None = None
) -> ImportCounts:
    plan = await plan_import(conn, text.encode("utf-8"), "x.csv", community, replace)
    assert plan.ok, plan.errors
    return await apply_import(conn, plan, actor_id=7)


async def audit_rows(conn: aiosqlite.Connection) -> list[tuple[str, str | None]]:
    async with conn.execute("SELECT action, target FROM audit_log ORDER BY id") as cur:
        return [(r[0], r[1]) async for r in cur]


async def test_first_import_then_reimport_counts(conn: aiosqlite.Connection) -> None:
    assert await do_import(conn, FIRST) == ImportCounts(added=3)
    assert await audit_rows(conn) == [("roster.import", "幸福小区")]
    second = FIRST.replace("70,王五", "71,王五") + "幸福小区,3,1,104,60,赵六,,\n"
    plan = await plan_import(conn, second.encode(), "x.csv", None, False)
    assert plan.counts == ImportCounts(added=1, changed=1, unchanged=2)
    assert plan.counts.describe(False) == "新增 1，修改 1，未变 2"
    assert await apply_import(conn, plan, 7) == ImportCounts(added=1, changed=1, unchanged=2)
    h = await repo.find_household(conn, "幸福小区", "3", "1", "103")
    assert h is not None
    assert h.area == Decimal("71.00")
    assert len(await repo.all_households(conn)) == 4


async def test_any_error_writes_nothing(conn: aiosqlite.Connection) -> None:
    await do_import(conn, FIRST)
    before = await repo.all_households(conn)
    bad = FIRST.replace("90,李四", "abc,李四") + "幸福小区,3,1,105,50,新人,,\n"
    plan = await plan_import(conn, bad.encode(), "x.csv", None, False)
    assert plan.errors == ('第3行 面积: "abc" 不是数字',)
    with pytest.raises(RosterImportError):
        await apply_import(conn, plan, 7)
    assert await repo.all_households(conn) == before
    assert len(await audit_rows(conn)) == 1


async def test_dry_run_plan_writes_nothing(conn: aiosqlite.Connection) -> None:
    plan = await plan_import(conn, FIRST.encode(), "x.csv", None, False)
    assert plan.counts == ImportCounts(added=3)
    assert await repo.all_households(conn) == []
    assert await repo.list_communities(conn) == []


async def test_replace_removes_rooms_not_in_the_file(conn: aiosqlite.Connection) -> None:
    await do_import(conn, FIRST)
    other = "小区,楼栋,房号,面积\n阳光小区,1,101,50\n"
    await do_import(conn, other)
    smaller = HEADER + "幸福小区,3,1,101,85.5,张三,13800000001,\n"
    plain = await plan_import(conn, smaller.encode(), "x.csv", None, False)
    assert plain.counts == ImportCounts(unchanged=1)
    counts = await do_import(conn, smaller, replace=True)
    assert counts == ImportCounts(unchanged=1, removed=2)
    assert counts.describe(True) == "新增 0，修改 0，未变 1，删除 2"
    assert [h.room for h in await repo.all_households(conn, "幸福小区")] == ["101"]
    assert len(await repo.all_households(conn, "阳光小区")) == 1  # another community stays


async def test_replace_refuses_to_remove_linked_rooms(conn: aiosqlite.Connection) -> None:
    await do_import(conn, FIRST)
    linked = await repo.find_household(conn, "幸福小区", "3", "1", "103")
    assert linked is not None
    await conn.execute(
        "INSERT INTO household_links (household_id, user_id, role, status, via, created_at)"
        " VALUES (?, 42, 'owner', 'active', 'code', '2025-01-01T00:00:00+00:00')",
        (linked.id,),
    )
    smaller = HEADER + "幸福小区,3,1,101,85.5,张三,13800000001,\n"
    plan = await plan_import(conn, smaller.encode(), "x.csv", None, True)
    assert len(plan.errors) == 1
    assert "3号楼1单元103室" in plan.errors[0]
    assert "已绑定" in plan.errors[0]
    assert len(await repo.all_households(conn)) == 3


async def test_masked_phone_never_overwrites(conn: aiosqlite.Connection) -> None:
    await do_import(conn, FIRST)
    masked = FIRST.replace("13800000001", "138****0001").replace("13900000002", "139****9999")
    plan = await plan_import(conn, masked.encode(), "x.csv", None, False)
    assert plan.counts == ImportCounts(changed=1, unchanged=2)
    assert any("139****9999" in w for w in plan.warnings)
    await apply_import(conn, plan, 7)
    first = await repo.find_household(conn, "幸福小区", "3", "1", "101")
    second = await repo.find_household(conn, "幸福小区", "3", "1", "102")
    assert first is not None
    assert second is not None
    assert first.phones == ("13800000001",)
    assert second.phones == ()  # a masked number matching nothing stored is not stored


async def test_missing_columns_keep_stored_values(conn: aiosqlite.Connection) -> None:
    await do_import(conn, FIRST)
    areas_only = "小区,楼栋,单元,房号,面积\n幸福小区,3,1,101,85.5\n"
    assert await do_import(conn, areas_only) == ImportCounts(unchanged=1)
    h = await repo.find_household(conn, "幸福小区", "3", "1", "101")
    assert h is not None
    assert (h.owners, h.phones) == (("张三",), ("13800000001",))


def sheet_csv(rows: list[list[object]], headers: tuple[str, ...]) -> bytes:
    from knowledge.spreadsheet import Sheet

    out = io.BytesIO()
    write_csv(out, Sheet("x", headers, rows))
    return out.getvalue()


@pytest.mark.parametrize("with_contact", [False, True])
async def test_export_reimports_unchanged(conn: aiosqlite.Connection, with_contact: bool) -> None:
    await do_import(
        conn, FIRST + "幸福小区,A座,,1,0.5,开发商未售,,\n幸福小区,5,2,1,60,甲、乙,,K9\n"
    )
    sheet = await roster_sheet(conn, with_contact=with_contact, actor_id=7)
    rows = [list(r) for r in sheet.rows]
    assert rows[0][6] == ("13800000001" if with_contact else "138****0001")
    assert [r[-1] for r in rows] == [0] * 5
    data = sheet_csv(rows, tuple(sheet.headers))
    plan = await plan_import(conn, data, "export.csv", None, True)
    assert plan.ok, plan.errors
    assert plan.counts == ImportCounts(unchanged=5)
    assert not plan.warnings
    assert ("roster.export", None) in await audit_rows(conn)


async def test_merge_owners_and_candidates(conn: aiosqlite.Connection) -> None:
    text = HEADER + (
        "幸福小区,1,1,101,50,张三,13800000001,\n"
        "幸福小区,2,1,101,60,张三,13800000001,\n"
        "幸福小区,3,1,101,70,张三,13700000000,\n"
        "幸福小区,4,1,101,70,李四,13800000001,\n"
    )
    await do_import(conn, text)
    groups = await find_same_owner_candidates(conn)
    assert [[h.building for h in g] for g in groups] == [["1", "2"]]
    key = await merge_owners(conn, [g.id for g in groups[0]], actor_id=5)
    stored = [await repo.get_household(conn, g.id) for g in groups[0]]
    assert {h.owner_key for h in stored if h is not None} == {key}
    assert await find_same_owner_candidates(conn) == []
    assert ("roster.merge_owners", key) in await audit_rows(conn)
    with pytest.raises(ValueError, match="没有这些房屋"):
        await merge_owners(conn, [9999], "X")
