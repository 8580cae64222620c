"""`resident-bot console`: chat with the real bot offline, through the local Bot API server.

The Application is the same one `run` builds, with the same database; only the network is
the in-process local server. Type as a resident; lines starting with `/` that the console
knows (listed by `/console`) switch identity or chat, everything else goes to the bot.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.application import build_application
from bot.config import Settings
from bot.local_api import Chat, LocalBotApi, User
from bot.runtime import running

CONSOLE_TOKEN = "100000:CONSOLE-offline-token"
CONSOLE_STAFF_ID = 900000001
RESIDENT = User(id=10001, first_name="王阿姨", language_code="zh-hans")
GROUP = Chat(id=-1001000000001, type="supergroup", title="幸福里小区业主群")
PRINTED = {
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "sendDocument",
    "sendPhoto",
    "sendPoll",
    "answerCallbackQuery",
}

HELP = """控制台命令（其余输入都会作为消息发给机器人）:
  /as staff | /as resident | /as <用户ID>   切换身份
  /group | /private                        切换到群聊 / 私聊
  /file <路径>                             以当前身份发送文件（工作人员可导入政策文件）
  /sticker | /photo                        发送贴纸 / 图片
  数字（如 1）                             按下最近一条消息上的第几个按钮
  /console                                 显示本帮助      /quit  退出"""


class Console:
    def __init__(self, api: LocalBotApi, staff_id: int, files: Path) -> None:
        self.api = api
        self.staff_id = staff_id
        self.files = files
        self.user = RESIDENT
        self.chat: Chat = api.private_chat(RESIDENT)
        self.in_group = False
        self.group_joined = False
        self.cursor = 0
        self.buttons: list[dict[str, Any]] = []
        self.button_message: dict[str, Any] | None = None

    def prompt(self) -> str:
        where = "群聊" if self.in_group else "私聊"
        who = "工作人员" if self.user.id == self.staff_id else self.user.first_name
        return f"[{where} · {who} {self.user.id}] > "

    async def handle(self, line: str) -> bool:
        """Act on one input line; False to quit."""
        text = line.strip()
        if not text:
            return True
        if text in {"/quit", "/exit"}:
            return False
        if text == "/console":
            print(HELP)
            return True
        if text.startswith("/as "):
            self.switch_user(text[4:].strip())
            return True
        if text in {"/group", "/private"}:
            self.switch_chat(text == "/group")
            return True
        if text.isdigit():
            self.press(int(text))
        elif text.startswith("/file "):
            # One small local file typed by the console user: blocking is fine here.
            self.send_file(Path(text[6:].strip()).expanduser())  # noqa: ASYNC240
        elif text == "/sticker":
            self.api.send_sticker(self.chat, self.user)
        elif text == "/photo":
            self.api.send_photo(self.chat, self.user)
        else:
            self.api.send_text(self.chat, self.user, text)
        await self.settle()
        return True

    def switch_user(self, who: str) -> None:
        if who == "staff":
            self.user = User(id=self.staff_id, first_name="社区工作人员", language_code="zh-hans")
        elif who == "resident":
            self.user = RESIDENT
        elif re.fullmatch(r"\d{1,15}", who):
            self.user = User(id=int(who), first_name=f"居民{who}", language_code="zh-hans")
        else:
            print("用法：/as staff | /as resident | /as <用户ID>")
            return
        if not self.in_group:
            self.chat = self.api.private_chat(self.user)
        print(f"（现在的身份：{self.user.first_name}，ID {self.user.id}）")

    def switch_chat(self, group: bool) -> None:
        self.in_group = group
        if group:
            self.chat = GROUP
            if not self.group_joined:
                self.api.bot_added(GROUP, self.user)
                self.group_joined = True
        else:
            self.chat = self.api.private_chat(self.user)
        print(f"（已切换到{'群聊「' + (GROUP.title or '') + '」' if group else '私聊'}）")

    def press(self, number: int) -> None:
        if not self.buttons or not 1 <= number <= len(self.buttons) or not self.button_message:
            print("（没有这个按钮）")
            return
        button = self.buttons[number - 1]
        if "callback_data" in button:
            self.api.press_button(
                self.chat, self.user, self.button_message, button["callback_data"]
            )
            return
        url = str(button.get("url", ""))
        match = re.search(r"[?&]start=([\w-]+)", url)
        if match:
            # A deep link opens the private chat with /start <payload>, as Telegram does.
            self.switch_chat(False)
            self.api.send_text(self.chat, self.user, f"/start {match[1]}")
        else:
            print(f"（链接：{url}）")

    def send_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"（无法读取文件：{exc}）")
            return
        self.api.send_document(self.chat, self.user, path.name, data)

    async def settle(self, quiet: float = 0.5, limit: float = 15.0) -> None:
        """Print the bot's output until it has been quiet for a moment."""
        loop = asyncio.get_running_loop()
        start = last = loop.time()
        while loop.time() - last < quiet and loop.time() - start < limit:
            if self.flush():
                last = loop.time()
            await asyncio.sleep(0.05)
        self.flush()

    def flush(self) -> bool:
        calls = self.api.calls
        printed = False
        while self.cursor < len(calls):
            call = calls[self.cursor]
            self.cursor += 1
            if call.method in PRINTED and call.error is None:
                printed = self.show(call.method, call.params, call.result) or printed
        return printed

    def show(self, method: str, params: dict[str, Any], result: Any) -> bool:
        if method == "answerCallbackQuery":
            if params.get("text"):
                print(f"  💬 {params['text']}")
                return True
            return False
        if not isinstance(result, dict) or result.get("chat", {}).get("id") != self.chat.id:
            return False
        label = "✏️ （修改）" if method.startswith("edit") else "🤖"
        if "text" in result:
            print(f"{label} {result['text']}")
        if "document" in result:
            self.save_document(result)
        if "poll" in result:
            poll = result["poll"]
            print(f"🗳 {poll['question']}: " + " / ".join(o["text"] for o in poll["options"]))
        markup = result.get("reply_markup", {}).get("inline_keyboard")
        if markup:
            self.buttons = [b for row in markup for b in row]
            self.button_message = result
            print("   " + "  ".join(f"[{i}] {b['text']}" for i, b in enumerate(self.buttons, 1)))
        return True

    def save_document(self, message: dict[str, Any]) -> None:
        name = Path(str(message["document"].get("file_name") or "file.bin")).name
        for doc in reversed(self.api.sent_documents):
            if doc.filename == name:
                self.files.mkdir(parents=True, exist_ok=True)
                target = self.files / name
                target.write_bytes(doc.data)
                print(f"📎 文件已保存：{target.resolve()}")
                return


def _stdin_lines() -> asyncio.Queue[str | None]:
    """Lines from standard input, read by a daemon thread so Ctrl-C/EOF never hang the exit."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return queue


async def run_console(settings: Settings, files: Path) -> int:
    async with LocalBotApi(
        token=CONSOLE_TOKEN, bot_username="community_helper_bot", bot_first_name="社区助手"
    ) as api:
        staff_id = min(settings.admin_ids) if settings.admin_ids else CONSOLE_STAFF_ID
        local = replace(
            settings,
            api_url=api.base_url,
            file_url=api.base_file_url,
            admin_ids=settings.admin_ids | {staff_id},
        )
        app = build_application(local, token=CONSOLE_TOKEN, rate_limit=False)
        async with running(app):
            console = Console(api, staff_id, files)
            print(
                f"离线控制台已启动（数据库：{settings.db_path}）。输入 /console 查看控制台命令，"
                f"/quit 退出。试试发送 /start"
            )
            console.cursor = api.mark()
            lines = _stdin_lines()
            print(console.prompt(), end="", flush=True)
            while (line := await lines.get()) is not None:
                if not await console.handle(line):
                    break
                print(console.prompt(), end="", flush=True)
    print("\n再见！")
    return 0
