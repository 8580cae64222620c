"""One step-by-step flow at a time per person.

Each flow is a ConversationHandler in handler group 0, where the first match wins. A
resident choosing a room in /bind who sent /complain started the complaint flow beside it;
their next message, meant as the complaint, went to /bind ("没有找到…") because /bind comes
first. Now, inside a flow that reads typed messages, a command or button that would start
another flow gets a hint instead: finish this one, or /cancel it first.

Two parts: each such flow gets a last fallback that answers with the hint (it matches what
another flow's entry points would match), and one handler placed before all flows asks
the guarded flows first, so a flow registered earlier cannot start with its entry point
while a later one is open.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers import texts
from handlers.access import NEW_MESSAGES
from handlers.context import BotContext
from knowledge.qa.chat_acts import looks_like_a_step_reply


class _StartsAnotherFlow(BaseHandler[Update, BotContext, object]):
    """Matches what one of `entries` (other flows' entry points) would start with."""

    __slots__ = ("entries", "matched")

    def __init__(self, entries: Sequence[BaseHandler[Update, Any, Any]], label: str) -> None:
        self.entries = tuple(entries)
        # The update this fallback last matched: how _FlowsFirst learns that a flow's
        # check chose this fallback, without reading ConversationHandler's result tuple.
        self.matched: object = None

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
                self.matched = update
                return True
        return False


class _FlowsFirst(BaseHandler[Update, BotContext, object]):
    """Before every flow: a command or button press that an open flow answers with the
    hint goes to that flow, whatever other flow's entry point comes first in the group."""

    __slots__ = ("commands", "guarded", "presses")

    def __init__(
        self,
        guarded: Sequence[tuple[ConversationHandler[Any], _StartsAnotherFlow]],
        starters: Sequence[BaseHandler[Update, Any, Any]],
    ) -> None:
        self.guarded = tuple(guarded)
        # What any flow starts with, to pass over every other update cheaply (a /help
        # must not pay for asking each flow).
        self.commands = frozenset(
            c for h in starters if isinstance(h, CommandHandler) for c in h.commands
        )
        self.presses = tuple(h for h in starters if isinstance(h, CallbackQueryHandler))
        super().__init__(_unused)

    def _may_start_a_flow(self, update: Update) -> bool:
        if update.callback_query is not None:
            return any(h.check_update(update) for h in self.presses)
        message = update.effective_message
        text = message.text if message is not None else None
        if not text or not text.startswith("/"):
            return False
        words = text[1:].split(maxsplit=1)  # "/", "/ " and such have none
        return bool(words) and words[0].partition("@")[0].lower() in self.commands

    def check_update(self, update: object) -> tuple[ConversationHandler[Any], object] | None:
        if not isinstance(update, Update) or not self._may_start_a_flow(update):
            return None
        for flow, busy in self.guarded:
            found = flow.check_update(update)
            if found is not None and busy.matched is update:
                return flow, found
        return None

    async def handle_update(  # type: ignore[override]
        self,
        update: Update,
        application: Any,
        check_result: tuple[ConversationHandler[Any], object],
        context: BotContext,
    ) -> object:
        flow, found = check_result
        return await flow.handle_update(update, application, found, context)  # type: ignore[arg-type]


async def _unused(update: Update, context: BotContext) -> None:
    """_FlowsFirst hands the update to the flow; it has no callback of its own."""


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


def one_flow_at_a_time(
    handlers: Sequence[BaseHandler[Update, Any, Any]],
) -> BaseHandler[Update, BotContext, object]:
    """Give every flow that reads typed input a last fallback: what would start one of the
    other flows gets FLOW_BUSY and leaves this flow's state as it was. (PTB lets a
    ConversationHandler's fallbacks list be extended; it cannot be replaced.) Returns the
    handler to place before all the flows."""
    flows = [h for h in handlers if isinstance(h, ConversationHandler)]
    guarded = []
    for flow in flows:
        if not _reads_messages(flow):
            continue
        others = [entry for other in flows if other is not flow for entry in _starters(other)]
        label = texts.FLOW_LABELS.get(flow.name or "", texts.FLOW_DEFAULT_LABEL)
        busy = _StartsAnotherFlow(others, label)
        flow.fallbacks.append(busy)
        guarded.append((flow, busy))
    return _FlowsFirst(guarded, [entry for flow in flows for entry in _starters(flow)])


async def _press_a_button(update: Update, context: BotContext) -> object:
    """Answer the text; the flow stays in its step (None keeps the state)."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.PRESS_A_BUTTON)
    return None


class _StepReply(filters.MessageFilter):
    """Short text that asks nothing (knowledge/qa/chat_acts.py: looks_like_a_step_reply)."""

    def filter(self, message: Message) -> bool:
        return looks_like_a_step_reply(message.text or "")


def press_a_button(*, residents: bool = False) -> MessageHandler[Any, object]:
    """For a step that only takes a button press: typed text gets a hint, instead of
    falling through to the Q&A as a question (and into staff's queue as unanswered).

    In a residents' flow only short text that asks nothing gets it (选好了, 同意): a
    question still falls through and is answered, so a flow left open for weeks never
    keeps a resident's questions from being answered."""
    typed = NEW_MESSAGES & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    if residents:
        typed = typed & _StepReply()
    return MessageHandler(typed, _press_a_button)
