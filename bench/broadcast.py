"""Broadcast pacing: a notice to 1,000 groups through the local Bot API server, once clean and
once with every 50th send answered 429 (retry_after 1), while residents ask /help; then the
same two with nobody asking.

The server runs in its own process (``python -m bot.local_api``), driven over its
test-control endpoints (bot/local_api/control.py); the bot runs in this process with its
real limiter and delivery worker, at RESIDENT_BOT_SEND_RATE (default 30, Telegram's limit).
Every figure comes from the server's record of what it answered and when:

- achieved messages/s: everything the bot delivered (the notice and the replies to residents,
  which share Telegram's limit and go first) over the time from the notice's first send to
  its last, and its ratio to the configured limit (goal ≥ 0.9); then the notice's own rate;
- the largest number of messages (notice and replies to residents) the server accepted in
  any 1-second window [t, t+1), which must never be above the limit;
- lost (a group never served) and duplicated (a group served twice);
- /help reply time (server answer time minus the moment the probe was injected), p50 and
  p99 (nearest rank), during the broadcast against the same with no broadcast.

The 429s are set up per chat: the groups at positions 50, 100, ... of the send order (the
outbox sends a notice's rows in id order, i.e. by chat id) have their first send answered
429. Replies to residents are never failed, so the /help figures measure the broadcast.

    python bench/broadcast.py [--chats 1000] [--rate 30] [--every 50] [--probe-gap 0.6]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench.local_server import local_server
from bot import rate_limiter
from bot.application import build_application
from bot.config import load_settings
from bot.runtime import running
from handlers.context import ResidentApplication
from knowledge.notices.service import NoticeService
from knowledge.notices.targets import Target
from storage import chats_repo

TOKEN = "123456:BENCH-token"
TEXT = "【停水通知】明天 9:00–12:00 停水，请提前储水。"
GROUP_BASE = -1003000000000


class RemoteApi:
    """The local Bot API server in a child process, driven over its control endpoints."""

    def __init__(self, base_url: str, client: httpx.AsyncClient) -> None:
        self.base_url = base_url  # http://127.0.0.1:PORT/bot
        self._control = base_url.replace("/bot", "/control/bot", 1) + TOKEN
        self._client = client

    async def send_text(self, user_id: int, text: str) -> None:
        body = {"messages": [{"user": {"id": user_id, "first_name": "居民"}, "text": text}]}
        response = await self._client.post(f"{self._control}/messages", json=body)
        response.raise_for_status()

    async def fail(self, chat_ids: list[int], retry_after: int) -> None:
        body = {"method": "sendMessage", "chat_ids": chat_ids, "retry_after": retry_after}
        response = await self._client.post(f"{self._control}/fail", json=body)
        response.raise_for_status()

    async def mark(self) -> int:
        response = await self._client.get(
            f"{self._control}/log", params={"method": "sendMessage", "after": 1 << 40}
        )
        response.raise_for_status()
        return int(response.json()["next"])

    async def sends(self, after: int) -> list[tuple[float, int, int]]:
        """(time, chat id, error code or 0) of every sendMessage answered from `after` on."""
        response = await self._client.get(
            f"{self._control}/log", params={"method": "sendMessage", "after": after}
        )
        response.raise_for_status()
        return [
            (float(at), int(chat), int(code)) for _, at, chat, code in response.json()["calls"]
        ]


@asynccontextmanager
async def server_process() -> AsyncIterator[RemoteApi]:
    async with local_server(TOKEN) as (base_url, client):
        yield RemoteApi(base_url, client)


@dataclass
class Probes:
    """Residents each asking /help once, one every `gap` seconds, until stopped."""

    api: RemoteApi
    gap: float
    next_user: int = 50_000
    asked: dict[int, float] | None = None

    async def run(self, stop: asyncio.Event, count: int | None = None) -> None:
        self.asked = self.asked or {}
        asked = 0
        while not stop.is_set() and (count is None or asked < count):
            self.next_user += 1
            self.asked[self.next_user] = time.time()
            await self.api.send_text(self.next_user, "/help")
            asked += 1
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.gap)

    def reply_times(self, sends: list[tuple[float, int, int]]) -> list[float]:
        first: dict[int, float] = {}
        for at, chat, code in sends:
            if chat > 0 and code == 0:
                first.setdefault(chat, at)
        asked = self.asked or {}
        missing = [user for user in asked if user not in first]
        if missing:
            raise RuntimeError(f"{len(missing)} /help probes got no reply")
        return sorted(first[user] - t0 for user, t0 in asked.items())


def nearest_rank(sorted_values: list[float], q: float) -> float:
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def busiest_second(times: list[float]) -> int:
    """The most timestamps in any half-open window [t, t+1)."""
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def seed_groups(app: ResidentApplication, chat_ids: list[int]) -> None:
    conn = await app.services.database.get()
    await conn.execute("BEGIN")
    for i, chat_id in enumerate(chat_ids):
        await chats_repo.upsert_chat(conn, chat_id, "supergroup", f"{i}号楼群", "member")
    await conn.execute("COMMIT")


async def broadcast(
    api: RemoteApi,
    service: NoticeService,
    probes: Probes,
    groups: list[int],
    rate: int,
    *,
    residents: bool = True,
) -> dict[str, Any]:
    mark = await api.mark()
    probes.asked = {}
    stop = asyncio.Event()
    probing = asyncio.create_task(probes.run(stop) if residents else stop.wait())
    notice_id = await service.create_notice(
        text=TEXT,
        kind="broadcast",
        target=Target.all(),
        topic=None,
        urgent=False,
        pin=False,
        created_by=0,
        ref="bench",
    )
    while True:
        report = await service.notice_report(notice_id)
        assert report is not None
        if report.done and report.notice.finished_at:
            break
        await asyncio.sleep(0.2)
    stop.set()
    await probing
    await asyncio.sleep(1.0)  # the last probe's reply
    sends = await api.sends(mark)
    ok = [(at, chat) for at, chat, code in sends if code == 0]
    notice = sorted(at for at, chat in ok if chat < 0)
    served = Counter(chat for _, chat in ok if chat < 0)
    achieved = (len(notice) - 1) / (notice[-1] - notice[0])
    during = [at for at, _ in ok if notice[0] <= at <= notice[-1]]
    total = (len(during) - 1) / (notice[-1] - notice[0])
    replies = probes.reply_times(sends)
    return {
        "rate": achieved,
        "ratio": achieved / rate,
        "total": total,
        "busiest": busiest_second([at for at, _ in ok]),
        "busiest_notice": busiest_second(notice),
        "busiest_requests": busiest_second([at for at, _, _ in sends]),
        "answered_429": sum(code == 429 for _, _, code in sends),
        "lost": sum(1 for chat in groups if served[chat] == 0),
        "duplicated": sum(1 for n in served.values() if n > 1),
        "report": (report.sent, report.failed, len(report.possibly_duplicate)),
        "replies": replies,
        "seconds": notice[-1] - notice[0],
    }


def show(name: str, r: dict[str, Any], rate: int, quiet: list[float]) -> None:
    replies = r["replies"] or [math.nan]
    verdict = "ok" if r["busiest"] <= rate else "ABOVE THE LIMIT"
    print(f"--- {name}")
    print(f"  achieved, all sent:{r['total']:7.2f} msg/s over {r['seconds']:.1f} s")
    print(f"  ratio to limit:    {r['total'] / rate:7.3f} (goal >= 0.9)")
    print(f"  the notice alone:  {r['rate']:7.2f} msg/s, {r['ratio']:.3f} of the limit")
    print(f"  busiest 1 s window:{r['busiest']:4d} sent ({verdict}, limit {rate});")
    print(f"                     {r['busiest_notice']:4d} of them the notice's")
    print(f"                     {r['busiest_requests']:4d} requests incl. answered 429")
    print(f"  answered 429:      {r['answered_429']:4d}")
    sent, failed, flagged = r["report"]
    print(f"  lost {r['lost']}, duplicated {r['duplicated']}")
    print(f"  outbox report:     sent {sent}, failed {failed}, 可能重复 {flagged}")
    print(
        f"  /help reply:       p50 {nearest_rank(replies, 0.5) * 1000:6.1f} ms,"
        f" p99 {nearest_rank(replies, 0.99) * 1000:6.1f} ms (n={len(r['replies'])});"
        f" without broadcast p50 {nearest_rank(quiet, 0.5) * 1000:.1f} ms,"
        f" p99 {nearest_rank(quiet, 0.99) * 1000:.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=30, help="RESIDENT_BOT_SEND_RATE")
    parser.add_argument("--every", type=int, default=50, help="every Nth send answered 429")
    parser.add_argument("--probe-gap", type=float, default=0.6, help="seconds between /help")
    parser.add_argument("--quiet-probes", type=int, default=60)
    args = parser.parse_args()
    groups = sorted(GROUP_BASE - i for i in range(args.chats))  # the outbox's send order

    with tempfile.TemporaryDirectory() as tmp:
        async with server_process() as api:
            env = {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": api.base_url,
                "RESIDENT_BOT_DB": str(Path(tmp) / "bench.db"),
                "RESIDENT_BOT_STAFF": "1",
                "RESIDENT_BOT_SEND_RATE": str(args.rate),
            }
            if args.rate > 30:
                env["RESIDENT_BOT_ALLOW_PAID_BROADCAST"] = "1"
            app = build_application(load_settings(env, dotenv=None))
            async with running(app):
                await seed_groups(app, groups)
                service = app.services.notices
                assert service is not None
                probes = Probes(api, args.probe_gap)
                # Warm-up: the first /help pays for first-use costs (connections, caches).
                await probes.run(asyncio.Event(), count=3)
                await asyncio.sleep(1.0)

                mark = await api.mark()
                probes.asked = {}
                await probes.run(asyncio.Event(), count=args.quiet_probes)
                await asyncio.sleep(1.0)
                quiet = probes.reply_times(await api.sends(mark))

                clean = await broadcast(api, service, probes, groups, args.rate)
                await asyncio.sleep(1.1)  # the per-chat windows of the first notice pass
                await api.fail(groups[args.every - 1 :: args.every], retry_after=1)
                flooded = await broadcast(api, service, probes, groups, args.rate)
                # Nobody asking: once the limiter stops keeping a slot for replies, the
                # notice has every window to itself.
                await asyncio.sleep(rate_limiter.RESERVE_HOLD + 1.0)
                alone = await broadcast(api, service, probes, groups, args.rate, residents=False)
                await asyncio.sleep(1.1)
                await api.fail(groups[args.every - 1 :: args.every], retry_after=1)
                alone_flooded = await broadcast(
                    api, service, probes, groups, args.rate, residents=False
                )

    print(
        f"broadcast to {args.chats} groups at RESIDENT_BOT_SEND_RATE={args.rate};"
        f" local Bot API in its own process; /help every {args.probe_gap} s"
        f" from a new resident each time"
    )
    show("clean", clean, args.rate, quiet)
    show(f"every {args.every}th send answered 429 (retry_after 1)", flooded, args.rate, quiet)
    show("clean, no resident asking anything", alone, args.rate, quiet)
    show(f"every {args.every}th answered 429, no resident asking", alone_flooded, args.rate, quiet)


if __name__ == "__main__":
    asyncio.run(main())
