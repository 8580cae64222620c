"""What the staff Q&A flows share: the buttons under /kb and /unanswered, the user_data
keys and states of the one staff conversation, reading the text that continues a flow, and
telling the asker."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError

from handlers.context import BotContext

logger = logging.getLogger(__name__)

PREFIX = "kbs"
# /kb and /unanswered buttons: action → number of ids
ACTIONS = {"rm": 1, "rmok": 1, "cancel": 1, "faq": 1, "no": 1, "pick": 1, "use": 2}
PENDING_FAQ = "kb_pending_faq"  # user_data key: question id a staff member is answering
PENDING_PICK = "kb_pending_pick"  # user_data key: question id staff are finding a passage for
# The staff conversation's states: writing an FAQ answer, or searching for a passage.
WRITING_FAQ = 1
SEARCHING = 2


def pending_text(
    update: Update, context: BotContext, key: str
) -> tuple[Message, str, dict[str, Any]] | None:
    """(message, its text, user_data) when a staff member's text continues a flow waiting
    under `key`; None otherwise, and the wait is dropped if their rights were revoked."""
    message = update.effective_message
    data = context.user_data if context.user_data is not None else {}
    if message is None or message.text is None or key not in data:
        return None
    if not context.services.is_staff(message.from_user.id if message.from_user else None):
        data.pop(key, None)  # rights were revoked mid-flow
        return None
    return message, message.text, data


async def tell_asker(context: BotContext, chat_id: int, notice: str, qid: int) -> None:
    """The resident who asked question `qid` hears the answer; a blocked bot is logged."""
    try:
        await context.bot.send_message(chat_id, notice)
    except TelegramError as exc:
        logger.info("Could not tell the asker of question %s: %s", qid, exc)
