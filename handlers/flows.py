"""One step-by-step flow at a time per person.

Each flow is a ConversationHandler in handler group 0, where the first match wins. A
resident choosing a room in /bind who sent /complain started the complaint flow beside it;
their next message, meant as the complaint, went to /bind ("没有找到…") because /bind comes
first. Now, inside a flow that reads typed messages, a command or button that would start
another flow gets a hint instead: finish this one, or /cancel it first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

from handlers import texts
from handlers.context import BotContext


class _StartsAnotherFlow(BaseHandler[Update, BotContext, object]):
    """Matches what one of `entries` (other flows' entry points) would start with."""

    __slots__ = ("entries",)

    def __init__(self, entries: Sequence[BaseHandler[Update, Any, Any]], label: str) -> None:
        self.entries = tuple(entries)

        async def busy(update: Update, context: BotContext) -> None:
            text = texts.FLOW_BUSY.format(flow=label)
            query = update.callback_query
            if query is not None:
                await query.answer(text, show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(text)

        super().__init__(busy)

    def check_update(self, update: object) -> bool:
        if not isinstance(update, Update):
            return False
        for entry in self.entries:
            found = entry.check_update(update)
            if found is not None and found is not False:
                return True
        return False


def _reads_messages(conversation: ConversationHandler[Any]) -> bool:
    """A flow waiting for typed input (a panel of buttons only holds nobody up)."""
    return any(
        not isinstance(h, CallbackQueryHandler) for hs in conversation.states.values() for h in hs
    )


def _starters(conversation: ConversationHandler[Any]) -> list[BaseHandler[Update, Any, Any]]:
    """A flow's entry points that are commands or buttons (typed menu labels excluded:
    inside a flow a typed text is that flow's input)."""
    return [
        h
        for h in conversation.entry_points
        if isinstance(h, CommandHandler | CallbackQueryHandler)
    ]


def one_flow_at_a_time(handlers: Sequence[BaseHandler[Update, Any, Any]]) -> None:
    """Give every flow that reads typed input a last fallback: what would start one of the
    other flows gets FLOW_BUSY and leaves this flow's state as it was. (PTB lets a
    ConversationHandler's fallbacks list be extended; it cannot be replaced.)"""
    flows = [h for h in handlers if isinstance(h, ConversationHandler)]
    for flow in flows:
        if not _reads_messages(flow):
            continue
        others = [entry for other in flows if other is not flow for entry in _starters(other)]
        label = texts.FLOW_LABELS.get(flow.name or "", texts.FLOW_DEFAULT_LABEL)
        flow.fallbacks.append(_StartsAnotherFlow(others, label))
