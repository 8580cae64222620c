"""The complaint flow's location step: my home, a room from the register, text, or GPS.

The register's buildings, units and rooms are offered as buttons by position in a list
kept in the draft (user_data), so callback data stays short and nothing typed is trusted.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers import callbacks
from handlers.context import BotContext
from handlers.tickets import common
from handlers.tickets import texts as t
from knowledge.households.addressing import format_building
from knowledge.tickets.service import MAX_LOCATION_TEXT
from storage import households_repo

PREFIX = "tkc"
MAX_BUTTONS = 60


def _button(label: str, action: str, *ids: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(PREFIX, action, *ids))


async def ask(update: Update, context: BotContext, draft: dict[str, Any]) -> None:
    user = update.effective_user
    buttons = []
    home = await common.linked_household(context, user.id) if user else None
    if home is not None and not draft.get("for_resident"):
        label = t.BTN_MY_HOME.format(address=common.household_label(home))
        buttons.append([_button(label, "home", home.id)])
    if await households_repo.list_communities(context.services.db):
        buttons.append([_button(t.BTN_PICK_BUILDING, "bld", 0)])
    buttons.append([_button(t.BTN_LOCATION_TEXT, "loctext")])
    await common.reply(update, context, t.ASK_LOCATION, reply_markup=InlineKeyboardMarkup(buttons))


async def set_household(context: BotContext, draft: dict[str, Any], household_id: int) -> bool:
    household = await households_repo.get_household(context.services.db, household_id)
    if household is None:
        return False
    draft["location"] = {
        "household_id": household.id,
        "text": f"{household.community}{common.household_label(household)}",
    }
    return True


async def pick(
    update: Update, context: BotContext, draft: dict[str, Any], step: str, index: int
) -> bool:
    """One press in the building → unit → room picker; True once a place is chosen."""
    db = context.services.db
    picker: dict[str, Any] = draft.setdefault("picker", {})
    if step == "bld" and index == 0:
        pairs = [
            [community, building]
            for community in await households_repo.list_communities(db)
            for building in await households_repo.list_buildings(db, community)
        ][:MAX_BUTTONS]
        picker.clear()
        picker["buildings"] = pairs
        if not pairs:
            await common.reply(update, context, t.NO_REGISTER)
            return False
        buttons = [
            _button(_building_label(pairs, p[0], p[1]), "b", i) for i, p in enumerate(pairs)
        ]
        await common.reply(
            update,
            context,
            t.ASK_BUILDING,
            reply_markup=InlineKeyboardMarkup(common.rows(buttons, 3)),
        )
        return False
    if step == "b":
        pairs = picker.get("buildings") or []
        if not 0 <= index < len(pairs):
            return False
        community, building = pairs[index]
        units = await households_repo.list_units(db, community, building)
        picker["chosen"] = [community, building]
        picker["units"] = units[:MAX_BUTTONS]
        if units == [""]:
            return await _rooms(update, context, picker, 0)
        buttons = [_button(f"{u}单元", "u", i) for i, u in enumerate(picker["units"])]
        buttons.append(_button(t.BTN_WHOLE_BUILDING, "whole"))
        await common.reply(
            update,
            context,
            t.ASK_UNIT.format(building=format_building(building)),
            reply_markup=InlineKeyboardMarkup(common.rows(buttons, 4)),
        )
        return False
    if step == "u":
        return await _rooms(update, context, picker, index)
    if step == "whole" and picker.get("chosen"):
        community, building = picker["chosen"]
        unit = picker.get("unit") or ""
        draft["location"] = {
            "text": f"{community}{format_building(building)}{f'{unit}单元' if unit else ''}",
            "building": building,
        }
        return True
    return False


async def _rooms(update: Update, context: BotContext, picker: dict[str, Any], index: int) -> bool:
    units = picker.get("units") or [""]
    if not 0 <= index < len(units) or not picker.get("chosen"):
        return False
    community, building = picker["chosen"]
    picker["unit"] = units[index]
    rooms = await households_repo.list_rooms(
        context.services.db, community, building, units[index]
    )
    buttons = [_button(h.room, "room", h.id) for h in rooms[:MAX_BUTTONS]]
    buttons.append(_button(t.BTN_WHOLE_BUILDING, "whole"))
    unit_text = f"{units[index]}单元" if units[index] else ""
    await common.reply(
        update,
        context,
        t.ASK_ROOM.format(building=format_building(building), unit=unit_text),
        reply_markup=InlineKeyboardMarkup(common.rows(buttons, 4)),
    )
    return False


def _building_label(pairs: list[list[str]], community: str, building: str) -> str:
    several = len({p[0] for p in pairs}) > 1
    return f"{community}{format_building(building)}" if several else format_building(building)


def text_location(draft: dict[str, Any], text: str) -> str | None:
    """Free text as the place; an error message when it is too long."""
    if len(text) > MAX_LOCATION_TEXT:
        return t.LOCATION_TOO_LONG.format(max=MAX_LOCATION_TEXT)
    draft["location"] = {"text": text}
    return None


def geo_location(draft: dict[str, Any], latitude: float, longitude: float) -> None:
    draft["location"] = {"latitude": latitude, "longitude": longitude}


def label(draft: dict[str, Any]) -> str:
    where = draft.get("location") or {}
    if where.get("text"):
        return str(where["text"])
    if where.get("latitude") is not None:
        return t.GEO_LOCATION.format(lat=where["latitude"], lon=where["longitude"])
    return t.NONE
