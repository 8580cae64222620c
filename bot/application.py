"""The composition root: build the Application, open and close its long-lived objects."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, Defaults, TypeHandler

from bot.config import Settings
from bot.persistence import SQLitePersistence
from bot.services import BotContext, DatabaseHandle, ResidentApplication, Services
from handlers import chats, errors, exports, knowledge, menu, staff

logger = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "开始 / 主菜单"),
    BotCommand("menu", "打开主菜单"),
    BotCommand("ask", "政策问答：/ask 加上您的问题"),
    BotCommand("help", "使用帮助"),
]


def build_application(
    settings: Settings,
    *,
    token: str | None = None,
    rate_limit: bool = True,
    persistence_interval: float = 2.0,
) -> ResidentApplication:
    """The real bot. `token` overrides the configured one (the console uses a local token)."""
    raw_token = token or (settings.token.get() if settings.token else None)
    if not raw_token:
        raise ValueError("a bot token is required to build the application")
    database = DatabaseHandle(settings.db_path)
    services = Services(settings=settings, database=database)
    builder = (
        ApplicationBuilder()
        .application_class(ResidentApplication, kwargs={"services": services})
        .token(raw_token)
        .base_url(settings.api_url)
        .base_file_url(settings.file_url)
        .context_types(ContextTypes(context=BotContext))
        .defaults(Defaults(tzinfo=settings.timezone))
        .persistence(SQLitePersistence(database.get, persistence_interval))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if rate_limit:
        # Stays within Telegram's flood limits (30 msg/s overall, 20/min per group) and
        # retries a 429 a few times instead of failing the handler.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    app = builder.build()
    assert isinstance(app, ResidentApplication)
    chats.register(app)
    menu.register(app)
    staff.register(app)
    knowledge.register(app)
    exports.register(app)
    menu.register_fallbacks(app)
    # Persist conversation states and user/chat data right after every update rather
    # than only on the timer, so a crash loses nothing a resident already typed.
    app.add_handler(TypeHandler(Update, _persist_now), group=99)
    app.add_error_handler(errors.on_error)
    return app


async def _persist_now(update: Update, context: BotContext) -> None:
    await context.application.update_persistence()


async def _post_init(app: Any) -> None:
    services: Services = app.services
    conn = await services.database.get()
    from knowledge.service import KnowledgeBase

    services.kb = await KnowledgeBase.open(conn)
    await app.bot.set_my_commands(COMMANDS)
    logger.info(
        "Bot @%s ready; %d knowledge passages", app.bot.username, services.kb.passage_count()
    )


async def _post_shutdown(app: Any) -> None:
    services: Services = app.services
    await services.database.close()
