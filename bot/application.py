"""The composition root: build the Application, open and close its long-lived objects."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults, TypeHandler

from bot import delivery_worker, rate_limiter
from bot.command_router import route_commands
from bot.config import Settings
from bot.json_request import JsonHTTPXRequest
from bot.persistence import SQLitePersistence
from bot.rate_limiter import ChatRateLimiter
from bot.update_processor import ChatOrderedUpdateProcessor
from handlers import admin, consult, errors, households, menu, notices, qa, reminders, tickets
from handlers.context import BotContext, HandlerSettings, ResidentApplication, Services
from handlers.feature import Feature
from handlers.flows import one_flow_at_a_time
from knowledge.qa.questions import QuestionService
from knowledge.qa.service import KnowledgeBase
from knowledge.staff import StaffDirectory
from knowledge.throttle import UserThrottle
from knowledge.tickets.categories import load_catalog
from knowledge.tickets.service import TicketService
from storage.db import DatabaseHandle

logger = logging.getLogger(__name__)

BASE_COMMANDS = [
    BotCommand("start", "开始 / 主菜单"),
    BotCommand("menu", "打开主菜单"),
    BotCommand("help", "使用帮助"),
]


def features() -> list[Feature]:
    """Every capability, in order; the menu's catch-alls end up last of all."""
    return [
        admin.feature(),
        qa.feature(),
        households.feature(),
        tickets.feature(),
        notices.feature(),
        consult.feature(),
        reminders.feature(),
        menu.feature(),
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
    parts = features()
    services = Services(
        settings=HandlerSettings(
            community=settings.community,
            staff_chat_id=settings.staff_chat_id,
            timezone=settings.timezone,
            quiet_hours=settings.quiet_hours,
        ),
        database=database,
        staff=StaffDirectory(settings.admin_ids),
        throttle=UserThrottle(),
        menu=[entry for f in parts for entry in f.menu],
        help=[line for f in parts for line in f.help],
        staff_help=[line for f in parts for line in f.staff_help],
    )
    services.tickets = TicketService(
        database, load_catalog(settings.categories_file), tz=settings.timezone
    )
    builder = (
        ApplicationBuilder()
        .application_class(ResidentApplication, kwargs={"services": services})
        .token(raw_token)
        .base_url(settings.api_url)
        .base_file_url(settings.file_url)
        .context_types(ContextTypes(context=BotContext))
        .defaults(Defaults(tzinfo=settings.timezone))
        .persistence(SQLitePersistence(database.get, persistence_interval))
        .post_init(partial(_post_init, commands=_commands(parts), semantic=settings.semantic))
        .post_shutdown(_post_shutdown)
    )
    # --- concurrency and flood control (bot/update_processor.py, bot/rate_limiter.py) ---
    # Different chats concurrently, each chat's (and each user's) updates in order.
    builder = builder.concurrent_updates(ChatOrderedUpdateProcessor(max_concurrent_updates=256))
    # httpcore scans its whole pool for every request: 256 connections (PTB's default) cost
    # more CPU than they save in waiting. At most 8, and only as many in flight as the round
    # trip needs (bot/inflight.py); bodies are JSON, not URL-encoded forms
    # (bot/json_request.py). Requests wait up to 5 s for a free connection, not PTB's 1 s.
    builder = builder.request(JsonHTTPXRequest(connection_pool_size=8, pool_timeout=5.0))
    if rate_limit:
        # Telegram's flood limits (30 msg/s overall, 20/min per group, ~1/s per chat); a 429
        # pauses only the chat it was for, and is retried a few times.
        # The overall rate is RESIDENT_BOT_SEND_RATE (above 30 only with paid broadcasts).
        limits = replace(rate_limiter.TELEGRAM_LIMITS, overall=(settings.send_rate, 1.0))
        limiter = ChatRateLimiter(limits, max_retries=3)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    # --- end of concurrency and flood control ---
    app = builder.build()
    assert isinstance(app, ResidentApplication)
    register(app, parts)
    delivery_worker.install(app, settings)  # the outbox's one worker (notices, reminders)
    return app


def register(app: ResidentApplication, parts: Sequence[Feature]) -> None:
    """Observers first (group -1), then conversations, plain handlers, catch-alls: within
    group 0 the first matching handler wins."""
    for part in parts:
        app.add_handlers(list(part.observers()), group=-1)
    for stage in ("conversations", "handlers", "catch_alls"):
        staged = [h for part in parts for h in getattr(part, stage)()]
        if stage == "conversations":
            staged.insert(0, one_flow_at_a_time(staged))
        # Commands looked up by name, not tried one handler after another.
        app.add_handlers(route_commands(staged) if stage == "handlers" else staged)
    # Persist conversation states and user/chat data right after every update rather
    # than only on the timer, so a crash loses nothing a resident already typed.
    app.add_handler(TypeHandler(Update, _persist_now), group=99)
    app.add_error_handler(errors.on_error)
    for part in parts:
        part.jobs(app)


def _commands(parts: Sequence[Feature]) -> list[BotCommand]:
    return [*BASE_COMMANDS[:2], *(c for f in parts for c in f.commands), *BASE_COMMANDS[2:]]


async def _persist_now(update: Update, context: BotContext) -> None:
    """Write what this update changed, right after it: conversation states (through PTB's
    update_persistence, which writes every state changed since its last run) and the user's,
    chat's and bot's data (straight to the persistence, which skips unchanged values).

    Most updates (a /help, a question) change nothing; PTB's update_persistence would still
    deep-copy that data and start a task per value, and it only reaches this update's user
    and chat on its next run (PTB marks them after the last handler group). Its timer
    (`persistence_interval`) still runs it for whatever else there is.
    """
    app = context.application
    persistence = app.persistence
    if not isinstance(persistence, SQLitePersistence):
        await app.update_persistence()
        return
    if _conversations_changed(app):
        await app.update_persistence()
    user, chat = update.effective_user, update.effective_chat
    # Only data a handler touched exists in these mappings (PTB creates it on first use).
    if user is not None and user.id in app.user_data:
        await persistence.update_user_data(user.id, app.user_data[user.id])
    if chat is not None and chat.id in app.chat_data:
        await persistence.update_chat_data(chat.id, app.chat_data[chat.id])
    await persistence.update_bot_data(app.bot_data)


def _conversations_changed(app: Any) -> bool:
    """Whether a persistent conversation's state was written since PTB's last persistence
    run. PTB keeps the states in dicts that track their writes; where that is not so
    (another PTB version), assume it was."""
    conversations = getattr(app, "_conversation_handler_conversations", None)
    if not isinstance(conversations, dict):
        return True
    return any(getattr(states, "_write_access_keys", True) for states in conversations.values())


async def _post_init(app: Any, *, commands: Sequence[BotCommand], semantic: bool) -> None:
    services: Services = app.services
    conn = await services.database.get()
    await services.staff.load(conn)
    # The semantic stage unless switched off; "auto" also finds out whether its encoder
    # package is installed.
    services.kb = await KnowledgeBase.open(conn, semantic="auto" if semantic else None)
    services.qa = QuestionService(services.database, services.kb)
    await delivery_worker.start(app)
    await app.bot.set_my_commands(commands)
    logger.info(
        "Bot @%s ready; %d knowledge passages", app.bot.username, services.kb.passage_count()
    )


async def _post_shutdown(app: Any) -> None:
    services: Services = app.services
    await delivery_worker.stop(app)
    if services.kb is not None:
        await services.kb.close()  # kills and reaps a document-import worker process
    await services.database.close()
