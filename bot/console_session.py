"""One console session: what the console user types goes to the local server as their
messages and button presses; what the bot sends is printed.

Everything the bot sends is shown, also what goes to other chats than the console user's
(the asker's private chat after staff answer, the staff chat), marked with its recipient.
`Console.run` reads lines from a queue and writes to a text stream, so a test drives the
same loop with scripted lines (`console.open_console`) and no terminal.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.local_api import Chat, LocalBotApi, User

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
    """One console user talking to the bot; output goes to ``out``."""

    def __init__(
        self,
        api: LocalBotApi,
        staff_id: int,
        files: Path,
        out: TextIO | None = None,
        quiet: float = 0.5,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self.api = api
        # Whether the bot still has updates in hand: a slow answer (a busy machine, a large
        # knowledge base) is not silence.
        self.busy = busy
        self.staff_id = staff_id
        self.files = files
        self.out = out if out is not None else sys.stdout
        self.quiet = quiet
        self.user = RESIDENT
        self.chat: Chat = api.private_chat(RESIDENT)
        self.in_group = False
        self.group_joined = False
        self.cursor = api.mark()
        self.buttons: list[dict[str, Any]] = []
        self.button_message: dict[str, Any] | None = None

    def say(self, text: str = "", end: str = "\n") -> None:
        print(text, end=end, file=self.out, flush=True)

    def prompt(self) -> str:
        where = "群聊" if self.in_group else "私聊"
        who = "工作人员" if self.user.id == self.staff_id else self.user.first_name
        return f"[{where} · {who} {self.user.id}] > "

    async def run(self, lines: asyncio.Queue[str | None]) -> None:
        """The read/print loop: act on each line until `/quit` or the end of input (None)."""
        self.say(self.prompt(), end="")
        while (line := await self.next_line(lines)) is not None:
            if not await self.handle(line):
                break
            self.say(self.prompt(), end="")

    async def next_line(self, lines: asyncio.Queue[str | None]) -> str | None:
        """The next input line; meanwhile show what the bot sends on its own (a job, say)."""
        waiting = asyncio.ensure_future(lines.get())
        try:
            while True:
                done, _ = await asyncio.wait({waiting}, timeout=0.2)
                if done:
                    return waiting.result()
                if self.has_output():
                    # Below the prompt the user may be typing at, then the prompt again.
                    self.say()
                    await self.settle()
                    self.say(self.prompt(), end="")
        finally:
            waiting.cancel()

    async def handle(self, line: str) -> bool:
        """Act on one input line; False to quit."""
        text = line.strip()
        if not text:
            return True
        if text in {"/quit", "/exit"}:
            return False
        if text == "/console":
            self.say(HELP)
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
            self.say("用法：/as staff | /as resident | /as <用户ID>")
            return
        if self.in_group:
            # Known to the server, so messages to this user's private chat show the name.
            self.api.private_chat(self.user)
        else:
            self.chat = self.api.private_chat(self.user)
        self.forget_buttons()
        self.say(f"（现在的身份：{self.user.first_name}，ID {self.user.id}）")

    def forget_buttons(self) -> None:
        """Buttons belong to the chat and person they were shown to."""
        self.buttons = []
        self.button_message = None

    def switch_chat(self, group: bool) -> None:
        self.in_group = group
        if group:
            self.chat = GROUP
            if not self.group_joined:
                self.api.bot_added(GROUP, self.user)
                self.group_joined = True
        else:
            self.chat = self.api.private_chat(self.user)
        self.forget_buttons()
        self.say(f"（已切换到{'群聊「' + (GROUP.title or '') + '」' if group else '私聊'}）")

    def press(self, number: int) -> None:
        if not self.buttons or not 1 <= number <= len(self.buttons) or not self.button_message:
            self.say("（没有这个按钮）")
            return
        button = self.buttons[number - 1]
        if "callback_data" in button:
            try:
                self.api.press_button(
                    self.chat, self.user, self.button_message, button["callback_data"]
                )
            except ValueError:  # the bot has since removed or replaced those buttons
                self.say("（这个按钮已经没有了）")
            return
        url = str(button.get("url", ""))
        match = re.search(r"[?&]start=([\w-]+)", url)
        if match:
            # A deep link opens the private chat with /start <payload>, as Telegram does.
            self.switch_chat(False)
            self.api.send_text(self.chat, self.user, f"/start {match[1]}")
        else:
            self.say(f"（链接：{url}）")

    def send_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.say(f"（无法读取文件：{exc}）")
            return
        self.api.send_document(self.chat, self.user, path.name, data)

    async def settle(self, limit: float = 15.0) -> None:
        """Print the bot's output until it has been quiet for a moment."""
        loop = asyncio.get_running_loop()
        start = last = loop.time()
        while loop.time() - start < limit and (
            loop.time() - last < self.quiet or self.api.pending_update_count or self.busy()
        ):
            if self.flush():
                last = loop.time()
            await asyncio.sleep(0.05)
        self.flush()

    def has_output(self) -> bool:
        return any(
            call.method in PRINTED and call.error is None for call in self.api.calls[self.cursor :]
        )

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
                self.say(f"  💬 {params['text']}")
                return True
            return False
        if not isinstance(result, dict) or not isinstance(result.get("chat"), dict):
            return False
        here = result["chat"].get("id") == self.chat.id
        label = "✏️ （修改）" if method.startswith("edit") else "🤖"
        head = f"{label} " if here else f"{label} {recipient(result['chat'])}："
        if "text" in result:
            self.say(f"{head}{result['text']}")
        elif not here:
            self.say(head)
        if "document" in result:
            self.save_document(result)
        if "poll" in result:
            poll = result["poll"]
            self.say(f"🗳 {poll['question']}: " + " / ".join(o["text"] for o in poll["options"]))
        markup = result.get("reply_markup", {}).get("inline_keyboard")
        if markup:
            buttons = [b for row in markup for b in row]
            if here:
                self.buttons = buttons
                self.button_message = result
                self.say("   " + "  ".join(f"[{i}] {b['text']}" for i, b in enumerate(buttons, 1)))
            else:
                # Only the people in that chat can press these; the console shows them.
                self.say("   " + "  ".join(f"[{b['text']}]" for b in buttons))
        return True

    def save_document(self, message: dict[str, Any]) -> None:
        name = Path(str(message["document"].get("file_name") or "file.bin")).name
        for doc in reversed(self.api.sent_documents):
            if doc.filename == name:
                self.files.mkdir(parents=True, exist_ok=True)
                target = self.files / name
                target.write_bytes(doc.data)
                self.say(f"📎 文件已保存：{target.resolve()}")
                return


def recipient(chat: dict[str, Any]) -> str:
    """Who a message went to: `→ 私聊 张阿姨(1001)` or `→ 群 幸福里业主群`."""
    if chat.get("type") == "private":
        name = " ".join(str(chat[k]) for k in ("first_name", "last_name") if chat.get(k))
        return f"→ 私聊 {name}({chat.get('id')})"
    return f"→ 群 {chat.get('title') or chat.get('id')}"
