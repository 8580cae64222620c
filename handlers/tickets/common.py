"""What the tickets handlers share: the service, the catalog, deep links, households."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.ext import BaseHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from handlers.context import BotContext
from handlers.tickets import texts as t
from knowledge.households.addressing import format_address
from knowledge.tickets.categories import Catalog, load_catalog
from knowledge.tickets.service import TicketService
from storage import household_links_repo, households_repo
from storage.households_repo import Household
from storage.tickets_repo import Ticket

_CATALOG: list[Catalog] = []


def service(context: BotContext) -> TicketService:
    found = context.services.tickets
    if found is None:
        raise RuntimeError("ticket service used before post_init opened it")
    return found


def catalog(context: BotContext) -> Catalog:
    """The service's catalog (staff-extended), else the bundled one."""
    found = getattr(context.services.tickets, "catalog", None)
    if isinstance(found, Catalog):
        return found
    if not _CATALOG:
        _CATALOG.append(load_catalog())
    return _CATALOG[0]


def user_data(context: BotContext) -> dict[Any, Any]:
    data = context.user_data
    assert data is not None  # every update the tickets handlers take has a user
    return data


async def reply(update: Update, context: BotContext, text: str, **kwargs: Any) -> None:
    """Answer in the chat of the update (a message or a pressed button)."""
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, text, **kwargs)


async def linked_household(context: BotContext, user_id: int) -> Household | None:
    """The resident's first active household link."""
    db = context.services.db
    for link in await household_links_repo.links_for_user(db, user_id):
        if link.status == "active":
            return await households_repo.get_household(db, link.household_id)
    return None


def household_label(household: Household) -> str:
    return format_address(household.building, household.unit, household.room)


def location_label(ticket: Ticket) -> str:
    parts = [ticket.location_text] if ticket.location_text else []
    if not parts and ticket.building:
        parts.append(ticket.building)
    if ticket.latitude is not None and ticket.longitude is not None and not parts:
        parts.append(t.GEO_LOCATION.format(lat=ticket.latitude, lon=ticket.longitude))
    return "；".join(parts) or t.NONE


def rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def conversation(**kwargs: Any) -> ConversationHandler[Any]:
    """A persistent ConversationHandler; buttons inside it are tracked per user, not per
    message (PTB warns about that; it is intended: one flow per resident)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(persistent=True, allow_reentry=True, **kwargs)


Handlers = list[BaseHandler[Any, Any, Any]]
