"""/unanswered: staff turn declined or handed-off questions into FAQ answers, or dismiss them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiosqlite

from bot.local_api import LocalBotApi
from handlers import texts
from handlers.context import ResidentApplication
from handlers.qa import texts as t
from tests.e2e.conftest import ADMIN, GROUP, NEIGHBOUR, RESIDENT, STAFF_CHAT, rows
from tests.e2e.test_kb_support import (
    FAQ_QUESTION,
    apologies,
    ask,
    assert_answer,
    assert_decline,
    callback_answer,
    forge_press,
    labels,
    letters,
    press,
    question_rows,
)

QUESTION = "驾照到期了怎么换证"
ANSWER = "驾照换证请带身份证到车管所办理，社区不代办。"


async def _declined(api: LocalBotApi, db: aiosqlite.Connection) -> int:
    """RESIDENT asks something the bot cannot answer; returns the question id."""
    assert_decline(await ask(api, api.private_chat(RESIDENT), RESIDENT, QUESTION))
    ((qid,),) = await rows(db, "SELECT MAX(id) FROM kb_questions")
    return int(qid)


async def _status(db: aiosqlite.Connection, qid: int) -> str:
    ((status,),) = await rows(db, "SELECT status FROM kb_questions WHERE id = ?", qid)
    return str(status)


async def _list(api: LocalBotApi, chat: Any = None) -> dict[str, Any]:
    return await ask(api, chat or api.private_chat(ADMIN), ADMIN, "/unanswered")


async def _write_faq(api: LocalBotApi, qid: int, chat: Any = None) -> dict[str, Any]:
    """ADMIN opens /unanswered and presses 写答案 for ``qid``; returns the prompt."""
    chat = chat or api.private_chat(ADMIN)
    listing = await _list(api, chat)
    await press(api, chat, ADMIN, listing, t.BTN_WRITE_FAQ.format(qid=qid))
    return await api.next_message(ADMIN.id)


async def test_unanswered_lists_declined_question_with_buttons(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    assert (await _list(api))["text"] == t.UNANSWERED_EMPTY
    qid = await _declined(api, db)

    listing = await _list(api)

    head, line = listing["text"].split("\n")
    assert head == t.UNANSWERED_HEAD.format(count=1, shown=1)
    assert line.startswith(f"#{qid} {QUESTION}（")
    assert labels(listing) == [
        t.BTN_WRITE_FAQ.format(qid=qid),
        t.BTN_DISMISS.format(qid=qid),
        t.BTN_PICK.format(qid=qid),
    ]


def answered_source(reply: dict[str, Any]) -> str:
    """The source named at the foot of an answer."""
    prefix = t.SOURCE.split("{", 1)[0]
    last = reply["text"].rsplit("\n", 1)[1]
    assert last.startswith(prefix)
    return str(last.removeprefix(prefix))


async def test_handed_off_questions_are_marked_and_listed_first(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(NEIGHBOUR)
    answered = await ask(api, chat, NEIGHBOUR, FAQ_QUESTION)
    await press(api, chat, NEIGHBOUR, answered, t.BTN_HUMAN)
    declined = await _declined(api, db)

    listing = await _list(api)

    lines = listing["text"].split("\n")[1:]
    assert lines[0].startswith(f"#1 {t.HANDOFF_MARK}{FAQ_QUESTION}")
    # The answer the resident had been given before asking for a person.
    assert lines[1] == t.UNANSWERED_SHOWN.format(source=answered_source(answered))
    assert lines[2].startswith(f"#{declined} {QUESTION}")
    # Questions the bot answered (and nobody handed off) are not staff work; a plain
    # decline showed nothing, so it has no second line.
    assert len(lines) == 3


async def test_staff_answer_becomes_faq_and_reaches_the_asker(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)

    prompt = await _write_faq(api, qid)
    assert prompt["text"] == t.FAQ_PROMPT.format(qid=qid, question=QUESTION)
    assert await _status(db, qid) == "unanswered"  # nothing changes until the answer arrives

    saved = await ask(api, api.private_chat(ADMIN), ADMIN, ANSWER)

    assert saved["text"] == t.FAQ_SAVED
    ((status, resolved_by, faq_passage),) = await rows(
        db, "SELECT status, resolved_by, faq_passage FROM kb_questions WHERE id = ?", qid
    )
    assert (status, resolved_by) == ("resolved", ADMIN.id)
    ((kind, origin, full_text, created_by),) = await rows(
        db, "SELECT kind, origin, full_text, created_by FROM kb_passages WHERE id = ?", faq_passage
    )
    assert (kind, origin, created_by) == ("faq", "staff", ADMIN.id)
    assert letters(full_text) == letters(ANSWER)
    notice = await api.next_message(RESIDENT.id)
    assert notice["text"] == t.ASKER_NOTICE.format(question=QUESTION, answer=ANSWER)
    # The staff member's answer was not itself taken as a question.
    assert [r[1] for r in await question_rows(db)] == [RESIDENT.id]

    # Asked again, the bot now answers.
    again = await ask(api, api.private_chat(NEIGHBOUR), NEIGHBOUR, QUESTION)
    assert_answer(again)
    assert (await question_rows(db))[-1][4:] == (1, "answered")
    assert (await _list(api))["text"] == t.UNANSWERED_EMPTY


async def test_write_answer_from_the_staff_group_prompts_in_private(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)

    prompt = await _write_faq(api, qid, chat=STAFF_CHAT)

    assert prompt["chat"]["id"] == ADMIN.id
    assert prompt["text"] == t.FAQ_PROMPT.format(qid=qid, question=QUESTION)
    assert (await ask(api, api.private_chat(ADMIN), ADMIN, ANSWER))["text"] == t.FAQ_SAVED
    assert await _status(db, qid) == "resolved"


async def test_too_long_answer_is_refused_and_a_shorter_one_accepted(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)
    await _write_faq(api, qid)
    chat = api.private_chat(ADMIN)

    too_long = await ask(api, chat, ADMIN, "很" * 401)

    assert too_long["text"] == t.FAQ_TOO_LONG.format(length=401)
    assert await _status(db, qid) == "unanswered"
    assert (await ask(api, chat, ADMIN, "好" * 400))["text"] == t.FAQ_SAVED
    assert await _status(db, qid) == "resolved"


async def test_cancel_leaves_the_question_open(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)
    await _write_faq(api, qid)
    chat = api.private_chat(ADMIN)

    assert (await ask(api, chat, ADMIN, "/cancel"))["text"] == t.FAQ_CANCELLED

    # What the staff member types next is an ordinary question again.
    assert (await ask(api, chat, ADMIN, ANSWER))["text"] != t.FAQ_SAVED
    assert await _status(db, qid) == "unanswered"
    assert [r[1] for r in await question_rows(db)] == [RESIDENT.id, ADMIN.id]
    assert await rows(db, "SELECT COUNT(*) FROM kb_passages WHERE origin = 'staff'") == [(0,)]
    await api.expect_no_message(RESIDENT.id, within=0.3)


async def test_dismiss_closes_the_question(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)
    chat = api.private_chat(ADMIN)
    listing = await _list(api)

    await press(api, chat, ADMIN, listing, t.BTN_DISMISS.format(qid=qid))

    assert (await api.next_message(chat.id))["text"] == t.DISMISSED.format(qid=qid)
    ((status, resolved_by),) = await rows(
        db, "SELECT status, resolved_by FROM kb_questions WHERE id = ?", qid
    )
    assert (status, resolved_by) == ("dismissed", ADMIN.id)
    assert (await _list(api))["text"] == t.UNANSWERED_EMPTY
    # The stale list's buttons now say the question was dealt with.
    closed = await press(api, chat, ADMIN, listing, t.BTN_WRITE_FAQ.format(qid=qid))
    assert closed.get("text") == t.FAQ_CLOSED.format(qid=qid)
    await api.expect_no_message(RESIDENT.id, within=0.2)


async def test_question_closed_while_answer_is_being_written(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)
    listing = await _list(api)
    chat = api.private_chat(ADMIN)
    await press(api, chat, ADMIN, listing, t.BTN_WRITE_FAQ.format(qid=qid))
    await api.next_message(chat.id)
    await press(api, chat, ADMIN, listing, t.BTN_DISMISS.format(qid=qid))
    await api.next_message(chat.id)

    reply = await ask(api, chat, ADMIN, ANSWER)

    assert reply["text"] == t.FAQ_CLOSED.format(qid=qid)
    assert await _status(db, qid) == "dismissed"
    assert await rows(db, "SELECT COUNT(*) FROM kb_passages WHERE origin = 'staff'") == [(0,)]


async def test_non_staff_forged_write_answer_is_refused(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)
    chat = api.private_chat(RESIDENT)
    message = await ask(api, chat, RESIDENT, "/start")

    refused = await callback_answer(
        api, forge_press(api, chat, RESIDENT, message, f"kbs:faq:{qid}")
    )

    assert refused.get("text") == texts.NOT_STAFF
    assert refused.get("show_alert") is True
    await api.expect_no_message(chat.id, within=0.3)
    # The resident's next message is a question, not an FAQ answer.
    assert_decline(await ask(api, chat, RESIDENT, QUESTION))
    assert await _status(db, qid) == "unanswered"
    assert await rows(db, "SELECT COUNT(*) FROM kb_passages WHERE origin = 'staff'") == [(0,)]


async def test_asker_who_blocked_the_bot_does_not_break_saving(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)
    api.block_chat(RESIDENT.id)
    await _write_faq(api, qid)

    saved = await ask(api, api.private_chat(ADMIN), ADMIN, ANSWER)

    assert saved["text"] == t.FAQ_SAVED
    assert await _status(db, qid) == "resolved"
    assert apologies(api) == []


async def test_pending_answer_survives_a_restart(
    api: LocalBotApi, restart: Callable[[], Any]
) -> None:
    async with restart() as first:
        qid = await _declined(api, first.services.db)
        await _write_faq(api, qid)

    async with restart() as second:
        saved = await ask(api, api.private_chat(ADMIN), ADMIN, ANSWER)
        assert saved["text"] == t.FAQ_SAVED
        assert await _status(second.services.db, qid) == "resolved"


async def test_unanswered_in_a_residents_group_does_not_leak_private_questions(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await _declined(api, db)

    api.send_text(GROUP, ADMIN, "/unanswered")
    # Give the bot time to answer; the asker is not involved either way.
    await api.expect_no_message(RESIDENT.id, within=0.8)
    assert api.pending_update_count == 0

    leaked = [m for m in api.sent_messages(GROUP.id) if QUESTION in str(m.get("text", ""))]
    assert leaked == []


async def test_write_answer_when_staff_private_chat_is_unreachable(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    qid = await _declined(api, db)
    listing = await _list(api, STAFF_CHAT)
    api.block_chat(ADMIN.id)

    alert = await press(api, STAFF_CHAT, ADMIN, listing, t.BTN_WRITE_FAQ.format(qid=qid))
    await api.wait_for_call("sendMessage", lambda c: c.params.get("chat_id") == ADMIN.id)
    await api.expect_no_message(STAFF_CHAT.id, within=0.3)

    # The staff group is still reachable, and the staff member learns why nothing happened.
    assert await rows(db, "SELECT status FROM chats WHERE chat_id = ?", STAFF_CHAT.id) != [
        ("blocked",)
    ]
    told = [str(alert.get("text") or "")] + [
        str(m.get("text")) for m in api.sent_messages(STAFF_CHAT.id)
    ]
    assert any("私聊" in text for text in told)
