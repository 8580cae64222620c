"""Complaints (投诉/报事) and renovation needs (改造需求): resident flows in private, the
staff card and commands, notifications, and the morning 督办."""

from __future__ import annotations

from telegram import BotCommand

from handlers.context import MenuEntry
from handlers.feature import Feature
from handlers.tickets import (
    complaint,
    export,
    jobs,
    renovate,
    resident,
    staff_actions,
    staff_commands,
    texts,
)


def feature() -> Feature:
    return Feature(
        name="tickets",
        conversations=lambda: [
            complaint.conversation(),
            renovate.conversation(),
            staff_actions.conversation(),
            resident.conversation(),
        ],
        handlers=lambda: [
            *complaint.group_handlers(),
            *renovate.group_handlers(),
            *resident.handlers(),
            *staff_commands.handlers(),
            *export.handlers(),
        ],
        menu=(
            MenuEntry("complain", "我要投诉", private_only=True),
            MenuEntry("renovate", "改造需求", private_only=True),
            MenuEntry("tickets", "我的工单", private_only=True),
        ),
        commands=(
            BotCommand("complain", "投诉 / 报事"),
            BotCommand("renovate", "填写改造需求"),
            BotCommand("my", "我的工单"),
        ),
        help=texts.RESIDENT_HELP_LINES,
        staff_help=texts.HELP_LINES,
        jobs=jobs.schedule,
    )
