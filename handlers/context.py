"""The typed handler context and the long-lived services it carries.

The composition root (`bot/`) builds `Services` once and hands it to the Application;
handlers reach it as `context.services`. Nothing here imports `bot/`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import aiosqlite
from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from knowledge.staff import StaffDirectory
from knowledge.throttle import UserThrottle
from storage.db import DatabaseHandle

if TYPE_CHECKING:
    from knowledge.notices.service import NoticeService
    from knowledge.qa.questions import QuestionService
    from knowledge.qa.service import KnowledgeBase
    from knowledge.tickets.service import TicketService


@dataclass(frozen=True)
class HandlerSettings:
    """What handlers need of the configuration (the root derives it from its Settings)."""

    community: str
    staff_chat_id: int | None
    timezone: ZoneInfo
    quiet_hours: str = "22:00-07:00"  # RESIDENT_BOT_QUIET_HOURS; "" for none

    @property
    def tz_name(self) -> str:
        return self.timezone.key


MenuAction = Callable[[Update, "BotContext"], Awaitable[None]]


@dataclass(frozen=True)
class MenuEntry:
    """One main-menu button a capability offers; `open` runs when it is chosen.

    An entry whose flow is a ConversationHandler has no `open`: the conversation's own
    entry point (pattern `^menu:<key>$`) is registered ahead of the menu and answers it.
    """

    key: str
    label: str
    private_only: bool = False
    open: MenuAction | None = None


@dataclass
class Services:
    settings: HandlerSettings
    database: DatabaseHandle
    staff: StaffDirectory
    throttle: UserThrottle
    menu: Sequence[MenuEntry] = ()
    help: Sequence[str] = ()
    staff_help: Sequence[str] = ()
    kb: KnowledgeBase | None = None
    qa: QuestionService | None = None
    notices: NoticeService | None = None
    tickets: TicketService | None = None
    # Chats already recorded in this process: spares a write per incoming message.
    seen_chats: set[int] = field(default_factory=set)
    # Staff display names already stored in this process: spares a write per update.
    staff_names: dict[int, str] = field(default_factory=dict)

    @property
    def db(self) -> aiosqlite.Connection:
        return self.database.conn

    def is_admin(self, user_id: int | None) -> bool:
        return self.staff.is_admin(user_id)

    def is_staff(self, user_id: int | None) -> bool:
        """Administrators from the configuration, plus staff added in chat (in memory)."""
        return self.staff.is_staff(user_id)

    def knowledge(self) -> KnowledgeBase:
        if self.kb is None:
            raise RuntimeError("knowledge base used before post_init opened it")
        return self.kb

    def questions(self) -> QuestionService:
        if self.qa is None:
            raise RuntimeError("question service used before post_init opened it")
        return self.qa

    def menu_entry(self, key: str) -> MenuEntry | None:
        return next((e for e in self.menu if e.key == key), None)


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
