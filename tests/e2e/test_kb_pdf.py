"""Staff import a PDF by sending it to the bot in private chat."""

from __future__ import annotations

import aiosqlite

from bot.local_api import LocalBotApi
from handlers.context import ResidentApplication
from handlers.qa import texts as t
from tests.e2e.conftest import ADMIN, rows
from tests.e2e.test_kb_support import count
from tests.knowledge.qa.test_pdf import TITLE, policy_pdf


async def test_staff_pdf_is_imported_with_a_summary(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(ADMIN)

    api.send_document(chat, ADMIN, "电动自行车管理规定.pdf", policy_pdf(), "application/pdf")

    first = await api.next_message(chat.id, timeout=15)
    assert first["text"] == t.IMPORTING.format(name="电动自行车管理规定.pdf")
    done = await api.next_message(chat.id, timeout=30)
    assert await rows(db, "SELECT title, filename FROM kb_documents") == [
        (TITLE, "电动自行车管理规定.pdf")
    ]
    passages = await rows(db, "SELECT COUNT(*) FROM kb_passages WHERE kind = 'doc'")
    assert passages == [(4,)]
    assert await count(db, "kb_sections") == 4
    assert done["text"] == t.IMPORT_DONE.format(title=TITLE, sections=4, passages=4, replaced="")
    assert await rows(db, "SELECT action FROM audit_log WHERE action = 'kb.import'") == [
        ("kb.import",)
    ]
