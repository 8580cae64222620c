"""Residents link their account to a household: by code (/bind, deep link) or by request.

One persistent ConversationHandler in the private chat, keyed by chat and user; what the
flow has chosen so far lives in user_data (plain JSON), so a restart resumes it.
Code → role → consent → linked. Request → community → building → unit → room (those steps in
request_flow.py) → role → consent → pending, and staff decide with buttons in the staff chat
(staff.py). States, choices and buttons shared by both paths are in bind_state.py.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import callbacks
from handlers.access import NEW_MESSAGES, go_private, is_private
from handlers.context import BotContext
from handlers.flows import press_a_button
from handlers.households import me
from handlers.households import texts as t
from handlers.households.bind_state import (
    BUILDING,
    COMMUNITY,
    CONSENT,
    END,
    PREFIX,
    ROLE,
    ROOM,
    UNIT,
    address_of,
    choices,
    clear_choices,
    pressed_button,
    role_markup,
    say,
)
from handlers.households.request_flow import (
    pick_building,
    pick_community,
    pick_room,
    pick_unit,
    start_request,
    type_building,
    type_room,
    type_unit,
)
from handlers.households.staff import notify_staff_of_request
from knowledge.households import linking
from knowledge.households.linking import ALL_ROLES, RedeemResult, RequestResult, Role
from storage import households_repo

logger = logging.getLogger(__name__)

_RESULT_TEXT = {
    RedeemResult.WRONG: t.CODE_WRONG,
    RedeemResult.USED: t.CODE_USED,
    RedeemResult.EXPIRED: t.CODE_EXPIRED,
    RedeemResult.REVOKED: t.CODE_REVOKED,
    RedeemResult.ROLE_NOT_ALLOWED: t.ROLE_NOT_ALLOWED,
}


# --- entry points ---------------------------------------------------------------------


async def bind_command(update: Update, context: BotContext) -> int | None:
    """/bind [CODE]: with a code, check it; without, explain and offer the request flow."""
    if not is_private(update):
        await go_private(update, context, "bind", t.GO_PRIVATE)
        return None
    clear_choices(context)
    args = context.args or []
    if args:
        return await _start_with_code(update, context, "".join(args))
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.BTN_REQUEST, callback_data=callbacks.encode(PREFIX, "req"))]]
    )
    await say(update, context, t.BIND_START, markup)
    return None


async def start_bind(update: Update, context: BotContext) -> int | None:
    """/start bind-<code> (a printed slip or an owner's invite), or /start bind."""
    payload = context.args[0] if context.args else ""
    clear_choices(context)
    code = payload[len(linking.DEEP_LINK_PREFIX) :] if payload.startswith("bind-") else ""
    if code:
        return await _start_with_code(update, context, code)
    context.args = []
    return await bind_command(update, context)


async def _start_with_code(update: Update, context: BotContext, code: str) -> int | None:
    user = update.effective_user
    if user is None:
        return None
    db = context.services.db
    checked = await linking.check_code(db, user.id, code)
    if checked.result is RedeemResult.THROTTLED:
        assert checked.retry_after is not None
        when = checked.retry_after.astimezone(context.services.settings.timezone)
        await say(update, context, t.CODE_THROTTLED.format(time=when.strftime("%H:%M")))
        return END
    if checked.household is None or checked.code_id is None:
        await say(update, context, _RESULT_TEXT.get(checked.result, t.CODE_WRONG))
        return END
    if checked.result is RedeemResult.ALREADY_LINKED:
        await say(update, context, t.CODE_ALREADY.format(address=address_of(checked.household)))
        return END
    flow = choices(context)
    flow.update(
        mode="code",
        code_id=checked.code_id,
        household_id=checked.household.id,
        roles=[r.value for r in checked.roles],
    )
    text = t.CODE_OK.format(address=checked.household.community + address_of(checked.household))
    await say(update, context, text, role_markup(checked.roles))
    return ROLE


# --- role and consent -------------------------------------------------------------------


async def choose_role(update: Update, context: BotContext) -> int | None:
    flow = choices(context)

    def offered(index: int) -> bool:
        return index < len(ALL_ROLES) and ALL_ROLES[index].value in flow.get("roles", [])

    pressed = await pressed_button(update, {"role"}, offered)
    if pressed is None or "household_id" not in flow:
        return None
    household = await households_repo.get_household(context.services.db, flow["household_id"])
    if household is None:
        await say(update, context, t.CODE_REVOKED)
        clear_choices(context)
        return END
    role = ALL_ROLES[pressed.id]
    flow["role"] = role.value
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.BTN_AGREE, callback_data=callbacks.encode(PREFIX, "agree")),
                InlineKeyboardButton(t.BTN_DISAGREE, callback_data=callbacks.encode(PREFIX, "no")),
            ]
        ]
    )
    text = t.CONSENT.format(
        address=household.community + address_of(household), role=t.ROLE_LABELS[role.value]
    )
    await say(update, context, text, markup)
    return CONSENT


async def consent(update: Update, context: BotContext) -> int | None:
    pressed = await pressed_button(update, {"agree", "no"})
    if pressed is None:
        return None
    flow = dict(choices(context))
    clear_choices(context)
    if pressed.action == "no" or "role" not in flow or "household_id" not in flow:
        await say(update, context, t.NOT_SAVED)
        return END
    user = update.effective_user
    assert user is not None
    db = context.services.db
    role = Role(flow["role"])
    household = await households_repo.get_household(db, flow["household_id"])
    if household is None:
        await say(update, context, t.CODE_REVOKED)
        return END
    address = household.community + address_of(household)
    role_text = t.ROLE_LABELS[role.value]
    if flow.get("mode") == "code":
        result = await linking.claim_code(db, user.id, int(flow["code_id"]), role)
        if result is RedeemResult.OK:
            await say(update, context, t.BOUND.format(address=address, role=role_text))
        else:
            await say(update, context, _RESULT_TEXT.get(result, t.CODE_WRONG))
        return END
    outcome, link_id = await linking.request_link(db, user.id, household.id, role)
    if outcome is RequestResult.ALREADY_LINKED:
        await say(update, context, t.REQUEST_ALREADY_LINKED.format(address=address))
    elif outcome is RequestResult.ALREADY_PENDING:
        await say(update, context, t.REQUEST_ALREADY_PENDING.format(address=address))
    elif outcome is RequestResult.TOO_MANY:
        await say(update, context, t.REQUEST_TOO_MANY.format(count=linking.MAX_PENDING_REQUESTS))
    else:
        assert link_id is not None
        sent = await notify_staff_of_request(context, link_id, household, user, role)
        text = t.REQUEST_SENT if sent else t.REQUEST_NO_STAFF_CHAT
        await say(update, context, text.format(address=address, role=role_text))
    return END


# --- leaving the flow -------------------------------------------------------------------


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel inside the flow: nothing was saved."""
    clear_choices(context)
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.CANCELLED)
    return END


async def leave_in_flow(update: Update, context: BotContext) -> int:
    """/leave during the flow ends it first, then asks to confirm as /leave always does."""
    clear_choices(context)
    await me.leave_command(update, context)
    return END


def conversation() -> ConversationHandler:  # type: ignore[type-arg]
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND

    def button(action: str, callback: Any) -> CallbackQueryHandler:  # type: ignore[type-arg]
        return CallbackQueryHandler(callback, pattern=f"^{PREFIX}:{action}(:|$)")

    hint = press_a_button(residents=True)
    with warnings.catch_warnings():
        # per_message=False: one flow per resident, whichever message's button is pressed.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("bind", bind_command, filters=NEW_MESSAGES),
                CommandHandler(
                    "start", start_bind, filters=private & filters.Regex(r"^/start\s+bind")
                ),
                button("req", start_request),
            ],
            states={
                ROLE: [button("role", choose_role), hint],
                CONSENT: [button("agree", consent), button("no", consent), hint],
                COMMUNITY: [button("c", pick_community), hint],
                BUILDING: [button("b", pick_building), MessageHandler(text, type_building)],
                UNIT: [button("u", pick_unit), MessageHandler(text, type_unit)],
                ROOM: [button("r", pick_room), MessageHandler(text, type_room)],
            },
            fallbacks=[
                CommandHandler("cancel", cancel, filters=private),
                CommandHandler("leave", leave_in_flow, filters=private),
            ],
            name="households_bind",
            persistent=True,
            allow_reentry=True,
        )
