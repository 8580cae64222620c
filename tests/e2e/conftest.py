"""End-to-end fixtures: the real Application, over HTTP, against the local Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot import rate_limiter
from bot.application import build_application
from bot.config import Settings, load_settings
from bot.local_api import Chat, LocalBotApi, User
from bot.rate_limiter import FloodLimits
from bot.runtime import running
from handlers.consult import ballot
from handlers.context import ResidentApplication

TOKEN = "123456:TEST-e2e-token"
ADMIN = User(id=900, first_name="李主任", language_code="zh-hans")
STAFF = User(id=901, first_name="网格员小张", language_code="zh-hans")
RESIDENT = User(id=1001, first_name="张阿姨", language_code="zh-hans")
NEIGHBOUR = User(id=1002, first_name="老王", language_code="zh-hans")
GROUP = Chat(id=-1001234567890, type="supergroup", title="幸福里业主群")
STAFF_CHAT = Chat(id=-1009999999999, type="supergroup", title="社区工作群")


@pytest.fixture
def fast_consult_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    """The consultation job (post ballots, edit tallies, close at the deadline) every 0.5 s
    instead of every 3 s, so consultation tests do not wait for its tick."""
    monkeypatch.setattr(ballot, "SYNC_SECONDS", 0.5)


@pytest.fixture(autouse=True)
def fast_limits(monkeypatch: pytest.MonkeyPatch) -> FloodLimits:
    """Our send pacing at 1/30 of Telegram's periods (same counts), so a test that sends a
    few messages to one chat does not wait seconds; the pacing logic is the real one."""
    limits = FloodLimits(overall=(30, 1 / 30), group=(20, 2.0), chat=(3, 0.1))
    monkeypatch.setattr(rate_limiter, "TELEGRAM_LIMITS", limits)
    return limits


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(
        token=TOKEN, bot_username="resident_test_bot", bot_first_name="社区助手"
    ) as server:
        yield server


@pytest.fixture
def env(seeded_db: Path, api: LocalBotApi) -> dict[str, str]:
    """The environment the bot is configured from; tests may change it before `bot` starts.

    The database is this test's copy of one prepared per run (migrated, bundled FAQ
    seeded), which is what a fresh bot would have built for itself on first start.
    """
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.base_url,
        "RESIDENT_BOT_DB": str(seeded_db),
        "RESIDENT_BOT_STAFF": str(ADMIN.id),
        "RESIDENT_BOT_STAFF_CHAT": str(STAFF_CHAT.id),
        "RESIDENT_BOT_COMMUNITY": "幸福里社区",
    }


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings(env, dotenv=None)


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[ResidentApplication]:
    """The running bot; its database is `bot.services.db` (a real SQLite file)."""
    app = build_application(settings)
    async with running(app):
        yield app


@pytest.fixture
def db(bot: ResidentApplication) -> aiosqlite.Connection:
    return bot.services.db


@pytest.fixture
def restart(settings: Settings) -> Callable[[], Any]:
    """Build a fresh Application on the same database, as after a process restart."""

    def make() -> Any:
        return running(build_application(settings))

    return make


async def rows(db: aiosqlite.Connection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    async with db.execute(sql, params) as cur:
        return [tuple(r) async for r in cur]


def forge_press(
    api: LocalBotApi, chat: Chat, user: User, message: dict[str, Any], data: str
) -> str:
    """A modified client sends callback data no button offered; returns the query id."""
    return api.press_button(chat, user, message, data, forged=True)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The inline buttons of a sent message, flattened."""
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button_data(message: dict[str, Any], label_part: str) -> str:
    for b in buttons(message):
        if label_part in b["text"]:
            return str(b["callback_data"])
    raise AssertionError(
        f"no button with {label_part!r} in {[b['text'] for b in buttons(message)]}"
    )
