"""Notices: staff broadcasts to groups and subscribers, and their delivery reports."""

from __future__ import annotations

from telegram import BotCommand

from handlers.feature import Feature
from handlers.notices import broadcast, texts


def feature() -> Feature:
    return Feature(
        name="notices",
        conversations=lambda: [broadcast.conversation()],
        handlers=broadcast.handlers,
        commands=(
            BotCommand("broadcast", "工作人员：发布通知"),
            BotCommand("notices", "工作人员：通知送达报告"),
        ),
        staff_help=texts.HELP_LINES,
    )
