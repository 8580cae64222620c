"""Foundation, end to end: odd input, edits, and the error handler."""

from __future__ import annotations

import logging

import aiosqlite
import pytest

from bot.local_api import LocalBotApi
from handlers import texts
from tests.e2e.conftest import ADMIN, GROUP, RESIDENT, TOKEN, rows
from tests.e2e.test_foundation_helpers import update_id_of

QUIET = 0.3


async def assert_still_answers(api: LocalBotApi, chat_id: int) -> None:
    chat = api.private_chat(RESIDENT)
    assert chat.id == chat_id
    api.send_text(chat, RESIDENT, "/start")
    assert texts.MENU_TITLE in (await api.next_message(chat_id))["text"]


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_unknown_command_in_private(
    api: LocalBotApi, bot: object, caplog: pytest.LogCaptureFixture
) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/complaints please")
    reply = await api.next_message(chat.id)
    assert reply["text"] == texts.UNKNOWN_COMMAND
    assert "没有这个命令" in reply["text"]
    await api.expect_no_message(chat.id, within=QUIET)
    await assert_still_answers(api, chat.id)
    assert errors_logged(caplog) == []


@pytest.mark.parametrize("kind", ["sticker", "photo", "photo_with_caption"])
async def test_non_text_in_private_asks_for_words(
    api: LocalBotApi, bot: object, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    chat = api.private_chat(RESIDENT)
    if kind == "sticker":
        api.send_sticker(chat, RESIDENT)
    elif kind == "photo":
        api.send_photo(chat, RESIDENT)
    else:
        api.send_photo(chat, RESIDENT, caption="楼道里堆满了杂物")
    reply = await api.next_message(chat.id)
    assert reply["text"] == texts.NON_TEXT
    assert "只能看懂文字" in reply["text"]
    await api.expect_no_message(chat.id, within=QUIET)
    await assert_still_answers(api, chat.id)
    assert errors_logged(caplog) == []


async def test_very_long_message_in_private(
    api: LocalBotApi, db: aiosqlite.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    chat = api.private_chat(RESIDENT)
    text = ("我家楼上漏水三个月了物业一直不管" * 700)[:10_000]
    assert len(text) == 10_000
    api.send_text(chat, RESIDENT, text)
    reply = await api.next_message(chat.id, timeout=10)
    assert reply["text"]
    assert "出了点问题" not in reply["text"]
    await api.expect_no_message(chat.id, within=QUIET)
    stored = await rows(db, "SELECT length(question) FROM kb_questions WHERE user_id = ?", 1001)
    assert stored == [(4096,)]
    await assert_still_answers(api, chat.id)
    assert errors_logged(caplog) == []


@pytest.mark.parametrize("new_text", ["电动车能在楼道充电吗", "/start", "/help", "我要投诉"])
async def test_edited_message_gets_no_reply(
    api: LocalBotApi, bot: object, caplog: pytest.LogCaptureFixture, new_text: str
) -> None:
    chat = api.private_chat(RESIDENT)
    original = api.send_text(chat, RESIDENT, "/hello")
    assert (await api.next_message(chat.id))["text"] == texts.UNKNOWN_COMMAND
    api.edit_text(chat, RESIDENT, original, new_text)
    await api.expect_no_message(chat.id, within=QUIET)
    await assert_still_answers(api, chat.id)
    assert errors_logged(caplog) == []


async def test_edited_message_in_group_gets_no_reply(api: LocalBotApi, bot: object) -> None:
    original = api.send_text(GROUP, RESIDENT, "大家好")
    api.edit_text(GROUP, RESIDENT, original, "@resident_test_bot 电动车能在楼道充电吗")
    await api.expect_no_message(GROUP.id, within=QUIET)


async def test_message_edited_into_a_staff_command_gets_no_reply(
    api: LocalBotApi, bot: object
) -> None:
    chat = api.private_chat(RESIDENT)
    original = api.send_text(chat, RESIDENT, "/staf list")
    assert (await api.next_message(chat.id))["text"] == texts.UNKNOWN_COMMAND
    for command in ("/staff list", "/chats", "/bindgroup 幸福里", "/kb", "/unanswered"):
        api.edit_text(chat, RESIDENT, original, command)
    await api.expect_no_message(chat.id, within=QUIET)


async def test_admin_editing_an_old_staff_command_does_not_rerun_it(
    api: LocalBotApi, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(ADMIN)
    original = api.send_text(chat, ADMIN, "/staff add 1001")
    await api.next_message(chat.id)
    api.edit_text(chat, ADMIN, original, "/staff add 1002")
    await api.expect_no_message(chat.id, within=QUIET)
    assert await rows(db, "SELECT user_id FROM staff") == [(1001,)]


async def test_handler_error_apologises_in_chinese_and_logs_update_id_not_token(
    api: LocalBotApi, bot: object, caplog: pytest.LogCaptureFixture
) -> None:
    chat = api.private_chat(RESIDENT)
    # Telegram rejects the menu reply (a 400 the /start handler does not catch).
    api.fail_next(
        "sendMessage", error_code=400, description="Bad Request: can't parse entities",
        chat_id=chat.id,
    )  # fmt: skip
    sent = api.send_text(chat, RESIDENT, "/start")
    apology = await api.next_message(chat.id)
    assert apology["text"] == texts.ERROR
    assert "出了点问题" in apology["text"]
    await api.expect_no_message(chat.id, within=QUIET)

    update_id = update_id_of(api, chat.id, int(sent["message_id"]))
    logged = [
        r for r in caplog.records if r.name == "handlers.errors" and r.levelno == logging.ERROR
    ]
    assert len(logged) == 1
    record = logged[0]
    assert record.getMessage() == f"Error while handling update {update_id}"
    assert record.exc_info is not None
    assert "can't parse entities" in str(record.exc_info[1]).lower()
    formatted = logging.Formatter().format(record)
    assert str(update_id) in formatted
    for r in caplog.records:
        assert TOKEN not in logging.Formatter().format(r)
        assert TOKEN.split(":")[1] not in logging.Formatter().format(r)

    await assert_still_answers(api, chat.id)


async def test_error_while_answering_a_button_apologises_with_an_alert(
    api: LocalBotApi, bot: object, caplog: pytest.LogCaptureFixture
) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/menu")
    menu = await api.next_message(chat.id)
    api.fail_next("sendMessage", error_code=400, description="Bad Request: boom", chat_id=chat.id)
    query = api.press_button(chat, RESIDENT, menu, "menu:ask")
    # menu_button answered the query before the send failed, so the apology can't use it:
    # the error handler's alert fails and it only logs a warning (no crash, no loop).
    await api.wait_for_call(
        "answerCallbackQuery",
        lambda c: (
            c.params.get("callback_query_id") == query and c.params.get("text") == texts.ERROR
        ),
    )
    await api.expect_no_message(chat.id, within=QUIET)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] != []
    await assert_still_answers(api, chat.id)
