"""The offline console, driven in-process: scripted lines in, its screen captured as text.

The bot is the real one over the local Bot API server, as `resident-bot console` runs it.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.console import BOT_USERNAME, RESIDENT, STAFF_CHAT_TITLE, Console, open_console
from bot.local_api import Chat, User
from handlers.qa import texts as t

STAFF_ID = 900
STAFF_CHAT_ID = -1009999999999
QUESTION = "驾照到期了怎么换证"
ANSWER = "驾照换证请带身份证到车管所办理，社区不代办。"
TO_RESIDENT = f"→ 私聊 {RESIDENT.first_name}({RESIDENT.id})"


class Screen:
    """A running console, its input queue and everything it has printed."""

    def __init__(self, console: Console, out: io.StringIO) -> None:
        self.console = console
        self.out = out
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        self.loop = asyncio.ensure_future(console.run(self.lines))

    @property
    def text(self) -> str:
        return self.out.getvalue()

    async def type(self, *lines: str) -> str:
        """Type lines and return what the console printed in answer to them."""
        start = len(self.text)
        for line in lines:
            await self.lines.put(line + "\n")
        # Each line ends with a fresh prompt once the console has settled.
        prompt = "] > "
        for _ in range(300):
            if self.text[start:].count(prompt) >= len(lines):
                return self.text[start:]
            await asyncio.sleep(0.05)
        raise AssertionError(f"the console did not answer {lines!r}: {self.text[start:]!r}")

    def button(self, label: str) -> str:
        """The number the console shows for the button `label` on the latest buttons."""
        for number, button in enumerate(self.console.buttons, 1):
            if button["text"] == label:
                return str(number)
        raise AssertionError(f"no button {label!r} in {self.console.buttons!r}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    env = {
        "RESIDENT_BOT_DB": str(tmp_path / "bot.db"),
        "RESIDENT_BOT_STAFF": str(STAFF_ID),
        "RESIDENT_BOT_STAFF_CHAT": str(STAFF_CHAT_ID),
        "RESIDENT_BOT_COMMUNITY": "幸福里社区",
    }
    return load_settings(env, dotenv=None)


@pytest.fixture
async def screen(settings: Settings, tmp_path: Path) -> AsyncIterator[Screen]:
    out = io.StringIO()
    async with open_console(settings, tmp_path / "files", out=out, quiet=0.2) as console:
        running = Screen(console, out)
        yield running
        await running.lines.put(None)
        await asyncio.wait_for(running.loop, 20)


async def test_the_greeting_names_the_bot_so_mentions_work(screen: Screen) -> None:
    greeting = screen.text.splitlines()[0]
    assert f"@{BOT_USERNAME}" in greeting

    shown = await screen.type("/group", f"@{BOT_USERNAME} {QUESTION}")

    # The bot answered in the group (here: no recipient mark), so the mention reached it.
    assert "\n🤖 " in shown
    assert "→" not in shown


async def test_a_staff_answer_reaches_the_asker_and_shows_with_its_recipient(
    screen: Screen,
) -> None:
    declined = await screen.type(QUESTION)
    assert "🤖 " in declined
    assert "→" not in declined  # the console user's own chat is not marked

    await screen.type("/as staff", "/unanswered")
    await screen.type(screen.button(t.BTN_WRITE_FAQ.format(qid=1)))
    answered = await screen.type(ANSWER)

    assert f"🤖 {t.FAQ_SAVED}" in answered
    notice = t.ASKER_NOTICE.format(question=QUESTION, answer=ANSWER)
    assert f"🤖 {TO_RESIDENT}：{notice}" in answered


async def test_a_hand_off_notice_shows_in_the_staff_chat(screen: Screen) -> None:
    # An FAQ first, so the resident gets an answer with a 转人工 button.
    await screen.type(QUESTION, "/as staff", "/unanswered")
    await screen.type(screen.button(t.BTN_WRITE_FAQ.format(qid=1)))
    await screen.type(ANSWER, "/as resident")
    answer = await screen.type(QUESTION)
    assert ANSWER in answer

    handed = await screen.type(screen.button(t.BTN_HUMAN))

    assert f"💬 {t.HUMAN_DONE}" in handed
    assert f"🤖 → 群 {STAFF_CHAT_TITLE}：" in handed
    # Buttons on messages to other chats are shown, never made pressable from here.
    assert all(b["text"] != t.BTN_WRITE_FAQ.format(qid=1) for b in screen.console.buttons)


async def test_console_commands_and_end_of_input(screen: Screen) -> None:
    shown = await screen.type("/console", "/as 2024", "9")
    assert "/as staff" in shown
    assert "（现在的身份：居民2024，ID 2024）" in shown
    assert "（没有这个按钮）" in shown
    assert shown.rstrip().endswith("[私聊 · 居民2024 2024] >")


async def test_what_the_bot_sends_while_the_console_waits_is_shown(screen: Screen) -> None:
    """As a reminder job would: output nobody typed for appears, then the prompt again."""
    await screen.type("/start")
    start = len(screen.text)
    neighbour = Chat(id=2001, type="private", first_name="老王")
    api = screen.console.api
    api.send_text(neighbour, User(id=2001, first_name="老王"), QUESTION)

    for _ in range(200):
        if screen.text[start:].endswith("] > "):
            break
        await asyncio.sleep(0.05)
    shown = screen.text[start:]
    assert "🤖 → 私聊 老王(2001)：" in shown
    assert shown.endswith("\n[私聊 · 王阿姨 10001] > ")


async def test_buttons_shown_to_someone_else_are_not_pressed(screen: Screen) -> None:
    """Before, '1' after /as pressed the other person's button in this chat and the
    console died with a ValueError."""
    await screen.type("/start")
    assert screen.console.buttons
    assert "没有这个按钮" in await screen.type("/as staff", "1")
    await screen.type("/as resident")
    assert "没有这个按钮" in await screen.type("1")
    assert "使用帮助" in await screen.type("/help")  # still running
