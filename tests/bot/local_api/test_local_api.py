"""End-to-end tests of the fake Bot API with the real python-telegram-bot (no mocks)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Poll,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.local_api import Chat, LocalApiTimeout, LocalBotApi, User

REPO_ROOT = Path(__file__).resolve().parents[3]
AUNTIE = User(id=1001, first_name="张阿姨", language_code="zh-hans")
UNCLE = User(id=1002, first_name="李叔", username="uncle_li")
GROUP = Chat(id=-100123, type="supergroup", title="幸福小区业主群")
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("再来一次", callback_data="again")]])


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        f"你说：{update.effective_message.text}", reply_markup=KEYBOARD
    )


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"欢迎 args={context.args}")


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("收到")
    await query.edit_message_text(f"已点击 {query.data}")


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    assert message.document is not None
    data = await (await message.document.get_file()).download_as_bytearray()
    await message.reply_text(f"收到 {message.document.file_name} {len(data)} 字节")


@pytest.fixture
async def app(api: LocalBotApi) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    application = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    application.add_handler(MessageHandler(filters.Document.ALL, _document))
    application.add_handler(CallbackQueryHandler(_pressed))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_get_me(api: LocalBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.username == "resident_test_bot"
    assert me.first_name == "社区助手"
    assert me.is_bot
    assert api.bot_user["id"] == 123456
    assert api.base_url.endswith("/bot")
    assert api.base_file_url.endswith("/file/bot")
    assert api.calls[-1].method == "getMe"


async def test_application_echo_command_and_button(
    api: LocalBotApi,
    app: Application,  # type: ignore[type-arg]
) -> None:
    chat = api.private_chat(AUNTIE)
    sent = api.send_text(chat, AUNTIE, "/start hello")
    assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    welcome = await api.next_message(chat.id)
    assert welcome["text"] == "欢迎 args=['hello']"

    api.send_text(chat, AUNTIE, "电梯坏了 😢")
    reply = await api.next_message(chat.id)
    assert reply["text"] == "你说：电梯坏了 😢"
    assert reply["from"]["id"] == api.bot_user["id"]
    assert "reply_to_message" not in reply  # PTB 22 reply_text quotes only in groups
    assert reply["message_id"] > welcome["message_id"]

    query_id = api.press_button(chat, AUNTIE, reply, "again")
    edit = await api.wait_for_call("editMessageText")
    assert edit.ok
    assert api.answered_callbacks == [{"callback_query_id": query_id, "text": "收到"}]
    current = api.sent_messages(chat.id)[-1]
    assert current["text"] == "已点击 again"
    assert "reply_markup" not in current  # editing without reply_markup drops the keyboard
    assert "edit_date" in current
    await api.expect_no_message(chat.id, within=0.2)


async def test_long_polling_returns_early_on_injection(api: LocalBotApi, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0) == ()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    update_id = api.inject(
        {
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": api.private_chat(UNCLE).to_dict(),
                "from": UNCLE.to_dict(),
                "text": "hi",
            }
        }
    )
    updates = await poll
    assert time.monotonic() - started < 2
    assert [u.update_id for u in updates] == [update_id]
    assert updates[0].message is not None
    assert updates[0].message.text == "hi"
    # Not confirmed yet: delivered again until the offset moves past it.
    assert len(await bot.get_updates(timeout=0)) == 1
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    assert api.pending_update_count == 0


async def test_long_polling_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=dt.timedelta(seconds=0.3)) == ()
    assert 0.25 < time.monotonic() - started < 2


async def test_send_document_multipart_round_trip(api: LocalBotApi, bot: Bot) -> None:
    payload = "报修记录\n".encode() * 1000 + bytes(range(256))
    message = await bot.send_document(
        AUNTIE.id, payload, filename="报修.csv", caption="本月报修", reply_markup=KEYBOARD
    )
    assert message.document is not None
    assert message.document.file_name == "报修.csv"
    assert message.document.file_size == len(payload)
    assert message.caption == "本月报修"
    assert api.sent_documents == [(AUNTIE.id, "报修.csv", payload, "本月报修")]
    downloaded = await (await message.document.get_file()).download_as_bytearray()
    assert bytes(downloaded) == payload
    again = await bot.send_document(GROUP.id, message.document.file_id)
    assert again.document is not None
    assert again.document.file_id == message.document.file_id


async def test_users_document_downloaded_by_the_bot(
    api: LocalBotApi,
    app: Application,  # type: ignore[type-arg]
) -> None:
    chat = api.private_chat(UNCLE)
    api.send_document(chat, UNCLE, "物业费.pdf", b"%PDF-1.4 fake", mime_type="application/pdf")
    reply = await api.next_message(chat.id)
    assert reply["text"] == "收到 物业费.pdf 13 字节"
    assert (await api.wait_for_call("getFile")).ok


async def test_photo_sticker_and_group_mentions(api: LocalBotApi, bot: Bot) -> None:
    photo_message = api.send_photo(GROUP, UNCLE, caption="漏水照片")
    sticker_message = api.send_sticker(GROUP, UNCLE)
    text = api.send_text(GROUP, UNCLE, "@resident_test_bot /help@resident_test_bot 请看")
    updates = await bot.get_updates(timeout=0)
    assert updates[0].message is not None
    assert updates[0].message.photo[-1].width == 800
    assert updates[1].message is not None
    assert updates[1].message.sticker is not None
    assert [e["type"] for e in text["entities"]] == ["mention", "bot_command"]
    photo = await bot.get_file(photo_message["photo"][-1]["file_id"])
    assert (await photo.download_as_bytearray()).startswith(b"\x89PNG")
    assert sticker_message["sticker"]["type"] == "regular"


async def test_edits_and_sent_messages(api: LocalBotApi, bot: Bot) -> None:
    chat = api.private_chat(AUNTIE)
    user_message = api.send_text(chat, AUNTIE, "原文")
    update = api.edit_text(chat, AUNTIE, user_message, "改过的")
    assert update["edited_message"]["text"] == "改过的"
    edited = (await bot.get_updates(timeout=0))[-1]
    assert edited.edited_message is not None
    assert edited.edited_message.text == "改过的"

    first = await bot.send_message(chat.id, "<b>第一条</b>", parse_mode=ParseMode.HTML)
    second = await bot.send_message(
        chat.id, "第二条", reply_to_message_id=user_message["message_id"]
    )
    assert second.reply_to_message is not None
    await bot.edit_message_text(
        "第一条（已更新）", chat.id, first.message_id, reply_markup=KEYBOARD
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat.id, first.message_id, reply_markup=KEYBOARD)
    await bot.edit_message_reply_markup(chat.id, second.message_id, reply_markup=KEYBOARD)
    texts = [(m["text"], "reply_markup" in m) for m in api.sent_messages(chat.id)]
    assert texts == [("第一条（已更新）", True), ("第二条", True)]
    assert await bot.delete_message(chat.id, second.message_id)
    assert [m["text"] for m in api.sent_messages()] == ["第一条（已更新）"]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat.id, 999)


async def test_parse_mode_errors_like_telegram(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unsupported start tag"):
        await bot.send_message(AUNTIE.id, "1 < 2 <oops>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)character '.' is reserved"):
        await bot.send_message(AUNTIE.id, "*通知* 明天停水.", parse_mode=ParseMode.MARKDOWN_V2)
    ok = await bot.send_message(AUNTIE.id, r"*通知* 明天停水\.", parse_mode=ParseMode.MARKDOWN_V2)
    assert ok.text == "通知 明天停水."
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(AUNTIE.id, "too long data", reply_markup=markup)


async def test_poll_send_stop_and_vote(api: LocalBotApi, bot: Bot) -> None:
    message = await bot.send_poll(GROUP.id, "周末大扫除？", ["参加", "不参加"], is_anonymous=False)
    assert message.poll is not None
    assert [o.text for o in message.poll.options] == ["参加", "不参加"]
    assert message.poll.allows_revoting is False
    assert message.poll.members_only is False
    api.vote(UNCLE, api.sent_messages(GROUP.id)[-1], [0])
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].poll_answer is not None
    assert updates[-1].poll_answer.option_ids == (0,)
    stopped = await bot.stop_poll(GROUP.id, message.message_id)
    assert isinstance(stopped, Poll)
    assert stopped.is_closed
    assert stopped.options[0].voter_count == 1
    with pytest.raises(BadRequest, match=r"(?i)already been closed"):
        await bot.stop_poll(GROUP.id, message.message_id)


async def test_fail_next_429_raises_retry_after(
    api: LocalBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without PTB_TIMEDELTA, PTB 22.8 emits a PTBDeprecationWarning while *constructing*
    # RetryAfter, which filterwarnings=error turns into the raised exception.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    api.fail_next("sendMessage", parameters={"retry_after": 7}, description="Too Many Requests")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(AUNTIE.id, "hi")
    assert caught.value.retry_after == dt.timedelta(seconds=7)
    assert api.calls[-1].error is not None
    assert api.calls[-1].error["error_code"] == 429
    await bot.send_message(AUNTIE.id, "hi")  # only the next call failed
    api.fail_next("sendMessage", error_code=400, description="Bad Request: x", chat_id=GROUP.id)
    await bot.send_message(AUNTIE.id, "other chat unaffected")
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP.id, "hit")


async def test_blocked_and_removed_chats_forbidden(api: LocalBotApi, bot: Bot) -> None:
    api.block_chat(AUNTIE.id)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(AUNTIE.id, "hi")
    api.unblock_chat(AUNTIE.id)
    await bot.send_message(AUNTIE.id, "hi")

    api.bot_added(GROUP, UNCLE)
    api.bot_removed(GROUP, UNCLE)
    updates = await bot.get_updates(timeout=0)
    members = [u.my_chat_member for u in updates if u.my_chat_member is not None]
    assert [(m.old_chat_member.status, m.new_chat_member.status) for m in members] == [
        ("left", "member"),
        ("member", "kicked"),
    ]
    assert any(u.message and u.message.new_chat_members for u in updates)
    with pytest.raises(Forbidden, match=r"(?i)kicked from the supergroup chat"):
        await bot.send_message(GROUP.id, "hi")


async def test_migrate_group_raises_chat_migrated(api: LocalBotApi, bot: Bot) -> None:
    group = Chat(id=-4001, type="group", title="老业主群")
    api.send_text(group, UNCLE, "升级前")
    new_chat = api.migrate_group(group, -1004001)
    assert new_chat.type == "supergroup"
    assert new_chat.title == "老业主群"
    updates = await bot.get_updates(timeout=0)
    assert updates[1].message is not None
    assert updates[1].message.migrate_to_chat_id == -1004001
    assert updates[2].message is not None
    assert updates[2].message.migrate_from_chat_id == -4001
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(group.id, "hi")
    assert caught.value.new_chat_id == -1004001
    sent = await bot.send_message(new_chat.id, "hi")
    assert sent.chat.type == "supergroup"


async def test_chat_members_and_misc_methods(api: LocalBotApi, bot: Bot) -> None:
    api.send_text(GROUP, UNCLE, "hello")
    api.set_member_status(GROUP.id, UNCLE.id, "administrator")
    api.set_member_status(GROUP.id, AUNTIE.id, "creator")
    member = await bot.get_chat_member(GROUP.id, UNCLE.id)
    assert member.status == "administrator"
    assert (await bot.get_chat_member(GROUP.id, 555)).status == "member"
    admins = await bot.get_chat_administrators(GROUP.id)
    assert {a.user.id for a in admins} == {UNCLE.id, AUNTIE.id}
    chat = await bot.get_chat(GROUP.id)
    assert chat.title == "幸福小区业主群"
    commands = [BotCommand("start", "开始"), BotCommand("help", "帮助")]
    assert await bot.set_my_commands(commands)
    assert await bot.get_my_commands() == tuple(commands)
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "bad")])
    assert await bot.set_chat_menu_button()
    assert await bot.send_chat_action(GROUP.id, "typing")
    sent = await bot.send_message(GROUP.id, "公告")
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.pin_chat_message(GROUP.id, sent.message_id)
    api.set_member_status(GROUP.id, api.bot_user["id"], "administrator")
    assert await bot.pin_chat_message(GROUP.id, sent.message_id)
    copied = await bot.copy_message(AUNTIE.id, GROUP.id, sent.message_id)
    forwarded = await bot.forward_message(AUNTIE.id, GROUP.id, sent.message_id)
    assert forwarded.forward_origin is not None
    assert [m["text"] for m in api.sent_messages(AUNTIE.id)] == ["公告", "公告"]
    assert copied.message_id < forwarded.message_id
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.leave_chat(GROUP.id)
    with pytest.raises(Forbidden, match=r"(?i)not a member"):
        await bot.send_message(GROUP.id, "hi")


async def test_wrong_token_and_unknown_method(api: LocalBotApi, bot: Bot) -> None:
    wrong = Bot("654321:WRONG", base_url=api.base_url)
    try:
        with pytest.raises(InvalidToken, match="rejected by the server"):
            await wrong.initialize()
    finally:
        await wrong.shutdown()
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{api.base_url}{api.token}/fooBar")
    assert response.status_code == 404
    assert response.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert api.calls[-1].method == "fooBar"


async def test_waiting_helpers_time_out(api: LocalBotApi, bot: Bot) -> None:
    with pytest.raises(LocalApiTimeout):
        await api.wait_for_call("sendMessage", timeout=0.1)
    with pytest.raises(LocalApiTimeout):
        await api.next_message(AUNTIE.id, timeout=0.1)
    waiter = asyncio.create_task(api.wait_for_call("sendMessage", after=api.mark()))
    await bot.send_message(AUNTIE.id, "来了")
    assert (await waiter).params["text"] == "来了"
    with pytest.raises(AssertionError, match="来了"):
        await api.expect_no_message(AUNTIE.id, within=0.1)
    api.skip_messages()
    await api.expect_no_message(AUNTIE.id, within=0.05)
    with pytest.raises(ValueError, match="no button"):
        api.press_button(api.private_chat(AUNTIE), AUNTIE, api.sent_messages()[-1], "x")


async def test_server_stop_releases_pending_long_poll() -> None:
    api = LocalBotApi()
    await api.start()
    async with httpx.AsyncClient() as client:
        pending = asyncio.create_task(
            client.post(f"{api.base_url}{api.token}/getUpdates", data={"timeout": "30"})
        )
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await api.stop()
        response = await pending
    assert time.monotonic() - started < 2
    assert response.json() == {"ok": True, "result": []}


async def test_cli_serves_in_another_process() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.local_api", "--port", "0",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        base_url = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()
        async with Bot("123456:TEST", base_url=base_url) as client:
            assert (await client.get_me()).username == "resident_test_bot"
    finally:
        process.terminate()
        await process.wait()
