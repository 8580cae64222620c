"""Tickets, end to end: renovation needs replaced per household (history kept), and
/export in chat — the complaint log and the demand list as XLSX, staff only, in private."""

from __future__ import annotations

import io

import aiosqlite
import pytest
from openpyxl import load_workbook

from bot.local_api import LocalBotApi, User
from handlers.context import ResidentApplication
from handlers.tickets import texts as t
from knowledge.tickets.export import COMPLAINT_HEADERS, COMPLAINT_SHEET, EVENT_SHEET
from storage import household_links_repo as links
from tests.e2e.conftest import ADMIN, GROUP, NEIGHBOUR, RESIDENT, STAFF_CHAT, button_data, rows
from tests.e2e.test_households_support import household_id, seed_register
from tests.e2e.test_tickets_support import (
    draft,
    export_xlsx,
    fast_limits,
    service,
    submit,
    xlsx_table,
)

pytestmark = pytest.mark.usefixtures(fast_limits.__name__)
FORMULA = "=1+1 楼道灯坏了"


async def _needs(api: LocalBotApi, user: User, items: list[str], fund: str) -> str:
    """The renovation flow: items, 很急, no text, co-funding; returns the last answer."""
    chat = api.private_chat(user)
    api.send_text(chat, user, "/renovate")
    menu = await api.next_message(chat.id)
    assert "按户登记" in menu["text"]
    for item in items:
        api.press_button(chat, user, menu, button_data(menu, f"·{item}"))
        await api.wait_for_call("editMessageReplyMarkup")
        menu = api.message(chat.id, menu["message_id"])
    api.press_button(chat, user, menu, button_data(menu, t.BTN_ITEMS_DONE))
    urgency = await api.next_message(chat.id)
    api.press_button(chat, user, urgency, button_data(urgency, "很急"))
    text = await api.next_message(chat.id)
    api.press_button(chat, user, text, button_data(text, t.BTN_SKIP))
    cofund = await api.next_message(chat.id)
    api.press_button(chat, user, cofund, button_data(cofund, fund))
    return str((await api.next_message(chat.id))["text"])


async def _link_one_household(db: aiosqlite.Connection) -> int:
    await seed_register(db)
    home = await household_id(db, "3", "1", "101")
    await links.save_link(db, home, RESIDENT.id, "owner", "active", "code", "2025-01-01")
    await links.save_link(db, home, NEIGHBOUR.id, "tenant", "active", "code", "2025-01-01")
    return home


async def test_needs_replaced_per_household(api: LocalBotApi, bot: ResidentApplication) -> None:
    db = bot.services.db
    home = await _link_one_household(db)
    first = await _needs(api, RESIDENT, ["加装电梯", "照明"], "愿意出资")
    assert first.startswith("已登记您的改造需求")
    second = await _needs(api, NEIGHBOUR, ["加装电梯", "充电设施"], "视金额而定")
    assert second.startswith("已更新您家的改造需求")
    assert "充电设施" in second
    assert await rows(
        db,
        "SELECT household_id, user_id, items, cofund, current FROM renovation_needs ORDER BY id",
    ) == [
        (home, RESIDENT.id, '["lift", "lighting"]', "yes", 0),
        (home, NEIGHBOUR.id, '["lift", "charging"]', "depends", 1),
    ]
    (replaced_by,) = (await rows(db, "SELECT replaced_by FROM renovation_needs WHERE id = 1"))[0]
    assert replaced_by == 2

    document = await export_xlsx(api, "needs")
    assert document.caption is not None
    assert document.caption.startswith("改造需求清单，共 1 条")
    by_item = {r["项目"]: r for r in xlsx_table(document, "改造需求汇总")}
    assert by_item["加装电梯"]["提出户数"] == 1
    assert by_item["照明"]["提出户数"] == 0  # replaced: the household's current one counts
    assert by_item["充电设施"]["视金额而定"] == 1


async def test_export_in_chat(api: LocalBotApi, bot: ResidentApplication) -> None:
    number, _card = await submit(api)
    await service(bot).submit(
        draft(FORMULA, "5号楼", category="facility_damage", phone="13800138000"),
        reporter_id=NEIGHBOUR.id,
        reporter_name="老王",
    )
    document = await export_xlsx(api)
    assert document.chat_id == ADMIN.id
    assert document.caption is not None
    assert document.caption.startswith("投诉工单，共 2 条（全部日期）")
    book = load_workbook(io.BytesIO(document.data))
    sheet = book[COMPLAINT_SHEET]
    assert tuple(c.value for c in sheet[1]) == COMPLAINT_HEADERS
    table = xlsx_table(document, COMPLAINT_SHEET)
    first = table[0]
    assert (first["编号"], first["类别"], first["状态"], first["位置"]) == (
        number,
        "消防隐患",
        "已受理",
        "3号楼2单元楼道",
    )
    assert first["居民编号"].startswith("R")
    # The formula payload stays text: typed as a string, quote-prefixed, never evaluated.
    cell = sheet.cell(row=3, column=COMPLAINT_HEADERS.index("内容") + 1)
    assert cell.value == FORMULA
    assert cell.data_type == "s"
    assert cell.quotePrefix
    assert "138****8000" in table[1]["居民"]  # masked in chat exports
    assert [r["操作"] for r in xlsx_table(document, EVENT_SHEET)] == ["提交", "提交"]

    # Filters: days and a status; nothing matching is said plainly.
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/export 7 已办结")
    assert (await api.next_message(admin.id))["text"] == t.EXPORT_EMPTY.format(
        what=t.EXPORT_COMPLAINTS, scope="近 7 天，已办结"
    )
    api.send_text(admin, ADMIN, "/export 明年")
    assert (await api.next_message(admin.id))["text"] == t.EXPORT_USAGE
    assert await rows(
        bot.services.db, "SELECT count(*) FROM audit_log WHERE action = 'tickets.export'"
    ) == [(1,)]


async def test_export_refused_in_groups_and_for_residents(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    await submit(api)
    api.send_text(STAFF_CHAT, ADMIN, "/export")
    assert (await api.next_message(STAFF_CHAT.id))["text"] == t.EXPORT_PRIVATE_ONLY
    api.send_text(GROUP, ADMIN, "/export")
    assert (await api.next_message(GROUP.id))["text"] == t.EXPORT_PRIVATE_ONLY
    resident = api.private_chat(RESIDENT)
    api.send_text(resident, RESIDENT, "/export")
    assert "工作人员" in (await api.next_message(resident.id))["text"]
    assert api.sent_documents == []
