"""/record ID end to end: the summary text and the workbook, checked cell by cell."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import aiosqlite
import pytest
from openpyxl import load_workbook

from bot.local_api import LocalBotApi
from handlers import texts as common
from handlers.consult import texts as t
from handlers.context import ResidentApplication
from knowledge.consult import chain
from knowledge.consult.record import HISTORY_HEADERS, SUMMARY_HEADERS, VOTE_HEADERS
from knowledge.consult.service import ConsultService
from tests.e2e.conftest import ADMIN, NEIGHBOUR, RESIDENT, rows
from tests.e2e.test_consult_helpers import TITLE, link, publish, register_and_group

pytestmark = pytest.mark.usefixtures("fast_consult_sync")

TZ = ZoneInfo("Asia/Shanghai")
# The register's owners and phones (tests/e2e/test_households_support.py): never in a record.
PERSONAL = ("张三", "李四", "王五", "赵六", "138000000", "张阿姨", "老王", str(RESIDENT.id))


def _local(stored: str) -> str:
    return datetime.fromisoformat(stored).astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")


async def test_record_text_and_workbook(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    ids = await register_and_group(api, db)
    await link(db, ids["3-1-101"], RESIDENT)
    await link(db, ids["3-1-102"], NEIGHBOUR)
    cid = await publish(bot.services.database)
    svc = ConsultService(bot.services.database)
    # 101 votes 同意 then changes to 不同意; 102 votes 同意; 201 does not vote
    for user, option in ((RESIDENT, 0), (NEIGHBOUR, 0), (RESIDENT, 1)):
        assert isinstance(await svc.vote(cid, user.id, option), list)
    await svc.close(cid, ADMIN.id, early=True)
    events = await rows(
        db,
        "SELECT seq, household_id, option, cast_at, hash FROM consult_votes"
        " WHERE consultation_id = ? ORDER BY seq",
        cid,
    )
    final = (await rows(db, "SELECT final_hash FROM consultations WHERE id = ?", cid))[0][0]
    assert final == events[-1][4]
    latest = {e[1]: e for e in events}  # household → its last event

    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, f"/record {cid}")
    summary = (await api.next_message(admin.id))["text"]
    document = await api.next_message(admin.id)
    assert summary.startswith(f"征询记录 #{cid}：{TITLE}\n")
    assert summary.endswith(f"记录校验码：{final}")
    assert "未通过" in summary
    assert document["document"]["file_name"] == f"征询记录-{cid}.xlsx"
    assert document["caption"] == t.RECORD_CAPTION.format(cid=cid)
    data = api.sent_documents[-1].data
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["征询概要", "分户表决", "投票历史"]
    sheets = {
        name: [list(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames
    }

    def voted(hid: int, label: str) -> list[object]:
        _, _, option, cast_at, digest = latest[hid]
        assert option == label
        return [label, _local(cast_at), chain.receipt_code(digest)]

    assert sheets["分户表决"] == [
        list(VOTE_HEADERS),
        ["3号楼", "1单元", "101", "85.50", *voted(ids["3-1-101"], "不同意")],
        ["3号楼", "1单元", "102", "90.00", *voted(ids["3-1-102"], "同意")],
        ["3号楼", "2单元", "201", "70.25", "未投票", None, None],
    ]
    history = sheets["投票历史"]
    assert history[0] == list(HISTORY_HEADERS)
    rooms = {ids["3-1-101"]: "101", ids["3-1-102"]: "102"}
    assert history[1:] == [
        [seq, "3号楼", "1单元", rooms[hid], option, _local(at), chain.receipt_code(h), h]
        for seq, hid, option, at, h in events
    ]
    summary_sheet = {str(r[0]): r[1] for r in sheets["征询概要"][1:]}
    assert sheets["征询概要"][0] == list(SUMMARY_HEADERS)
    assert summary_sheet["征询编号"] == str(cid)
    assert summary_sheet["事项"] == TITLE
    assert summary_sheet["应参与户数"] == "3"
    assert summary_sheet["应参与专有面积(㎡)"] == "245.75"
    assert summary_sheet["同意（户/人/㎡）"] == "1/1/90.00"
    assert summary_sheet["不同意（户/人/㎡）"] == "1/1/85.50"
    assert summary_sheet["弃权（户/人/㎡）"] == "0/0/0.00"
    assert summary_sheet["结束时间"].endswith("（提前结束）")
    assert summary_sheet["状态"] == "已结束"
    assert summary_sheet["记录校验码(SHA-256)"] == final
    assert sheets["征询概要"][-1] == ["记录校验码(SHA-256)", final]
    # no names, phones or accounts anywhere: the text, or any cell of any sheet
    cells = [str(c) for sheet in sheets.values() for row in sheet for c in row if c is not None]
    for personal in PERSONAL:
        assert personal not in summary
        assert not [c for c in cells if personal in c], personal


async def test_record_usage_and_unknown_id(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/record")
    assert (await api.next_message(admin.id))["text"] == t.RECORD_USAGE
    api.send_text(admin, ADMIN, "/record 77")
    assert (await api.next_message(admin.id))["text"] == t.NOT_FOUND.format(cid=77)
    resident = api.private_chat(RESIDENT)
    api.send_text(resident, RESIDENT, "/record 77")
    assert (await api.next_message(resident.id))["text"] == common.NOT_STAFF
    assert not api.sent_documents
