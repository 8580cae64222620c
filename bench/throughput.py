"""Update throughput: N text updates through the local Bot API server into
(a) a bare python-telegram-bot echo application and (b) our bot answering /help.

The server runs in its own process (``python -m bot.local_api``), a fresh one for each
application, so this process spends its CPU on the application alone: PTB's long polling,
JSON and HTTP on the client side, plus, for (b), our handlers, database and persistence.
The ratio (b)/(a) is what our code costs on top of the bare library. Updates are injected
and replies counted through the server's test-control endpoints (bot/local_api/control.py).

    python bench/throughput.py [-n 2000] [--users 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bench.local_server import local_server
from bot.application import build_application
from bot.config import load_settings
from bot.runtime import running

TOKEN = "123456:BENCH-token"
App = Application[Any, Any, Any, Any, Any, Any]


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    assert update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


class RemoteApi:
    """The local Bot API server in a child process, driven over its control endpoints."""

    def __init__(self, base_url: str, client: httpx.AsyncClient) -> None:
        self.base_url = base_url  # http://127.0.0.1:PORT/bot
        self._control = base_url.replace("/bot", "/control/bot", 1) + TOKEN
        self._client = client

    async def send_texts(self, messages: list[tuple[int, str]]) -> None:
        """Each (user id, text): the user writes text in their private chat."""
        body = {
            "messages": [
                {"user": {"id": uid, "first_name": f"居民{uid}"}, "text": text}
                for uid, text in messages
            ]
        }
        response = await self._client.post(f"{self._control}/messages", json=body)
        response.raise_for_status()

    async def wait_sent(self, count: int, limit: float = 600) -> int:
        """Wait until the bot made `count` sendMessage calls in all; return the count."""
        params = {"method": "sendMessage", "at_least": count, "timeout": limit}
        response = await self._client.get(
            f"{self._control}/calls", params=params, timeout=limit + 5
        )
        response.raise_for_status()
        sent = int(response.json()["count"])
        if sent < count:
            raise TimeoutError(f"only {sent}/{count} replies within {limit}s")
        return sent


@asynccontextmanager
async def server_process() -> AsyncIterator[RemoteApi]:
    async with local_server(TOKEN) as (base_url, client):
        yield RemoteApi(base_url, client)


async def measure(make_app: Callable[[str], App], n: int, users: int, text: str) -> float:
    async with server_process() as api, running(app := make_app(api.base_url)):
        services = getattr(app, "services", None)
        if services is not None and services.kb is not None:
            # A first start embeds the FAQ and loads the sentence encoder in the background
            # (once per database); that is start-up work, not the common path measured here.
            await services.kb.vectors_ready()
        people = [20000 + i for i in range(users)]
        # Warm-up: one round so first-use costs (connections, caches) are not counted.
        await api.send_texts([(uid, text) for uid in people])
        start_count = await api.wait_sent(users)
        batch = [(people[i % users], text) for i in range(n)]
        began = time.perf_counter()
        await api.send_texts(batch)
        await api.wait_sent(start_count + n)
        return n / (time.perf_counter() - began)


def bare_app(base_url: str) -> App:
    app = Application.builder().token(TOKEN).base_url(base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    bare_rates: list[float] = []
    ours_rates: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:

        def ours(base_url: str) -> App:
            settings = load_settings(
                {
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_URL": base_url,
                    "RESIDENT_BOT_DB": str(Path(tmp) / "bench.db"),
                    "RESIDENT_BOT_STAFF": "1",
                },
                dotenv=None,
            )
            # The flood-control limiter is off here: it caps live sending at ~30 msg/s by
            # design, which would measure Telegram's limit instead of our code.
            return build_application(settings, rate_limit=False)

        # Alternate the two, several rounds: on a shared 2-core machine one run of each
        # varies by ±15%; the medians of interleaved rounds compare like with like.
        for _ in range(args.rounds):
            bare_rates.append(await measure(bare_app, args.n, args.users, "你好"))
            ours_rates.append(await measure(ours, args.n, args.users, "/help"))
    bare_rate = statistics.median(bare_rates)
    ours_rate = statistics.median(ours_rates)
    print(
        "rounds (bare / ours): "
        + ", ".join(f"{a:.0f}/{b:.0f}" for a, b in zip(bare_rates, ours_rates, strict=True))
    )
    print(f"updates: {args.n} from {args.users} users; local Bot API in its own process")
    print(f"(a) bare PTB echo app:      {bare_rate:8.1f} updates/s (median)")
    print(f"(b) resident bot, /help:    {ours_rate:8.1f} updates/s (median)")
    print(f"ratio (b)/(a):              {ours_rate / bare_rate:8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
