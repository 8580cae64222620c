"""What a capability hands the composition root, so nothing registers itself via globals.

The root adds every feature's handlers in a fixed order — observers (group -1), then
conversations, then plain handlers, then catch-alls — because within a group the first
matching handler wins: a conversation's entry point or text state must come before the
menu's generic buttons and before the Q&A's "any private text is a question".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import BotCommand
from telegram.ext import BaseHandler

from handlers.context import BotApp, MenuEntry

Handlers = Callable[[], Sequence[BaseHandler[Any, Any, Any]]]
Jobs = Callable[[BotApp], None]


def _none() -> Sequence[BaseHandler[Any, Any, Any]]:
    return ()


def _no_jobs(app: BotApp) -> None:
    return None


@dataclass(frozen=True)
class Feature:
    name: str
    observers: Handlers = _none
    conversations: Handlers = _none
    handlers: Handlers = _none
    catch_alls: Handlers = _none
    menu: Sequence[MenuEntry] = ()
    commands: Sequence[BotCommand] = ()
    help: Sequence[str] = ()  # lines of /help for everyone, each starting "\n• "
    staff_help: Sequence[str] = field(default=())
    # Scheduled work (JobQueue: APScheduler underneath), set up once the app is built.
    jobs: Jobs = _no_jobs
