"""/kbexport: staff download the question log as XLSX; nobody else gets anything."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import aiosqlite
import pytest
from openpyxl import load_workbook

from bot.local_api import LocalBotApi, SentDocument
from handlers import texts
from handlers.context import ResidentApplication
from handlers.qa import texts as et
from handlers.qa import texts as t
from handlers.qa.export import MAX_DAYS
from knowledge.qa.question_export import HEADERS
from tests.e2e.conftest import ADMIN, GROUP, NEIGHBOUR, RESIDENT, STAFF, STAFF_CHAT, rows
from tests.e2e.test_kb_support import FAQ_QUESTION, ask, assert_answer, assert_decline, press

DECLINED = "驾照到期了怎么换证"
GROUP_QUESTION = "小区门口的快递柜谁管"


async def _handed_off_log(api: LocalBotApi) -> None:
    """RESIDENT hands an answered question to staff with the 转人工 button; NEIGHBOUR types
    转人工 in the group after a question the bot could not answer; RESIDENT then asks one
    more that the bot answers."""
    chat = api.private_chat(RESIDENT)
    answered = await ask(api, chat, RESIDENT, FAQ_QUESTION)
    assert_answer(answered)
    await press(api, chat, RESIDENT, answered, t.BTN_HUMAN)
    assert (await api.next_message(chat.id))["text"] == t.HUMAN_DONE
    # Not answered; the bot may still show a passage 仅供参考 (the question stays open).
    group_reply = await ask(api, GROUP, NEIGHBOUR, f"@resident_test_bot {GROUP_QUESTION}")
    assert group_reply["text"].startswith(t.DECLINE_HEAD)
    typed = await ask(api, GROUP, NEIGHBOUR, "@resident_test_bot 转人工")
    assert typed["text"] == t.HUMAN_DONE
    assert_decline(await ask(api, chat, RESIDENT, DECLINED))
    api.skip_messages(STAFF_CHAT.id)  # the hand-off notices


def _sheet(document: SentDocument) -> list[dict[str, Any]]:
    sheet = load_workbook(io.BytesIO(document.data)).active
    assert sheet is not None
    header, *body = [[c.value for c in row] for row in sheet.iter_rows()]
    assert tuple(header) == HEADERS
    return [dict(zip(header, r, strict=True)) for r in body]


async def test_staff_get_an_xlsx_with_the_handed_off_questions(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await _handed_off_log(api)
    before = datetime.now(bot.services.settings.timezone).replace(tzinfo=None)

    reply = await ask(api, api.private_chat(ADMIN), ADMIN, "/kbexport")

    assert reply["document"]["file_name"].endswith(".xlsx")
    (document,) = api.sent_documents
    assert document.chat_id == ADMIN.id
    assert document.caption is not None
    assert document.caption.startswith("📊 居民提问记录 3 条")
    assert "全部日期" in document.caption
    assert "北京时间" in document.caption
    by_question = {r["问题"]: r for r in _sheet(document)}
    assert list(by_question) == [FAQ_QUESTION, GROUP_QUESTION, DECLINED]
    private = by_question[FAQ_QUESTION]
    assert (private["状态"], private["提问人"], private["群聊/私聊"]) == (
        "已转人工",
        RESIDENT.id,
        "私聊",
    )
    assert private["回答来源"]  # the bot had answered before the resident asked for a person
    assert private["转人工时间"] is not None
    group = by_question[GROUP_QUESTION]
    assert (group["状态"], group["提问人"]) == ("已转人工", NEIGHBOUR.id)
    assert group["群聊/私聊"] == f"群聊：{GROUP.title}"
    assert by_question[DECLINED]["状态"] == "未能回答"
    # Local wall-clock time, within the test's own minute or so.
    asked = private["时间"]
    assert isinstance(asked, datetime)
    assert abs((asked - before).total_seconds()) < 120
    # Never a name or username: only ids identify people.
    flat = " ".join(str(v) for r in by_question.values() for v in r.values())
    assert RESIDENT.first_name not in flat
    assert NEIGHBOUR.first_name not in flat
    ((actor, action, detail),) = await rows(
        db, "SELECT actor_id, action, detail FROM audit_log WHERE action = 'kb.export'"
    )
    assert (actor, action) == (ADMIN.id, "kb.export")
    assert detail.startswith("3 rows")


async def test_staff_chat_export_of_recent_handoffs_only(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await bot.services.staff.add(db, STAFF.id, ADMIN.id)
    await _handed_off_log(api)

    await ask(api, STAFF_CHAT, STAFF, "/kbexport 7 转人工")

    (document,) = api.sent_documents
    assert document.chat_id == STAFF_CHAT.id
    assert document.caption is not None
    assert "居民提问记录 2 条" in document.caption
    assert "状态：已转人工" in document.caption
    assert [(r["问题"], r["状态"]) for r in _sheet(document)] == [
        (FAQ_QUESTION, "已转人工"),
        (GROUP_QUESTION, "已转人工"),
    ]
    assert document.filename.startswith("居民提问记录_")


@pytest.mark.parametrize("user", [RESIDENT, NEIGHBOUR])
async def test_non_staff_are_refused_and_get_no_file(
    api: LocalBotApi, bot: ResidentApplication, user: Any
) -> None:
    await _handed_off_log(api)

    reply = await ask(api, api.private_chat(user), user, "/kbexport")

    assert reply["text"] == texts.NOT_STAFF
    assert api.sent_documents == []


async def test_non_staff_in_the_staff_chat_get_no_file(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    await _handed_off_log(api)

    reply = await ask(api, STAFF_CHAT, RESIDENT, "/kbexport 30")

    assert reply["text"] == texts.NOT_STAFF
    assert api.sent_documents == []


async def test_export_in_a_residents_group_sends_nothing(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    await _handed_off_log(api)

    reply = await ask(api, GROUP, ADMIN, "/kbexport")

    assert reply["text"] == et.EXPORT_PRIVATE_ONLY
    assert api.sent_documents == []
    leaked = [m for m in api.sent_messages(GROUP.id) if DECLINED in str(m.get("text", ""))]
    assert leaked == []


@pytest.mark.parametrize(
    "command",
    [
        "/kbexport abc",
        "/kbexport 99999999999",
        "/kbexport 0",
        f"/kbexport {MAX_DAYS + 1}",
        "/kbexport -1",
        "/kbexport 30 30",
        "/kbexport 转人工 已处理",
        "/kbexport 30 转人工 多余",
        "/kbexport =HYPERLINK(1)",
    ],
)
async def test_bad_arguments_get_the_usage(
    api: LocalBotApi, bot: ResidentApplication, command: str
) -> None:
    await _handed_off_log(api)

    reply = await ask(api, api.private_chat(ADMIN), ADMIN, command)

    assert reply["text"] == et.EXPORT_USAGE.format(max_days=MAX_DAYS)
    assert api.sent_documents == []


async def test_empty_log_gives_a_message_instead_of_a_file(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    chat = api.private_chat(ADMIN)

    reply = await ask(api, chat, ADMIN, "/kbexport")

    assert reply["text"] == et.EXPORT_EMPTY.format(dates="全部日期", statuses="全部状态")
    assert api.sent_documents == []


async def test_no_match_for_the_filter_gives_a_message(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    await _handed_off_log(api)

    reply = await ask(api, api.private_chat(ADMIN), ADMIN, "/kbexport 已处理")

    assert reply["text"] == et.EXPORT_EMPTY.format(dates="全部日期", statuses="已处理")
    assert api.sent_documents == []


async def test_staff_help_lists_the_command_and_residents_do_not_see_it(
    api: LocalBotApi, bot: ResidentApplication
) -> None:
    staff_help = await ask(api, api.private_chat(ADMIN), ADMIN, "/help")
    resident_help = await ask(api, api.private_chat(RESIDENT), RESIDENT, "/help")

    assert et.HELP_LINE.strip() in staff_help["text"]
    assert "/kbexport" not in resident_help["text"]
