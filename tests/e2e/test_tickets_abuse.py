"""Tickets, end to end: what residents send that the flow must survive — the daily limit,
a huge description, emoji only, a sticker where text is expected, a flood of photos. Each
gets a clear Chinese answer and nothing already given is lost."""

from __future__ import annotations

import pytest

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.tickets import texts as t
from knowledge.tickets.service import DEFAULT_DAILY_LIMIT, MAX_DESCRIPTION, MAX_PHOTOS
from tests.e2e.conftest import RESIDENT, STAFF_CHAT, button_data, rows
from tests.e2e.test_tickets_support import (
    DESCRIPTION,
    draft,
    fast_limits,
    number_of,
    service,
    submit,
    to_summary,
)

pytestmark = pytest.mark.usefixtures(fast_limits.__name__)


async def test_daily_limit(api: LocalBotApi, bot: ResidentApplication) -> None:
    chat = api.private_chat(RESIDENT)
    await submit(api)  # one through the bot
    svc = service(bot)
    for i in range(DEFAULT_DAILY_LIMIT - 1):
        await svc.submit(
            draft(f"第{i}件：楼道灯不亮了很久", f"{i}号楼"),
            reporter_id=RESIDENT.id,
            reporter_name="张阿姨",
        )
    api.send_text(chat, RESIDENT, "/complain")
    refused = (await api.next_message(chat.id))["text"]
    assert f"每人每天最多提交 {DEFAULT_DAILY_LIMIT} 件" in refused
    assert "明天" in refused
    await api.expect_no_message(chat.id, within=0.2)  # no flow started
    assert await rows(bot.services.db, "SELECT count(*) FROM tickets") == [(DEFAULT_DAILY_LIMIT,)]


async def test_limit_reached_while_filling_in_is_told_at_confirm(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    """The limit is checked again at 确认提交 (another device may have filed meanwhile)."""
    chat = api.private_chat(RESIDENT)
    summary = await to_summary(api)
    svc = service(bot)
    for i in range(DEFAULT_DAILY_LIMIT):
        await svc.submit(
            draft(f"第{i}件：楼道灯不亮", f"{i}号楼"),
            reporter_id=RESIDENT.id,
            reporter_name="张阿姨",
        )
    api.press_button(chat, RESIDENT, summary, button_data(summary, "确认提交"))
    assert "每人每天最多提交" in (await api.next_message(chat.id))["text"]
    await api.expect_no_message(STAFF_CHAT.id, within=0.2)
    assert await rows(bot.services.db, "SELECT count(*) FROM tickets") == [(DEFAULT_DAILY_LIMIT,)]


async def test_hostile_inputs_get_clear_answers(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/complain")
    await api.next_message(chat.id)
    huge = "楼道堆物" * 1000  # 4000 characters
    api.send_text(chat, RESIDENT, huge)
    assert (await api.next_message(chat.id))["text"] == t.DESCRIPTION_TOO_LONG.format(
        length=len(huge), max=MAX_DESCRIPTION
    )
    api.send_text(chat, RESIDENT, "😡😡😡🔥🔥🔥！！")
    assert (await api.next_message(chat.id))["text"] == t.DESCRIPTION_NO_WORDS
    api.send_sticker(chat, RESIDENT, "😡")
    assert (await api.next_message(chat.id))["text"] == t.NEED_TEXT
    # Still at the first step; a real description goes on (emoji inside text are fine).
    api.send_text(chat, RESIDENT, DESCRIPTION + "🔥")
    categories = await api.next_message(chat.id)
    assert categories["text"].startswith("第 2 步")
    api.send_text(chat, RESIDENT, "消防")  # a button is expected here
    assert (await api.next_message(chat.id))["text"] == t.NEED_BUTTON
    api.press_button(chat, RESIDENT, categories, button_data(categories, "消防隐患"))
    ask_photos = await api.next_message(chat.id)

    # A flood: 8 photos at once. The first five are kept, the resident is told once.
    for _ in range(8):
        api.send_photo(chat, RESIDENT)
    answers = [(await api.next_message(chat.id))["text"] for _ in range(MAX_PHOTOS + 1)]
    assert answers[:MAX_PHOTOS] == [
        t.PHOTO_SAVED.format(count=n, max=MAX_PHOTOS) for n in range(1, MAX_PHOTOS + 1)
    ]
    assert answers[-1] == t.PHOTO_LIMIT.format(max=MAX_PHOTOS)
    await api.expect_no_message(chat.id, within=0.2)
    api.send_sticker(chat, RESIDENT)
    assert (await api.next_message(chat.id))["text"] == t.PHOTO_NEED_PHOTO

    api.press_button(chat, RESIDENT, ask_photos, button_data(ask_photos, t.BTN_NEXT))
    where = await api.next_message(chat.id)
    api.send_sticker(chat, RESIDENT)
    assert (await api.next_message(chat.id))["text"] == t.NEED_LOCATION
    api.send_text(chat, RESIDENT, "3号楼" * 100)
    assert (await api.next_message(chat.id))["text"] == t.LOCATION_TOO_LONG.format(max=200)
    api.press_button(chat, RESIDENT, where, button_data(where, t.BTN_LOCATION_TEXT))
    await api.next_message(chat.id)
    api.send_text(chat, RESIDENT, "3号楼2单元楼道")
    phone = await api.next_message(chat.id)
    api.send_text(chat, RESIDENT, "打我电话")
    assert (await api.next_message(chat.id))["text"] == t.PHONE_INVALID
    api.send_text(chat, RESIDENT, "138 0013 8000")
    anonymous = await api.next_message(chat.id)
    assert phone["message_id"] != anonymous["message_id"]
    api.press_button(chat, RESIDENT, anonymous, button_data(anonymous, t.BTN_NOT_ANONYMOUS))
    summary = await api.next_message(chat.id)
    assert f"照片：{MAX_PHOTOS} 张" in summary["text"]
    api.press_button(chat, RESIDENT, summary, button_data(summary, "确认提交"))
    number = number_of(await api.next_message(chat.id))
    await api.next_message(STAFF_CHAT.id)
    db = bot.services.db
    assert await rows(db, "SELECT description, phone FROM tickets WHERE number = ?", number) == [
        (DESCRIPTION + "🔥", "138 0013 8000")
    ]
    assert await rows(db, "SELECT count(*) FROM ticket_photos") == [(MAX_PHOTOS,)]
