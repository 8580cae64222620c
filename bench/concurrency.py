"""Reply time of an unaffected resident while something else keeps the bot busy.

One bot (real flood limits: ``rate_limit=True``) against the local Bot API server, in this
process. A probe is a resident asking a policy question in their private chat; each probe is
a different resident, so neither the per-user limit nor per-chat pacing is what we time.
Probes run one after another, 0.2 s apart, from the moment the load starts until it ends:

    idle       nothing else going on (the baseline, same run)
    (a)        40 residents @mention the bot in one group (20 replies/min: a minute's backlog)
    (b)        one chat answers 429 with retry_after 8 to the bot's reply
    (c)        a staff member imports a 5 MB text file in their private chat

Goal: p99 <= 1 s in every case.

    python bench/concurrency.py [--probes 20]   # at least that many probes per case
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.application import build_application
from bot.config import load_settings
from bot.local_api import Chat, LocalBotApi, User
from bot.runtime import running
from handlers.qa import texts as qa_texts

TOKEN = "123456:BENCH-concurrency"
QUESTION = "电瓶车能在楼道充电吗"  # answered by the bundled FAQ on a fresh database
STAFF = User(id=900, first_name="李主任")
GROUP = Chat(id=-1001234567890, type="supergroup", title="幸福里业主群")
FLOODED = User(id=700, first_name="被限流的居民")
LOAD_TIMEOUT = 600.0
# Sentences in the register of a community policy notice, repeated to the wanted size.
POLICY_SENTENCES = [
    "第一条 为规范老旧小区改造工作，提升居民生活品质，结合本区实际，制定本办法。",
    "第二条 电动自行车不得在楼道、楼梯间等公共区域停放或者充电。",
    "第三条 居民申请加装电梯，应当经本单元房屋专有部分面积占比三分之二以上的业主同意。",
    "第四条 社区居委会应当在收到申请之日起十个工作日内组织协调，并公示处理结果。",
    "第五条 生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾四类，分类投放。",
    "第六条 物业服务企业应当每季度公布公共收益的收支情况，接受业主监督。",
]


class Bench:
    def __init__(self, api: LocalBotApi) -> None:
        self.api = api
        self._next_probe = 50_000

    async def probe(self) -> float:
        """One new resident asks in private; seconds until the bot's answer is sent."""
        self._next_probe += 1
        user = User(id=self._next_probe, first_name=f"居民{self._next_probe}")
        chat = self.api.private_chat(user)
        began = time.perf_counter()
        self.api.send_text(chat, user, QUESTION)
        await self.api.next_message(chat.id, timeout=LOAD_TIMEOUT)
        return time.perf_counter() - began

    async def phase(
        self, name: str, probes: int, load: Callable[[], Awaitable[None]] | None
    ) -> tuple[str, list[float], float | None]:
        """Probes while `load` runs; returns the reply times and how long the load took."""
        began = time.perf_counter()
        task = asyncio.create_task(load()) if load is not None else None
        await asyncio.sleep(0)  # let the load inject its updates first
        times = []
        # At least `probes` probes, and more for as long as the load lasts: a stall in any
        # part of it (download, parsing, indexing, writing) must show up.
        while len(times) < probes or (task is not None and not task.done()):
            times.append(await self.probe())
            await asyncio.sleep(0.2)
        took = None
        if task is not None:
            await task
            took = time.perf_counter() - began
        return name, times, took

    async def group_mentions(self) -> None:
        residents = [User(id=60_000 + i, first_name=f"群友{i}") for i in range(40)]
        for resident in residents:
            self.api.send_text(GROUP, resident, f"@resident_test_bot {QUESTION}")
        for _ in residents:
            await self.api.next_message(GROUP.id, timeout=LOAD_TIMEOUT)

    async def one_chat_429(self) -> None:
        chat = self.api.private_chat(FLOODED)
        self.api.fail_next(
            "sendMessage",
            chat_id=chat.id,
            description="Too Many Requests: retry after 8",
            parameters={"retry_after": 8},
        )
        self.api.send_text(chat, FLOODED, QUESTION)
        await self.api.next_message(chat.id, timeout=LOAD_TIMEOUT)

    async def staff_import(self) -> None:
        chat = self.api.private_chat(STAFF)
        self.api.send_document(chat, STAFF, "老旧小区改造政策汇编.txt", policy_text(5 << 20))
        while True:
            reply = await self.api.next_message(chat.id, timeout=LOAD_TIMEOUT)
            if not reply["text"].startswith(qa_texts.IMPORTING.split("《")[0]):
                return


def policy_text(size: int) -> bytes:
    block = "\n".join(POLICY_SENTENCES).encode() + b"\n"
    return (block * (size // len(block) + 1))[:size].rsplit(b"\n", 1)[0] + b"\n"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    with tempfile.TemporaryDirectory() as tmp:
        async with LocalBotApi(token=TOKEN) as api:
            settings = load_settings(
                {
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_URL": api.base_url,
                    "RESIDENT_BOT_DB": str(Path(tmp) / "bench.db"),
                    "RESIDENT_BOT_STAFF": str(STAFF.id),
                },
                dotenv=None,
            )
            async with running(build_application(settings, rate_limit=True)):
                bench = Bench(api)
                await bench.probe()  # warm-up: first-use costs are not a resident's wait
                cases = [
                    ("idle bot", None),
                    ("(a) 40 @mentions in a group", bench.group_mentions),
                    ("(b) one chat 429 retry_after 8", bench.one_chat_429),
                    ("(c) staff import 5 MB .txt", bench.staff_import),
                ]
                results = [await bench.phase(name, args.probes, load) for name, load in cases]

    print("reply time of an unaffected resident's private question (one new resident per probe)")
    print(f"{'case':32} {'probes':>6} {'p50 s':>7} {'p99 s':>7} {'max s':>7} {'load took s':>11}")
    for name, times, took in results:
        p50, p99 = statistics.median(times), percentile(times, 0.99)
        done = "-" if took is None else f"{took:.1f}"
        print(f"{name:32} {len(times):6} {p50:7.3f} {p99:7.3f} {max(times):7.3f} {done:>11}")


if __name__ == "__main__":
    asyncio.run(main())
