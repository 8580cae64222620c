"""/unanswered → 选原文: staff pick the passage that answers a declined question (from the
candidates shown or by searching), and the bot answers it and similar questions from then
on; forged and non-staff presses are refused."""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot.local_api import LocalBotApi
from handlers import texts
from handlers.context import ResidentApplication
from handlers.qa import texts as t
from knowledge.qa.privacy import redact
from tests.e2e.conftest import ADMIN, NEIGHBOUR, RESIDENT, rows
from tests.e2e.test_kb_support import (
    ask,
    assert_answer,
    assert_decline,
    callback_answer,
    forge_press,
    labels,
    press,
)

QUESTION = "楼下那个快递柜谁装的，我电话13812345678"
SIMILAR = "快递柜是谁装的啊"
SEARCH = "加装电梯"


async def _declined(api: LocalBotApi, db: aiosqlite.Connection) -> int:
    assert_decline(await ask(api, api.private_chat(RESIDENT), RESIDENT, QUESTION))
    ((qid,),) = await rows(db, "SELECT MAX(id) FROM kb_questions")
    return int(qid)


async def _pick_list(api: LocalBotApi, qid: int) -> dict[str, Any]:
    """ADMIN opens /unanswered and presses 选原文; returns the candidates message."""
    chat = api.private_chat(ADMIN)
    listing = await ask(api, chat, ADMIN, "/unanswered")
    assert t.BTN_PICK.format(qid=qid) in labels(listing)
    await press(api, chat, ADMIN, listing, t.BTN_PICK.format(qid=qid))
    return await api.next_message(ADMIN.id)


def _source(reply: dict[str, Any]) -> str:
    return str(reply["text"].rsplit("📄 来源：", 1)[1])


async def test_staff_pick_a_passage_and_the_question_is_answered_from_then_on(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)

    candidates = await _pick_list(api, qid)
    assert candidates["text"].startswith(t.PICK_HEAD.format(qid=qid, question=QUESTION))
    assert labels(candidates)[0].startswith("1. ")
    found = await ask(api, api.private_chat(ADMIN), ADMIN, SEARCH)
    assert found["text"].startswith(t.SEARCH_HEAD.format(words=SEARCH, qid=qid))
    assert await rows(db, "SELECT status FROM kb_questions WHERE id = ?", qid) == [("unanswered",)]

    await press(api, api.private_chat(ADMIN), ADMIN, found, "1. ")

    done = await api.next_message(ADMIN.id)
    assert done["text"].startswith(t.TAUGHT.format(qid=qid, source="").rstrip())
    source = done["text"].rsplit("📄 ", 1)[1]
    notice = await api.next_message(RESIDENT.id)
    assert notice["text"].startswith(t.TAUGHT_NOTICE.split("「", 1)[0])
    assert _source(notice) == source
    ((status, resolved_by),) = await rows(
        db, "SELECT status, resolved_by FROM kb_questions WHERE id = ?", qid
    )
    assert (status, resolved_by) == ("resolved", ADMIN.id)
    ((text, created_by, question_id),) = await rows(
        db, "SELECT text, created_by, question_id FROM kb_phrasings"
    )
    assert (text, created_by, question_id) == (redact(QUESTION), ADMIN.id, qid)
    assert "13812345678" not in text
    assert await rows(db, "SELECT actor_id, target FROM audit_log WHERE action = 'kb.teach'") == [
        (ADMIN.id, str(qid))
    ]

    # Another resident, the same question and a similar one: answered with that passage.
    for question in (QUESTION, SIMILAR):
        reply = await ask(api, api.private_chat(NEIGHBOUR), NEIGHBOUR, question)
        assert_answer(reply)
        assert _source(reply) == source
    assert (await ask(api, api.private_chat(ADMIN), ADMIN, "/unanswered"))[
        "text"
    ] == t.UNANSWERED_EMPTY


async def test_pick_from_the_candidates_shown(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)
    candidates = await _pick_list(api, qid)

    await press(api, api.private_chat(ADMIN), ADMIN, candidates, "1. ")

    assert (await api.next_message(ADMIN.id))["text"].startswith(
        t.TAUGHT.format(qid=qid, source="").rstrip()
    )
    assert await rows(db, "SELECT COUNT(*) FROM kb_phrasings") == [(1,)]


async def test_cancel_leaves_the_question_open_and_text_is_a_question_again(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)
    await _pick_list(api, qid)
    chat = api.private_chat(ADMIN)

    assert (await ask(api, chat, ADMIN, "/cancel"))["text"] == t.PICK_CANCELLED

    assert await rows(db, "SELECT status FROM kb_questions WHERE id = ?", qid) == [("unanswered",)]
    assert await rows(db, "SELECT COUNT(*) FROM kb_phrasings") == [(0,)]


async def test_forged_use_buttons_are_refused(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)
    candidates = await _pick_list(api, qid)
    chat = api.private_chat(ADMIN)

    gone = await callback_answer(
        api, forge_press(api, chat, ADMIN, candidates, f"kbs:use:{qid}:999999")
    )
    malformed = await callback_answer(
        api, forge_press(api, chat, ADMIN, candidates, f"kbs:use:{qid}")
    )

    assert gone.get("text") == t.PICK_GONE
    assert malformed.get("text") == t.STALE_BUTTON
    assert await rows(db, "SELECT COUNT(*) FROM kb_phrasings") == [(0,)]
    assert await rows(db, "SELECT status FROM kb_questions WHERE id = ?", qid) == [("unanswered",)]


async def test_non_staff_cannot_pick_or_use(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)
    ((pid,),) = await rows(db, "SELECT MIN(id) FROM kb_passages")
    chat = api.private_chat(RESIDENT)
    message = await ask(api, chat, RESIDENT, "/start")

    for data in (f"kbs:pick:{qid}", f"kbs:use:{qid}:{pid}"):
        refused = await callback_answer(api, forge_press(api, chat, RESIDENT, message, data))
        assert refused.get("text") == texts.NOT_STAFF
        assert refused.get("show_alert") is True

    await api.expect_no_message(chat.id, within=0.3)
    assert await rows(db, "SELECT COUNT(*) FROM kb_phrasings") == [(0,)]
    assert await rows(db, "SELECT status FROM kb_questions WHERE id = ?", qid) == [("unanswered",)]
