"""Households: linking accounts to homes, residents' own data, staff roster views."""

from __future__ import annotations

from telegram import BotCommand

from handlers.context import MenuEntry
from handlers.feature import Feature
from handlers.households import binding, me, staff, texts


def feature() -> Feature:
    return Feature(
        name="households",
        # The roster upload goes with the conversations: ahead of the Q&A's document import.
        conversations=lambda: [binding.conversation(), *staff.roster_handlers()],
        handlers=lambda: [*me.handlers(), *staff.handlers()],
        menu=(MenuEntry("me", "我的房屋", private_only=True, open=me.open_me),),
        commands=(
            BotCommand("bind", "绑定我家房屋：/bind 绑定码"),
            BotCommand("me", "我的房屋和个人信息"),
            BotCommand("leave", "解除绑定并删除我的信息"),
        ),
        help=texts.RESIDENT_HELP_LINES,
        staff_help=texts.HELP_LINES,
    )
