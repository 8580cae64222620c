"""Residents link their account to a household: by code (/bind, deep link) or by request.

One persistent ConversationHandler in the private chat, keyed by chat and user; what the
flow has chosen so far lives in user_data (plain JSON), so a restart resumes it.
Code → role → consent → linked. Request → community → building → unit → room → role →
consent → pending, and staff decide with buttons in the staff chat (staff.py).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
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
from handlers.access import NEW_MESSAGES, is_private
from handlers.context import BotContext
from handlers.households import me, privacy
from handlers.households import texts as t
from handlers.households.staff import notify_staff_of_request
from knowledge.households import linking
from knowledge.households.addressing import (
    canonical_building,
    canonical_room,
    canonical_unit,
    format_address,
)
from knowledge.households.linking import ALL_ROLES, RedeemResult, RequestResult, Role
from storage import households_repo
from storage.households_repo import Household

logger = logging.getLogger(__name__)

PREFIX = "hh"
ACTIONS = {"role": 1, "agree": 0, "no": 0, "req": 0, "c": 1, "b": 1, "u": 1, "r": 1}
FLOW = "hh_bind"  # user_data key: the flow's choices so far
ROLE, CONSENT, COMMUNITY, BUILDING, UNIT, ROOM = range(1, 7)
MAX_BUTTONS = 90  # Telegram allows 100 buttons under one message
END = ConversationHandler.END

_RESULT_TEXT = {
    RedeemResult.WRONG: t.CODE_WRONG,
    RedeemResult.USED: t.CODE_USED,
    RedeemResult.EXPIRED: t.CODE_EXPIRED,
    RedeemResult.REVOKED: t.CODE_REVOKED,
    RedeemResult.ROLE_NOT_ALLOWED: t.ROLE_NOT_ALLOWED,
}


def _data(action: str, *ids: int) -> str:
    return callbacks.encode(PREFIX, action, *ids)


def _flow(context: BotContext) -> dict[str, Any]:
    data = context.user_data if context.user_data is not None else {}
    flow = data.get(FLOW)
    if not isinstance(flow, dict):
        flow = {}
        data[FLOW] = flow
    return flow


def _clear(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(FLOW, None)


def address_of(h: Household) -> str:
    return format_address(h.building, h.unit, h.room)


def _grid(buttons: list[InlineKeyboardButton], per_row: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    )


async def _say(update: Update, context: BotContext, text: str, markup: Any = None) -> None:
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, text, reply_markup=markup)


# --- entry points ---------------------------------------------------------------------


async def bind_command(update: Update, context: BotContext) -> int | None:
    """/bind [CODE]: with a code, check it; without, explain and offer the request flow."""
    if not is_private(update):
        await privacy.go_private(update, context, "bind")
        return None
    _clear(context)
    args = context.args or []
    if args:
        return await _start_with_code(update, context, "".join(args))
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.BTN_REQUEST, callback_data=callbacks.encode(PREFIX, "req"))]]
    )
    await _say(update, context, t.BIND_START, markup)
    return None


async def start_bind(update: Update, context: BotContext) -> int | None:
    """/start bind-<code> (a printed slip or an owner's invite), or /start bind."""
    payload = context.args[0] if context.args else ""
    _clear(context)
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
        await _say(update, context, t.CODE_THROTTLED.format(time=when.strftime("%H:%M")))
        return END
    if checked.household is None or checked.code_id is None:
        await _say(update, context, _RESULT_TEXT.get(checked.result, t.CODE_WRONG))
        return END
    if checked.result is RedeemResult.ALREADY_LINKED:
        await _say(update, context, t.CODE_ALREADY.format(address=address_of(checked.household)))
        return END
    flow = _flow(context)
    flow.update(
        mode="code",
        code_id=checked.code_id,
        household_id=checked.household.id,
        roles=[r.value for r in checked.roles],
    )
    text = t.CODE_OK.format(address=checked.household.community + address_of(checked.household))
    await _say(update, context, text, _role_markup(checked.roles))
    return ROLE


def _role_markup(roles: tuple[Role, ...]) -> InlineKeyboardMarkup:
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


async def _pressed(
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


# --- role and consent -------------------------------------------------------------------


async def choose_role(update: Update, context: BotContext) -> int | None:
    flow = _flow(context)

    def offered(index: int) -> bool:
        return index < len(ALL_ROLES) and ALL_ROLES[index].value in flow.get("roles", [])

    pressed = await _pressed(update, {"role"}, offered)
    if pressed is None or "household_id" not in flow:
        return None
    household = await households_repo.get_household(context.services.db, flow["household_id"])
    if household is None:
        await _say(update, context, t.CODE_REVOKED)
        _clear(context)
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
    await _say(update, context, text, markup)
    return CONSENT


async def consent(update: Update, context: BotContext) -> int | None:
    pressed = await _pressed(update, {"agree", "no"})
    if pressed is None:
        return None
    flow = dict(_flow(context))
    _clear(context)
    if pressed.action == "no" or "role" not in flow or "household_id" not in flow:
        await _say(update, context, t.NOT_SAVED)
        return END
    user = update.effective_user
    assert user is not None
    db = context.services.db
    role = Role(flow["role"])
    household = await households_repo.get_household(db, flow["household_id"])
    if household is None:
        await _say(update, context, t.CODE_REVOKED)
        return END
    address = household.community + address_of(household)
    role_text = t.ROLE_LABELS[role.value]
    if flow.get("mode") == "code":
        result = await linking.claim_code(db, user.id, int(flow["code_id"]), role)
        if result is RedeemResult.OK:
            await _say(update, context, t.BOUND.format(address=address, role=role_text))
        else:
            await _say(update, context, _RESULT_TEXT.get(result, t.CODE_WRONG))
        return END
    outcome, link_id = await linking.request_link(db, user.id, household.id, role)
    if outcome is RequestResult.ALREADY_LINKED:
        await _say(update, context, t.REQUEST_ALREADY_LINKED.format(address=address))
    elif outcome is RequestResult.ALREADY_PENDING:
        await _say(update, context, t.REQUEST_ALREADY_PENDING.format(address=address))
    elif outcome is RequestResult.TOO_MANY:
        await _say(update, context, t.REQUEST_TOO_MANY.format(count=linking.MAX_PENDING_REQUESTS))
    else:
        assert link_id is not None
        sent = await notify_staff_of_request(context, link_id, household, user, role)
        text = t.REQUEST_SENT if sent else t.REQUEST_NO_STAFF_CHAT
        await _say(update, context, text.format(address=address, role=role_text))
    return END


# --- request without a code: community → building → unit → room ------------------------


async def start_request(update: Update, context: BotContext) -> int | None:
    """The 没有绑定码 button under /bind."""
    if await _pressed(update, {"req"}) is None:
        return None
    _clear(context)
    communities = await households_repo.list_communities(context.services.db)
    if not communities:
        await _say(update, context, t.NO_REGISTER)
        return END
    flow = _flow(context)
    flow.update(mode="request", communities=communities)
    if len(communities) == 1:
        return await _community_chosen(update, context, communities[0])
    buttons = [
        InlineKeyboardButton(name, callback_data=callbacks.encode(PREFIX, "c", i))
        for i, name in enumerate(communities[:MAX_BUTTONS])
    ]
    await _say(update, context, t.PICK_COMMUNITY, _grid(buttons, 2))
    return COMMUNITY


async def pick_community(update: Update, context: BotContext) -> int | None:
    names = _flow(context).get("communities", [])
    pressed = await _pressed(update, {"c"}, lambda i: i < len(names))
    if pressed is None:
        return None
    return await _community_chosen(update, context, names[pressed.id])


async def _community_chosen(update: Update, context: BotContext, community: str) -> int:
    flow = _flow(context)
    buildings = await households_repo.list_buildings(context.services.db, community)
    flow.update(community=community, buildings=buildings)
    if len(buildings) == 1:
        return await _building_chosen(update, context, buildings[0])
    buttons = [
        InlineKeyboardButton(
            format_address(b, "", "")[:-1], callback_data=callbacks.encode(PREFIX, "b", i)
        )
        for i, b in enumerate(buildings[:MAX_BUTTONS])
    ]
    await _say(update, context, t.PICK_BUILDING.format(community=community), _grid(buttons, 4))
    return BUILDING


async def pick_building(update: Update, context: BotContext) -> int | None:
    names = _flow(context).get("buildings", [])
    pressed = await _pressed(update, {"b"}, lambda i: i < len(names))
    if pressed is None:
        return None
    return await _building_chosen(update, context, names[pressed.id])


async def type_building(update: Update, context: BotContext) -> int | None:
    return await _typed(update, context, "buildings", canonical_building, _building_chosen)


async def _building_chosen(update: Update, context: BotContext, building: str) -> int:
    flow = _flow(context)
    community = flow["community"]
    units = await households_repo.list_units(context.services.db, community, building)
    flow.update(building=building, units=units)
    if len(units) == 1:
        return await _unit_chosen(update, context, units[0])
    buttons = [
        InlineKeyboardButton(
            f"{u}单元" if u else "—", callback_data=callbacks.encode(PREFIX, "u", i)
        )
        for i, u in enumerate(units[:MAX_BUTTONS])
    ]
    text = t.PICK_UNIT.format(community=community, building=format_address(building, "", "")[:-1])
    await _say(update, context, text, _grid(buttons, 4))
    return UNIT


async def pick_unit(update: Update, context: BotContext) -> int | None:
    names = _flow(context).get("units", [])
    pressed = await _pressed(update, {"u"}, lambda i: i < len(names))
    if pressed is None:
        return None
    return await _unit_chosen(update, context, names[pressed.id])


async def type_unit(update: Update, context: BotContext) -> int | None:
    return await _typed(update, context, "units", canonical_unit, _unit_chosen)


async def _unit_chosen(update: Update, context: BotContext, unit: str) -> int:
    flow = _flow(context)
    rooms = await _rooms(context, flow, unit)
    # Only a room offered here may be pressed: any other id is forged.
    flow.update(unit=unit, room_ids=[h.id for h in rooms])
    buttons = [
        InlineKeyboardButton(h.room, callback_data=callbacks.encode(PREFIX, "r", h.id))
        for h in rooms[:MAX_BUTTONS]
    ]
    place = format_address(flow["building"], unit, "")[:-1]
    text = t.PICK_ROOM.format(community=flow["community"], building="", unit=place)
    await _say(update, context, text, _grid(buttons, 5))
    return ROOM


async def _rooms(context: BotContext, flow: dict[str, Any], unit: str) -> list[Household]:
    rooms = await households_repo.list_rooms(
        context.services.db, flow["community"], flow["building"], unit
    )
    return [h for h in rooms if not h.unsold]


async def pick_room(update: Update, context: BotContext) -> int | None:
    flow = _flow(context)
    pressed = await _pressed(update, {"r"}, lambda i: i in flow.get("room_ids", []))
    if pressed is None:
        return None
    household = await households_repo.get_household(context.services.db, pressed.id)
    if household is None:
        return None
    return await _room_chosen(update, context, household)


async def type_room(update: Update, context: BotContext) -> int | None:
    message = update.effective_message
    if message is None or message.text is None:
        return None
    flow = _flow(context)
    room = canonical_room(message.text)
    household = await households_repo.find_household(
        context.services.db, flow["community"], flow["building"], flow["unit"], room
    )
    if household is None or household.unsold:
        await message.reply_text(t.NOT_FOUND_TYPED.format(text=message.text.strip()[:20]))
        return None
    return await _room_chosen(update, context, household)


async def _room_chosen(update: Update, context: BotContext, household: Household) -> int:
    flow = _flow(context)
    flow.update(household_id=household.id, roles=[r.value for r in ALL_ROLES])
    text = t.PICK_ROLE.format(address=household.community + address_of(household))
    await _say(update, context, text, _role_markup(ALL_ROLES))
    return ROLE


async def _typed(
    update: Update, context: BotContext, key: str, canonical: Any, chosen: Any
) -> int | None:
    message = update.effective_message
    if message is None or message.text is None:
        return None
    value = canonical(message.text)
    if value not in _flow(context).get(key, []):
        await message.reply_text(t.NOT_FOUND_TYPED.format(text=message.text.strip()[:20]))
        return None
    result: int = await chosen(update, context, value)
    return result


# --- leaving the flow -------------------------------------------------------------------


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel inside the flow: nothing was saved."""
    _clear(context)
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.CANCELLED)
    return END


async def leave_in_flow(update: Update, context: BotContext) -> int:
    """/leave during the flow ends it first, then asks to confirm as /leave always does."""
    _clear(context)
    await me.leave_command(update, context)
    return END


def conversation() -> ConversationHandler:  # type: ignore[type-arg]
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND

    def button(action: str, callback: Any) -> CallbackQueryHandler:  # type: ignore[type-arg]
        return CallbackQueryHandler(callback, pattern=f"^{PREFIX}:{action}(:|$)")

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
                ROLE: [button("role", choose_role)],
                CONSENT: [button("agree", consent), button("no", consent)],
                COMMUNITY: [button("c", pick_community)],
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
