"""Update throughput: N text updates through the local Bot API server into
(a) a bare python-telegram-bot echo application and (b) our bot answering /help.

Both run in this process over real HTTP on 127.0.0.1, so the figure includes PTB's
long polling, JSON and HTTP costs on both sides; the ratio is what our handlers,
database writes and persistence cost on top of the bare library.

    python bench/throughput.py [-n 2000] [--users 50]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.application import build_application
from bot.config import load_settings
from bot.local_api import LocalBotApi, User
from bot.runtime import running

TOKEN = "123456:BENCH-token"


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    assert update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


async def measure(
    api: LocalBotApi, app: Application[Any, Any, Any, Any, Any, Any], n: int, users: int, text: str
) -> float:
    async with running(app):
        people = [User(id=20000 + i, first_name=f"居民{i}") for i in range(users)]
        # Warm-up: one round so first-use costs (connections, caches) are not counted.
        for person in people:
            api.send_text(api.private_chat(person), person, text)
        await _wait_sent(api, users)
        start_count = len(api.calls_to("sendMessage"))
        began = time.perf_counter()
        for i in range(n):
            person = people[i % users]
            api.send_text(api.private_chat(person), person, text)
        await _wait_sent(api, start_count + n)
        return n / (time.perf_counter() - began)


async def _wait_sent(api: LocalBotApi, count: int, limit: float = 600) -> None:
    deadline = time.perf_counter() + limit
    while len(api.calls_to("sendMessage")) < count:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"only {len(api.calls_to('sendMessage'))}/{count} replies")
        await asyncio.sleep(0.01)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()

    async with LocalBotApi(token=TOKEN) as api:
        bare = Application.builder().token(TOKEN).base_url(api.base_url).build()
        bare.add_handler(MessageHandler(filters.TEXT, echo))
        bare_rate = await measure(api, bare, args.n, args.users, "你好")

    with tempfile.TemporaryDirectory() as tmp:
        async with LocalBotApi(token=TOKEN) as api:
            settings = load_settings(
                {
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_URL": api.base_url,
                    "RESIDENT_BOT_DB": str(Path(tmp) / "bench.db"),
                    "RESIDENT_BOT_STAFF": "1",
                },
                dotenv=None,
            )
            # The flood-control limiter is off here: it caps live sending at ~30 msg/s by
            # design, which would measure Telegram's limit instead of our code.
            ours = build_application(settings, rate_limit=False)
            ours_rate = await measure(api, ours, args.n, args.users, "/help")

    print(f"updates: {args.n} from {args.users} users, local Bot API over HTTP")
    print(f"(a) bare PTB echo app:      {bare_rate:8.1f} updates/s")
    print(f"(b) resident bot, /help:    {ours_rate:8.1f} updates/s")
    print(f"ratio (b)/(a):              {ours_rate / bare_rate:8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
