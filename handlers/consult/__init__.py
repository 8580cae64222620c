"""Consultations: ballots with buttons, receipts, tallies, results, records and quick polls."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand
from telegram.ext import BaseHandler, CallbackQueryHandler

from handlers import callbacks
from handlers.consult import ballot, create, polls, staff, texts
from handlers.feature import Feature


def _handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(ballot.vote_button, pattern=callbacks.pattern(ballot.PREFIX)),
        *staff.handlers(),
        create.stray_handler(),
        create.subcommand_handler(),
        *polls.handlers(),
    ]


def feature() -> Feature:
    return Feature(
        name="consult",
        conversations=lambda: [create.conversation()],
        handlers=_handlers,
        commands=(
            BotCommand("consult", "工作人员：业主意见征询"),
            BotCommand("consultnotify", "开启/关闭征询私信通知"),
        ),
        help=texts.RESIDENT_HELP_LINES,
        staff_help=texts.HELP_LINES,
        jobs=ballot.jobs,
    )
