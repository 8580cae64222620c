"""Asking to be linked without a code: community → building → unit → room, by button or by
typing; then the role and consent steps of binding.py, and staff decide (staff.py)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, Update

from handlers import callbacks
from handlers.context import BotContext
from handlers.households import texts as t
from handlers.households.bind_state import (
    BUILDING,
    COMMUNITY,
    END,
    MAX_BUTTONS,
    PREFIX,
    ROLE,
    ROOM,
    UNIT,
    address_of,
    choices,
    clear_choices,
    grid,
    pressed_button,
    role_markup,
    say,
)
from knowledge.households.addressing import (
    canonical_building,
    canonical_room,
    canonical_unit,
    format_address,
)
from knowledge.households.linking import ALL_ROLES
from storage import households_repo
from storage.households_repo import Household


async def start_request(update: Update, context: BotContext) -> int | None:
    """The 没有绑定码 button under /bind."""
    if await pressed_button(update, {"req"}) is None:
        return None
    clear_choices(context)
    communities = await households_repo.list_communities(context.services.db)
    if not communities:
        await say(update, context, t.NO_REGISTER)
        return END
    flow = choices(context)
    flow.update(mode="request", communities=communities)
    if len(communities) == 1:
        return await _community_chosen(update, context, communities[0])
    buttons = [
        InlineKeyboardButton(name, callback_data=callbacks.encode(PREFIX, "c", i))
        for i, name in enumerate(communities[:MAX_BUTTONS])
    ]
    await say(update, context, t.PICK_COMMUNITY, grid(buttons, 2))
    return COMMUNITY


async def pick_community(update: Update, context: BotContext) -> int | None:
    names = choices(context).get("communities", [])
    pressed = await pressed_button(update, {"c"}, lambda i: i < len(names))
    if pressed is None:
        return None
    return await _community_chosen(update, context, names[pressed.id])


async def _community_chosen(update: Update, context: BotContext, community: str) -> int:
    flow = choices(context)
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
    await say(update, context, t.PICK_BUILDING.format(community=community), grid(buttons, 4))
    return BUILDING


async def pick_building(update: Update, context: BotContext) -> int | None:
    names = choices(context).get("buildings", [])
    pressed = await pressed_button(update, {"b"}, lambda i: i < len(names))
    if pressed is None:
        return None
    return await _building_chosen(update, context, names[pressed.id])


async def type_building(update: Update, context: BotContext) -> int | None:
    return await _typed(update, context, "buildings", canonical_building, _building_chosen)


async def _building_chosen(update: Update, context: BotContext, building: str) -> int:
    flow = choices(context)
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
    await say(update, context, text, grid(buttons, 4))
    return UNIT


async def pick_unit(update: Update, context: BotContext) -> int | None:
    names = choices(context).get("units", [])
    pressed = await pressed_button(update, {"u"}, lambda i: i < len(names))
    if pressed is None:
        return None
    return await _unit_chosen(update, context, names[pressed.id])


async def type_unit(update: Update, context: BotContext) -> int | None:
    return await _typed(update, context, "units", canonical_unit, _unit_chosen)


async def _unit_chosen(update: Update, context: BotContext, unit: str) -> int:
    flow = choices(context)
    rooms = await _rooms(context, flow, unit)
    # Only a room offered here may be pressed: any other id is forged.
    flow.update(unit=unit, room_ids=[h.id for h in rooms])
    buttons = [
        InlineKeyboardButton(h.room, callback_data=callbacks.encode(PREFIX, "r", h.id))
        for h in rooms[:MAX_BUTTONS]
    ]
    place = format_address(flow["building"], unit, "")[:-1]
    text = t.PICK_ROOM.format(community=flow["community"], building="", unit=place)
    await say(update, context, text, grid(buttons, 5))
    return ROOM


async def _rooms(context: BotContext, flow: dict[str, Any], unit: str) -> list[Household]:
    rooms = await households_repo.list_rooms(
        context.services.db, flow["community"], flow["building"], unit
    )
    return [h for h in rooms if not h.unsold]


async def pick_room(update: Update, context: BotContext) -> int | None:
    flow = choices(context)
    pressed = await pressed_button(update, {"r"}, lambda i: i in flow.get("room_ids", []))
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
    flow = choices(context)
    room = canonical_room(message.text)
    household = await households_repo.find_household(
        context.services.db, flow["community"], flow["building"], flow["unit"], room
    )
    if household is None or household.unsold:
        await message.reply_text(t.NOT_FOUND_TYPED.format(text=message.text.strip()[:20]))
        return None
    return await _room_chosen(update, context, household)


async def _room_chosen(update: Update, context: BotContext, household: Household) -> int:
    flow = choices(context)
    flow.update(household_id=household.id, roles=[r.value for r in ALL_ROLES])
    text = t.PICK_ROLE.format(address=household.community + address_of(household))
    await say(update, context, text, role_markup(ALL_ROLES))
    return ROLE


async def _typed(
    update: Update, context: BotContext, key: str, canonical: Any, chosen: Any
) -> int | None:
    message = update.effective_message
    if message is None or message.text is None:
        return None
    value = canonical(message.text)
    if value not in choices(context).get(key, []):
        await message.reply_text(t.NOT_FOUND_TYPED.format(text=message.text.strip()[:20]))
        return None
    result: int = await chosen(update, context, value)
    return result
