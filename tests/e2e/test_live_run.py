"""`resident-bot run` as a real process against the local Bot API server: answer, then stop."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from bot.local_api import LocalBotApi
from tests.e2e.conftest import RESIDENT, TOKEN
from tests.subprocess_env import bot_env

ROOT = Path(__file__).resolve().parents[2]


async def _start_bot(api: LocalBotApi, tmp_path: Path) -> asyncio.subprocess.Process:
    env = bot_env(tmp_path / "live.db", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.base_url)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_run_answers_start_and_stops_cleanly(
    api: LocalBotApi, tmp_path: Path, sig: signal.Signals
) -> None:
    proc = await _start_bot(api, tmp_path)
    try:
        # Ready once polling starts (it clears any webhook first).
        await api.wait_for_call("deleteWebhook", timeout=30)
        chat = api.private_chat(RESIDENT)
        loop = asyncio.get_running_loop()
        sent_at = loop.time()
        api.send_text(chat, RESIDENT, "/start")
        reply = await api.next_message(chat.id, timeout=5)
        elapsed = loop.time() - sent_at
        assert "社区助手" in reply["text"]
        assert elapsed < 1.0, f"answered /start after {elapsed:.2f}s"
        proc.send_signal(sig)
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = stderr.decode()
    assert proc.returncode == 0, log
    assert "Traceback" not in log
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
