"""Long-lived objects the handlers use, built once and opened in `post_init`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiosqlite
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.config import Settings
from storage import staff_repo
from storage.db import open_database

if TYPE_CHECKING:
    from knowledge.service import KnowledgeBase


class DatabaseHandle:
    """The application's one aiosqlite connection.

    It opens on first use: python-telegram-bot loads persistence in `initialize()`, which
    runs just before `post_init`, so whichever asks first opens it; `post_shutdown`
    closes it.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> aiosqlite.Connection:
        async with self._lock:
            if self._conn is None:
                self._conn = await open_database(self.path)
            return self._conn

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database used before post_init opened it")
        return self._conn

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None


@dataclass
class Services:
    settings: Settings
    database: DatabaseHandle
    kb: KnowledgeBase | None = None
    # Chats already recorded in this process: spares a write per incoming message.
    seen_chats: set[int] = field(default_factory=set)

    @property
    def db(self) -> aiosqlite.Connection:
        return self.database.conn

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids

    async def is_staff(self, user_id: int | None) -> bool:
        """Administrators from the configuration, plus staff added in chat."""
        if user_id is None:
            return False
        if user_id in self.settings.admin_ids:
            return True
        return await staff_repo.is_staff(self.db, user_id)

    def knowledge(self) -> KnowledgeBase:
        if self.kb is None:
            raise RuntimeError("knowledge base used before post_init opened it")
        return self.kb


class ResidentApplication(Application[Any, Any, Any, Any, Any, Any]):
    """The Application carrying our services, so every callback can reach them."""

    def __init__(self, *, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Handler context with typed access to the services."""

    @property
    def services(self) -> Services:
        app = self.application
        assert isinstance(app, ResidentApplication)
        return app.services


BotApp = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[BotContext]
]
