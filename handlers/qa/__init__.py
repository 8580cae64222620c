"""Policy Q&A: residents ask, the knowledge base answers or hands over to staff."""

from __future__ import annotations

from telegram import BotCommand

from handlers.context import MenuEntry
from handlers.feature import Feature
from handlers.qa import export, resident, staff, texts


def feature() -> Feature:
    return Feature(
        name="qa",
        conversations=lambda: [staff.faq_conversation()],
        handlers=lambda: [*resident.handlers(), *staff.handlers(), *export.handlers()],
        catch_alls=resident.catch_alls,
        menu=(MenuEntry("ask", "政策问答", open=resident.open_ask),),
        commands=(BotCommand("ask", "政策问答：/ask 加上您的问题"),),
        staff_help=(*texts.HELP_LINES, texts.HELP_LINE),
    )
