"""`resident-bot consult ...` in-process: create, publish, vote, close, result, export, verify."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.cli import main
from knowledge.consult.service import ConsultService
from storage import household_links_repo as links
from storage.db import DatabaseHandle, open_database
from storage.households_repo import HouseholdValues, ensure_community, write_households
from tests.bot.cli.test_cli_kb import CliResult, _logging_restored

TZ = ZoneInfo("Asia/Shanghai")


def run_consult(db: Path, *args: str) -> CliResult:
    """`resident-bot consult *args`, in-process as tests/unit/test_cli_kb.py's run_cli."""
    out, err = io.StringIO(), io.StringIO()
    status: list[int] = []
    failure: list[BaseException] = []

    def call() -> None:
        try:
            status.append(main(["consult", *args], env={"RESIDENT_BOT_DB": str(db)}))
        except BaseException as exc:
            failure.append(exc)

    with _logging_restored(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        worker = threading.Thread(target=call)
        worker.start()
        worker.join(timeout=60)
    if failure:
        raise failure[0]
    return CliResult(status[0], out.getvalue(), err.getvalue())


ROOMS = [("101", "85.50", None), ("102", "90.00", None), ("201", "70.25", "K1"),
         ("202", "60.00", "K1")]  # fmt: skip


async def _seed(path: Path) -> list[int]:
    conn = await open_database(path)
    try:
        cid = await ensure_community(conn, "幸福小区")
        values = [
            HouseholdValues("3", "1", room, Decimal(area), ("业主",), ("13800000000",), key, False)
            for room, area, key in ROOMS
        ]
        await write_households(conn, cid, inserts=values)
        async with conn.execute("SELECT id FROM households ORDER BY id") as cur:
            ids = [int(r[0]) for r in await cur.fetchall()]
        for n, hid in enumerate(ids):
            await links.save_link(conn, hid, 5000 + n, "owner", "active", "code", "2025-01-01")
        return ids
    finally:
        await conn.close()


async def _vote(path: Path, cid: int, votes: list[tuple[int, int]]) -> None:
    database = DatabaseHandle(str(path))
    try:
        service = ConsultService(database)
        for user, option in votes:
            result = await service.vote(cid, user, option)
            assert isinstance(result, list), result
    finally:
        await database.close()


async def _tamper(path: Path, sql: str) -> None:
    conn = await open_database(path)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "bot.db"
    asyncio.run(_seed(path))
    return path


def _create(db: Path, *extra: str) -> int:
    now = datetime.now(TZ)
    result = run_consult(
        db, "create", "--title", "加装电梯", "--rule", "civil-code-general",
        "--scope", "building:幸福小区/3号楼",
        "--opens", (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
        "--closes", (now + timedelta(days=2)).strftime("%Y-%m-%d %H:%M"), *extra,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def test_full_cycle_result_json_exports_and_verify(db: Path, tmp_path: Path) -> None:
    cid = _create(db)
    assert run_consult(db, "publish", str(cid)).returncode == 0
    # user 5000 → 101 同意, 5001 → 102 不同意 then 同意, 5002 (201, owner K1 of 201+202) 弃权
    asyncio.run(_vote(db, cid, [(5000, 0), (5001, 1), (5001, 0), (5002, 2)]))
    assert "\t" in run_consult(db, "list").stdout
    closed = run_consult(db, "close", str(cid))
    assert closed.returncode == 0, closed.stderr
    payload = json.loads(run_consult(db, "result", str(cid), "--json").stdout)
    assert payload == {
        "id": cid,
        "status": "closed",
        "rule": "civil-code-general",
        "passed": True,
        "eligible": {"households": 4, "area": "305.75"},
        "participating": {"households": 4, "area": "305.75"},
        "options": [
            {"label": "同意", "households": 2, "area": "175.50"},
            {"label": "不同意", "households": 0, "area": "0.00"},
            {"label": "弃权", "households": 2, "area": "130.25"},
        ],
        "thresholds": [
            {"name": "p-area", "required": ">=2/3", "measured": "1/1", "passed": True},
            {"name": "p-count", "required": ">=2/3", "measured": "1/1", "passed": True},
            {"name": "a-area", "required": ">1/2", "measured": "702/1223", "passed": True},
            {"name": "a-count", "required": ">1/2", "measured": "2/3", "passed": True},
        ],
    }
    # exports, cell by cell
    out_csv = tmp_path / "r.csv"
    assert run_consult(db, "export", str(cid), "-o", str(out_csv)).returncode == 0
    rows = list(csv.reader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["楼栋", "单元", "房号", "专有面积(㎡)", "表决意见", "投票时间", "回执码"]
    assert [r[:5] for r in rows[1:]] == [
        ["3号楼", "1单元", "101", "85.50", "同意"],
        ["3号楼", "1单元", "102", "90.00", "同意"],
        ["3号楼", "1单元", "201", "70.25", "弃权"],
        ["3号楼", "1单元", "202", "60.00", "弃权"],
    ]
    assert rows[3][6] == rows[4][6]
    assert len(rows[3][6]) == 9
    assert "业主" not in out_csv.read_text(encoding="utf-8-sig")  # no names
    assert "13800000000" not in out_csv.read_text(encoding="utf-8-sig")
    out_xlsx = tmp_path / "r.xlsx"
    assert run_consult(db, "export", str(cid), "-o", str(out_xlsx)).returncode == 0
    book = openpyxl.load_workbook(out_xlsx)
    assert book.sheetnames == ["征询概要", "分户表决", "投票历史"]
    votes_sheet = [[c.value for c in r] for r in book["分户表决"].iter_rows()]
    assert votes_sheet[:1] == [rows[0]]
    assert [v[:5] for v in votes_sheet[1:]] == [r[:5] for r in rows[1:]]
    history = [[c.value for c in r] for r in book["投票历史"].iter_rows()][1:]
    assert [(h[0], h[3], h[4]) for h in history] == [
        (1, "101", "同意"), (2, "102", "不同意"), (3, "102", "同意"), (4, "201", "弃权"),
    ]  # fmt: skip
    summary = dict((r[0].value, r[1].value) for r in book["征询概要"].iter_rows(min_row=2))
    assert summary["事项"] == "加装电梯"
    assert summary["应参与专有面积(㎡)"] == "305.75"
    assert summary["记录校验码(SHA-256)"] == history[-1][7]
    out_md = tmp_path / "r.md"
    assert run_consult(db, "export", str(cid), "-o", str(out_md)).returncode == 0
    md = out_md.read_text(encoding="utf-8")
    assert md.startswith(f"# 征询记录 #{cid}：加装电梯")
    assert "| 3号楼 | 1单元 | 101 | 85.50 | 同意 |" in md
    assert run_consult(db, "export", str(cid), "-o", str(tmp_path / "r.pdf")).returncode == 2
    # verify: intact, then a row edited in the database
    assert run_consult(db, "verify", str(cid)).returncode == 0
    asyncio.run(_tamper(db, "UPDATE consult_votes SET option = '同意' WHERE seq = 2"))
    bad = run_consult(db, "verify", str(cid))
    assert bad.returncode == 1
    assert "event #2" in bad.stdout


def test_verify_detects_a_deleted_last_vote_and_an_edited_area(db: Path) -> None:
    cid = _create(db)
    run_consult(db, "publish", str(cid))
    asyncio.run(_vote(db, cid, [(5000, 0), (5001, 0)]))
    assert run_consult(db, "verify", str(cid)).returncode == 0
    asyncio.run(_tamper(db, "DELETE FROM consult_votes WHERE seq = 2"))
    assert run_consult(db, "verify", str(cid)).returncode == 1
    cid2 = _create(db)
    run_consult(db, "publish", str(cid2))
    asyncio.run(_tamper(db, "UPDATE consult_roster SET area_centi = 1 WHERE household_id = 1"))
    assert run_consult(db, "verify", str(cid2)).returncode == 1


def test_create_refuses_bad_input(db: Path) -> None:
    bad_rule = run_consult(db, "create", "--title", "x", "--rule", "nope", "--closes",
                           "2030-01-01 00:00")  # fmt: skip
    assert bad_rule.returncode == 2
    assert "unknown rule" in bad_rule.stderr
    bad_time = run_consult(db, "create", "--title", "x", "--rule", "civil-code-major",
                           "--closes", "tomorrow")  # fmt: skip
    assert bad_time.returncode == 2
    assert run_consult(db, "publish", "999").returncode == 1
    cid = _create(db)
    assert run_consult(db, "publish", str(cid), "--target", "bogus:1").returncode == 2
