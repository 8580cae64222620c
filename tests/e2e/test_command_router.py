"""The command router (bot/command_router.py) picks, for every command the bot knows, the
handler PTB's own one-by-one scan of the same handlers would have picked."""

from __future__ import annotations

import itertools
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler

from bot.application import features
from bot.command_router import CommandRouter, route_commands
from handlers.context import ResidentApplication

from .conftest import GROUP, RESIDENT

Handlers = list[BaseHandler[Any, Any, Any]]


def _chosen(handlers: Handlers, update: Update) -> str | None:
    """The callback of the first handler that accepts `update`, as PTB's scan finds it."""
    for handler in handlers:
        check = handler.check_update(update)
        if check is None or check is False:
            continue
        if isinstance(handler, ConversationHandler):
            return f"conversation {handler.name}"
        if isinstance(handler, CommandRouter):
            assert isinstance(check, tuple)
            handler = check[0]
        return f"{handler.callback.__module__}.{handler.callback.__qualname__}"
    return None


def _command(bot: ResidentApplication, text: str, chat: dict[str, Any], n: int) -> Update:
    length = len(text.split()[0])
    data = {
        "update_id": n,
        "message": {
            "message_id": n,
            "date": 1_700_000_000,
            "chat": chat,
            "from": RESIDENT.to_dict(),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": length}],
        },
    }
    return Update.de_json(data, bot.bot)


async def test_every_command_reaches_the_handler_a_linear_scan_would(
    bot: ResidentApplication,
) -> None:
    parts = features()
    conversations = [h for p in parts for h in p.conversations()]
    plain = [h for p in parts for h in p.handlers()]
    catch_alls = [h for p in parts for h in p.catch_alls()]
    linear: Handlers = [*conversations, *plain, *catch_alls]
    routed: Handlers = [*conversations, *route_commands(plain), *catch_alls]
    assert sum(isinstance(h, CommandRouter) for h in routed) == 1
    assert not any(type(h) is CommandHandler for h in routed)

    names = sorted({n for h in plain if isinstance(h, CommandHandler) for n in h.commands})
    assert {"help", "start", "me", "kb"} <= set(names)
    chats = [{"id": RESIDENT.id, "type": "private", "first_name": "张阿姨"}, GROUP.to_dict()]
    suffixes = ["", "@resident_test_bot", "@RESIDENT_TEST_BOT", "@some_other_bot"]
    # Deep-link payloads several /start handlers tell apart by their filters.
    payloads = [" tickets", " me", " leave", " bind 12", " complain", " renovate"]
    tails = ["", " 12", " 第一 第二", " " + "长" * 500, *payloads]
    checked = 0
    for n, (name, chat, suffix, tail) in enumerate(
        itertools.product([*names, "nosuchcommand"], chats, suffixes, tails)
    ):
        for spelled in (name, name.upper()):
            update = _command(bot, f"/{spelled}{suffix}{tail}", chat, n)
            assert _chosen(routed, update) == _chosen(linear, update), spelled + suffix + tail
            checked += 1
    assert checked > 1000


async def test_the_running_bot_registers_the_router(bot: ResidentApplication) -> None:
    group0 = bot.handlers[0]
    routers = [h for h in group0 if isinstance(h, CommandRouter)]
    assert len(routers) == 1
    assert {"help", "start", "me", "kb", "today"} <= set(routers[0].by_name)
    # /start has several handlers (deep links of households, tickets, the menu): all kept,
    # in registration order.
    assert len(routers[0].by_name["start"]) >= 2
