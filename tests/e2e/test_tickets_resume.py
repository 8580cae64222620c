"""Tickets, end to end: a complaint interrupted by a restart resumes at the same step.

Like tests/e2e/test_foundation_persistence.py, this test does not use the `bot` fixture;
it builds its applications with `restart()`, one after the other, on the same database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.local_api import LocalBotApi
from handlers.tickets import complaint_steps as steps
from handlers.tickets import texts as t
from tests.e2e.conftest import RESIDENT, STAFF_CHAT, button_data, rows
from tests.e2e.test_foundation_helpers import eventually
from tests.e2e.test_tickets_support import DESCRIPTION, fast_limits, number_of

pytestmark = pytest.mark.usefixtures(fast_limits.__name__)


async def test_restart_mid_flow_resumes_where_it_was(
    api: LocalBotApi, restart: Callable[[], Any]
) -> None:
    chat = api.private_chat(RESIDENT)
    async with restart() as app:
        api.send_text(chat, RESIDENT, "/complain")
        await api.next_message(chat.id)
        api.send_text(chat, RESIDENT, DESCRIPTION)
        categories = await api.next_message(chat.id)
        api.press_button(chat, RESIDENT, categories, button_data(categories, "消防隐患"))
        ask_photos = await api.next_message(chat.id)
        api.send_photo(chat, RESIDENT)
        assert "第 1 张" in (await api.next_message(chat.id))["text"]
        db = app.services.db

        async def saved() -> bool:
            state = await rows(
                db, "SELECT state FROM ptb_conversations WHERE name = 'tickets_complaint'"
            )
            data = await rows(db, "SELECT data FROM ptb_user_data WHERE user_id = ?", RESIDENT.id)
            photos = json.loads(data[0][0]).get(steps.DRAFT, {}).get("photos") if data else None
            return [json.loads(s[0]) for s in state] == [steps.PHOTOS] and photos is not None

        await eventually(saved, timeout=2, what="the draft and its step in the database")

    # The process is gone; a new one starts on the same database and the flow goes on.
    async with restart() as app:
        await api.expect_no_message(chat.id, within=0.2)  # nothing replayed
        api.send_photo(chat, RESIDENT)
        assert "第 2 张" in (await api.next_message(chat.id))["text"]
        # The keyboard sent before the restart still works.
        api.press_button(chat, RESIDENT, ask_photos, button_data(ask_photos, t.BTN_NEXT))
        where = await api.next_message(chat.id)
        assert where["text"] == t.ASK_LOCATION
        api.press_button(chat, RESIDENT, where, button_data(where, t.BTN_LOCATION_TEXT))
        await api.next_message(chat.id)
        api.send_text(chat, RESIDENT, "3号楼2单元楼道")
        phone = await api.next_message(chat.id)
        api.press_button(chat, RESIDENT, phone, button_data(phone, t.BTN_SKIP))
        anonymous = await api.next_message(chat.id)
        api.press_button(chat, RESIDENT, anonymous, button_data(anonymous, t.BTN_NOT_ANONYMOUS))
        summary = await api.next_message(chat.id)
        assert DESCRIPTION in summary["text"]
        assert "照片：2 张" in summary["text"]
        api.press_button(chat, RESIDENT, summary, button_data(summary, "确认提交"))
        number = number_of(await api.next_message(chat.id))
        assert number in (await api.next_message(STAFF_CHAT.id))["text"]
        db = app.services.db
        assert await rows(
            db,
            "SELECT count(*) FROM ticket_photos p JOIN tickets t ON t.id = p.ticket_id"
            " WHERE t.number = ?",
            number,
        ) == [(2,)]
        # The card's place is in SQL, not in bot_data.
        assert await rows(db, "SELECT chat_id FROM ticket_cards") == [(STAFF_CHAT.id,)]
