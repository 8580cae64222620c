"""Tickets, end to end: /export names the staff who handled a case as 名字（id）, from the
Telegram name the bot saw when they used it; the name survives their removal from staff,
follows a rename, and a name typed like a formula stays text in the file."""

from __future__ import annotations

import io
from typing import Any

import aiosqlite
import pytest
from openpyxl import load_workbook

from bot.local_api import LocalBotApi, SentDocument, User
from handlers.admin import texts as admin_texts
from handlers.context import ResidentApplication
from handlers.tickets import texts as t
from knowledge.tickets.export import COMPLAINT_HEADERS, COMPLAINT_SHEET, EVENT_SHEET
from tests.e2e.conftest import ADMIN, RESIDENT, STAFF, STAFF_CHAT, button_data, rows
from tests.e2e.test_tickets_support import export_xlsx, fast_limits, submit, xlsx_table

pytestmark = pytest.mark.usefixtures(fast_limits.__name__)
PAYLOAD = '=HYPERLINK("http://x","点我")'
HOSTILE = User(id=902, first_name=PAYLOAD, language_code="zh-hans")


async def _staff(api: LocalBotApi, action: str, user_id: int) -> None:
    """The admin runs /staff add|remove <id> in private chat."""
    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, f"/staff {action} {user_id}")
    expected = admin_texts.STAFF_ADDED if action == "add" else admin_texts.STAFF_REMOVED
    assert (await api.next_message(admin.id))["text"] == expected.format(user_id=user_id)


async def _accept(api: LocalBotApi, user: User, card: dict[str, Any], number: str) -> None:
    """`user` presses 受理 on the ticket's card in the staff chat."""
    mark = api.mark()
    api.press_button(STAFF_CHAT, user, card, button_data(card, t.BTN_ACCEPT))
    done = t.DONE.format(action="受理", number=number)
    await api.wait_for_call(
        "answerCallbackQuery", lambda c: c.params.get("text") == done, after=mark
    )


def _handlers(document: SentDocument) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """(处理人 per ticket, (操作, 操作人) per history entry)."""
    tickets = [r["处理人"] for r in xlsx_table(document, COMPLAINT_SHEET)]
    events = [(r["操作"], r["操作人"]) for r in xlsx_table(document, EVENT_SHEET)]
    return tickets, events


async def _names(db: aiosqlite.Connection) -> list[tuple[Any, ...]]:
    return await rows(db, "SELECT user_id, display_name FROM staff_names ORDER BY user_id")


async def test_export_names_the_staff_who_handled_it(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    db = bot.services.db
    await _staff(api, "add", STAFF.id)
    number, card = await submit(api)
    await _accept(api, STAFF, card, number)
    # Staff names only: the resident who complained is not kept.
    assert await _names(db) == [(ADMIN.id, "李主任"), (STAFF.id, "网格员小张")]

    tickets, events = _handlers(await export_xlsx(api))
    assert tickets == ["网格员小张（901）"]
    assert events == [("提交", "居民"), ("受理", "网格员小张（901）")]

    # Removed from staff: the tickets they handled still name them.
    await _staff(api, "remove", STAFF.id)
    assert await rows(db, "SELECT user_id FROM staff") == []
    tickets, events = _handlers(await export_xlsx(api))
    assert tickets == ["网格员小张（901）"]
    assert events[-1] == ("受理", "网格员小张（901）")


async def test_a_renamed_staff_member_is_named_anew(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    db = bot.services.db
    await _staff(api, "add", STAFF.id)
    staff = api.private_chat(STAFF)
    api.send_text(staff, STAFF, "/staff list")
    await api.next_message(staff.id)
    renamed = User(id=STAFF.id, first_name="张伟", last_name="网格员", language_code="zh-hans")
    api.send_text(staff, renamed, "/staff list")
    await api.next_message(staff.id)
    assert (STAFF.id, "张伟 网格员") in await _names(db)
    updated = await rows(db, "SELECT updated_at FROM staff_names WHERE user_id = ?", STAFF.id)
    # The same name again writes nothing (the cache answers; the row keeps its time).
    api.send_text(staff, renamed, "/staff list")
    await api.next_message(staff.id)
    assert await rows(db, "SELECT updated_at FROM staff_names WHERE user_id = ?", STAFF.id) == (
        updated
    )
    # Someone who is not staff is not kept, whatever they press or type.
    resident = api.private_chat(RESIDENT)
    api.send_text(resident, RESIDENT, "/staff list")
    await api.next_message(resident.id)
    assert RESIDENT.id not in [r[0] for r in await _names(db)]


async def test_a_name_like_a_formula_stays_text(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    await _staff(api, "add", HOSTILE.id)
    number, card = await submit(api)
    await _accept(api, HOSTILE, card, number)
    document = await export_xlsx(api)
    book = load_workbook(io.BytesIO(document.data))
    cell = book[COMPLAINT_SHEET].cell(row=2, column=COMPLAINT_HEADERS.index("处理人") + 1)
    assert cell.value == f"{PAYLOAD}（902）"
    assert cell.data_type == "s"
    assert cell.quotePrefix
    actor = book[EVENT_SHEET].cell(row=3, column=4)
    assert (actor.value, actor.data_type, actor.quotePrefix) == (f"{PAYLOAD}（902）", "s", True)
    assert bot.services.staff_names[HOSTILE.id] == PAYLOAD
