"""Renovation needs (改造需求): one current submission per household (or per unlinked
resident), history kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from knowledge.tickets.service.core import TicketServiceCore
from knowledge.tickets.service.refusals import Refusal, TicketRefused
from storage import household_links_repo, ticket_blocks_repo, ticket_needs_repo
from storage import tickets_repo as repo
from storage.ticket_needs_repo import Need

MAX_NEEDS_TEXT = 1000


class Cofund(StrEnum):
    YES = "yes"
    DEPENDS = "depends"
    NO = "no"

    @property
    def label(self) -> str:
        return COFUND_LABELS[self]


COFUND_LABELS: dict[Cofund, str] = {
    Cofund.YES: "愿意出资",
    Cofund.DEPENDS: "视金额而定",
    Cofund.NO: "不愿意",
}


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"

    @property
    def label(self) -> str:
        return URGENCY_LABELS[self]


URGENCY_LABELS: dict[Urgency, str] = {
    Urgency.LOW: "不急",
    Urgency.NORMAL: "一般",
    Urgency.HIGH: "急需",
}


@dataclass(frozen=True)
class NeedsSubmitted:
    need: Need
    replaced: Need | None  # the household's (or resident's) earlier current submission


class RenovationNeeds(TicketServiceCore):
    """Submitting and reading renovation needs."""

    async def submit_needs(
        self,
        user_id: int,
        household_id: int | None,
        items: Sequence[str],
        urgency: Urgency,
        text: str,
        cofund: Cofund,
        now: datetime | None = None,
    ) -> NeedsSubmitted:
        """Record a renovation-needs submission (item keys from the catalog). With a
        household it replaces that household's current one, whoever sent it; without, the
        resident's own. History is kept. Blocked users refused."""
        moment = self._now(now)
        chosen = list(dict.fromkeys(items))
        if not chosen:
            raise TicketRefused(Refusal.EMPTY, "请至少选择一个改造项目")
        unknown = [i for i in chosen if self.catalog.item(i) is None]
        if unknown:
            raise TicketRefused(Refusal.BAD_INPUT, f"没有这些改造项目：{'、'.join(unknown)}")
        if len(text) > MAX_NEEDS_TEXT:
            raise TicketRefused(Refusal.TOO_LONG, f"补充说明最多 {MAX_NEEDS_TEXT} 字")
        if await ticket_blocks_repo.get_block(self._db, user_id) is not None:
            raise TicketRefused(Refusal.BLOCKED, "您暂时无法提交，如有需要请直接联系社区工作人员")
        async with self._lock, repo.transaction(self._db):
            need, replaced = await ticket_needs_repo.save_need(
                self._db,
                household_id=household_id,
                user_id=user_id,
                items=chosen,
                urgency=Urgency(urgency).value,
                text=text.strip(),
                cofund=Cofund(cofund).value,
                at=moment,
            )
        return NeedsSubmitted(need, replaced)

    async def current_needs(self, user_id: int, household_id: int | None) -> Need | None:
        """The submission that counts now for this household (or this resident)."""
        return await ticket_needs_repo.current_need(
            self._db, household_id=household_id, user_id=user_id
        )

    async def linked_household(self, user_id: int) -> int | None:
        """The resident's active household link (the first), or None."""
        links = await household_links_repo.links_for_user(self._db, user_id)
        return next((link.household_id for link in links if link.status == "active"), None)
