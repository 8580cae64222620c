"""Resident set of the running bot (`resident-bot run`, a real process) holding 10k passages,
beside the same bot with only the built-in FAQ, both answering one question through the
local Bot API server.

    python bench/bot_memory.py [--passages 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.kb_eval import SHARED  # noqa: E402
from bench.kb_perf import build_db  # noqa: E402
from bot.local_api import LocalBotApi, User  # noqa: E402

TOKEN = "123456:BENCH-memory"
ASKER = User(id=30001, first_name="居民")


def rss_mib(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


async def measure(db: Path) -> tuple[float, float]:
    async with LocalBotApi(token=TOKEN) as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RESIDENT_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=api.base_url,
            RESIDENT_BOT_DB=str(db),
            PYTHONPATH=str(ROOT),
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=db.parent,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await api.wait_for_call("deleteWebhook", timeout=120)
            chat = api.private_chat(ASKER)
            api.send_text(chat, ASKER, "加装电梯要业主出钱吗")
            await api.next_message(chat.id, timeout=30)
            rss, peak = rss_mib(proc.pid)
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), timeout=30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        return rss, peak


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=10_000)
    args = parser.parse_args()
    files = sorted((SHARED / "corpus").iterdir())
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "faq-only.db"
        full = Path(tmp) / "full.db"
        await build_db(full, files, args.passages)
        base_rss, base_peak = await measure(empty)
        rss, peak = await measure(full)
    print("running bot (resident-bot run), after answering one question:")
    print(f"  built-in FAQ only:        RSS {base_rss:6.0f} MiB  (peak {base_peak:.0f} MiB)")
    print(f"  {args.passages} passages + FAQ:  RSS {rss:6.0f} MiB  (peak {peak:.0f} MiB)")
    print(f"  the passages cost:        {rss - base_rss:6.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
