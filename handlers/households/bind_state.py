"""The /bind conversation's shared pieces: its states, the choices kept in user_data, and
its buttons, used by binding.py (by code) and request_flow.py (by request, without a code).

What the flow has chosen so far lives in user_data (plain JSON), so a restart resumes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from handlers import callbacks
from handlers.context import BotContext
from handlers.households import texts as t
from knowledge.households.addressing import format_address
from knowledge.households.linking import ALL_ROLES, Role
from storage.households_repo import Household

PREFIX = "hh"
ACTIONS = {"role": 1, "agree": 0, "no": 0, "req": 0, "c": 1, "b": 1, "u": 1, "r": 1}
FLOW = "hh_bind"  # user_data key: the flow's choices so far
ROLE, CONSENT, COMMUNITY, BUILDING, UNIT, ROOM = range(1, 7)
MAX_BUTTONS = 90  # Telegram allows 100 buttons under one message
END = ConversationHandler.END


def choices(context: BotContext) -> dict[str, Any]:
    data = context.user_data if context.user_data is not None else {}
    flow = data.get(FLOW)
    if not isinstance(flow, dict):
        flow = {}
        data[FLOW] = flow
    return flow


def clear_choices(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(FLOW, None)


def address_of(h: Household) -> str:
    return format_address(h.building, h.unit, h.room)


def grid(buttons: list[InlineKeyboardButton], per_row: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    )


async def say(update: Update, context: BotContext, text: str, markup: Any = None) -> None:
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, text, reply_markup=markup)


def role_markup(roles: tuple[Role, ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.BTN_ROLES[role.value],
                    callback_data=callbacks.encode(PREFIX, "role", ALL_ROLES.index(role)),
                )
                for role in roles
            ]
        ]
    )


async def pressed_button(
    update: Update, actions: set[str], valid: Callable[[int], bool] | None = None
) -> callbacks.Callback | None:
    """The press, if it is one of this step's buttons; a forged or stale one is refused."""
    query = update.callback_query
    if query is None:
        return None
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    if (
        pressed is None
        or pressed.action not in actions
        or (valid is not None and not valid(pressed.id))
    ):
        await query.answer(t.STALE_BUTTON, show_alert=True)
        return None
    await query.answer()
    return pressed
