"""Helpers for the tickets end-to-end tests (no tests here): going through the complaint
flow as any resident, and the service of the running bot."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from bot import application, rate_limiter
from bot.local_api import LocalBotApi, SentDocument, User
from bot.rate_limiter import FloodLimits
from handlers.context import BotContext, ResidentApplication
from handlers.tickets import texts as t
from knowledge.tickets.service import ComplaintDraft, Location, TicketService
from tests.e2e.conftest import ADMIN, RESIDENT, STAFF_CHAT, button_data

DESCRIPTION = "3号楼楼道里有人给电动车充电，电线从窗户拉出来"
PLACE = "3号楼2单元楼道"


@pytest.fixture
def fast_limits(monkeypatch: pytest.MonkeyPatch) -> FloodLimits:
    """Our own send pacing at 1/30 of Telegram's periods (as test_concurrency.py does): a
    complaint flow sends a dozen messages to one private chat, paced at 3 per 3 s live."""
    limits = FloodLimits(overall=(30, 1 / 30), group=(20, 2.0), chat=(3, 0.1))
    monkeypatch.setattr(rate_limiter, "TELEGRAM_LIMITS", limits)

    def fast(overall: tuple[float, float] = limits.overall) -> FloodLimits:
        return FloodLimits(overall=overall, group=limits.group, chat=limits.chat)

    # Should the composition root build its own FloodLimits, it gets the fast ones too.
    if hasattr(application, "FloodLimits"):
        monkeypatch.setattr(application, "FloodLimits", fast)
    return limits


def service(bot: ResidentApplication) -> TicketService:
    found = bot.services.tickets
    assert found is not None
    return found


def context_of(bot: ResidentApplication) -> BotContext:
    """A handler context as a job callback gets it (for calling job callbacks directly)."""
    return BotContext(bot)


def draft(description: str = DESCRIPTION, place: str = PLACE, **kwargs: Any) -> ComplaintDraft:
    return ComplaintDraft(
        category=kwargs.pop("category", "fire_hazard"),
        description=description,
        location=Location(text=place),
        **kwargs,
    )


def number_of(done: dict[str, Any]) -> str:
    """The ticket number in the 已提交 message."""
    assert done["text"].startswith("已提交，工单编号：TS-"), done["text"]
    return str(done["text"].split("：", 1)[1].split("\n", 1)[0])


async def to_summary(
    api: LocalBotApi,
    user: User = RESIDENT,
    description: str = DESCRIPTION,
    place: str = PLACE,
    *,
    start: str = "/complain",
) -> dict[str, Any]:
    """Every step with typed answers (category 消防隐患, no photos, no phone, not
    anonymous); returns the summary message."""
    chat = api.private_chat(user)
    api.send_text(chat, user, start)
    assert (await api.next_message(chat.id))["text"].endswith(t.ASK_DESCRIPTION)
    api.send_text(chat, user, description)
    categories = await api.next_message(chat.id)
    api.press_button(chat, user, categories, button_data(categories, "消防隐患"))
    photos = await api.next_message(chat.id)
    api.press_button(chat, user, photos, button_data(photos, t.BTN_SKIP))
    where = await api.next_message(chat.id)
    api.press_button(chat, user, where, button_data(where, t.BTN_LOCATION_TEXT))
    await api.next_message(chat.id)
    api.send_text(chat, user, place)
    phone = await api.next_message(chat.id)
    api.press_button(chat, user, phone, button_data(phone, t.BTN_SKIP))
    anonymous = await api.next_message(chat.id)
    api.press_button(chat, user, anonymous, button_data(anonymous, t.BTN_NOT_ANONYMOUS))
    summary = await api.next_message(chat.id)
    assert summary["text"].startswith("请核对您的投诉")
    return summary


async def submit(
    api: LocalBotApi, user: User = RESIDENT, description: str = DESCRIPTION, place: str = PLACE
) -> tuple[str, dict[str, Any]]:
    """A complaint from start to ticket number; returns (number, the staff card)."""
    chat = api.private_chat(user)
    summary = await to_summary(api, user, description, place)
    api.press_button(chat, user, summary, button_data(summary, "确认提交"))
    number = number_of(await api.next_message(chat.id))
    card = await api.next_message(STAFF_CHAT.id)
    assert number in card["text"]
    return number, card


async def export_xlsx(api: LocalBotApi, args: str = "") -> SentDocument:
    """The admin sends /export (with `args`) in private; the XLSX file the bot sent back."""
    admin = api.private_chat(ADMIN)
    before = len(api.sent_documents)
    api.send_text(admin, ADMIN, f"/export {args}".strip())
    reply = await api.next_message(admin.id)
    assert reply["document"]["file_name"].endswith(".xlsx"), reply
    return api.sent_documents[before]


def xlsx_table(document: SentDocument, sheet: str) -> list[dict[str, Any]]:
    """One sheet of an exported workbook as rows keyed by its header."""
    book = load_workbook(io.BytesIO(document.data))
    header, *body = [[c.value for c in row] for row in book[sheet].iter_rows()]
    return [dict(zip(header, r, strict=True)) for r in body]
