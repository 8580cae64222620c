"""Filing complaints: drafts and their limits, blocks and the daily limit, duplicates,
numbering and deadlines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from knowledge.households.addressing import canonical_building, format_address
from knowledge.tickets.duplicates import best_keyword_match, score_candidates
from knowledge.tickets.lifecycle import Action, Status
from knowledge.tickets.numbering import format_number
from knowledge.tickets.service.core import Change, TicketServiceCore
from knowledge.tickets.service.refusals import Refusal, TicketRefused
from knowledge.tickets.sla import due_times, local_day, start_of_day
from storage import households_repo, ticket_blocks_repo
from storage import tickets_repo as repo
from storage.tickets_repo import Ticket

MAX_DESCRIPTION = 1000
MAX_PHOTOS = 5
MAX_LOCATION_TEXT = 200
# '3号楼门口', '5栋楼道': the building a free-text location names, for duplicate matching.
_BUILDING_IN_TEXT = re.compile(r"([0-9０-９A-Za-z一二三四五六七八九十]+)(?:号楼|栋|幢|号院)")


@dataclass(frozen=True)
class Location:
    """Where: the resident's (or a picked) household, free text, or a Telegram location.

    Any combination may be given; `household_id` wins for building matching.
    """

    household_id: int | None = None
    text: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class ComplaintDraft:
    """What the complaint flow collected before 确认提交."""

    category: str  # a Category.key from the catalog
    description: str  # ≤ MAX_DESCRIPTION characters
    location: Location = field(default_factory=Location)
    photos: tuple[str, ...] = ()  # Telegram file ids, ≤ MAX_PHOTOS
    phone: str | None = None
    anonymous: bool = False  # hidden from other residents; staff always see the reporter


@dataclass(frozen=True)
class Candidate:
    """An open ticket that looks like the draft (same category and place), with its score."""

    ticket: Ticket
    score: float


class TicketSubmitting(TicketServiceCore):
    """A resident's complaint, or one staff file for a resident who phoned."""

    def suggest_category(self, text: str) -> str | None:
        """The catalog category key whose keywords best match `text` (jieba terms), or None."""
        return best_keyword_match(text, [(c.key, c.keywords) for c in self.catalog.categories])

    def check_draft(self, draft: ComplaintDraft) -> None:
        """Raise `TicketRefused` for a too long / empty description, too many photos or an
        unknown category (handlers may call it per step; `submit` calls it again)."""
        if self.catalog.category(draft.category) is None:
            raise TicketRefused(Refusal.UNKNOWN_CATEGORY, "请从列表中选择问题类别")
        if not draft.description.strip():
            raise TicketRefused(Refusal.EMPTY, "请写一下具体是什么问题")
        if len(draft.description) > MAX_DESCRIPTION:
            raise TicketRefused(
                Refusal.TOO_LONG,
                f"描述最多 {MAX_DESCRIPTION} 字，现在 {len(draft.description)} 字，请精简一些",
            )
        if len(draft.photos) > MAX_PHOTOS:
            raise TicketRefused(Refusal.TOO_MANY_PHOTOS, f"最多 {MAX_PHOTOS} 张照片")
        if len(draft.location.text) > MAX_LOCATION_TEXT:
            raise TicketRefused(Refusal.TOO_LONG, f"位置说明最多 {MAX_LOCATION_TEXT} 字")
        if draft.phone is not None and len(draft.phone) > 30:
            raise TicketRefused(Refusal.BAD_INPUT, "电话号码太长")

    async def check_can_submit(self, user_id: int, now: datetime | None = None) -> None:
        """Raise `TicketRefused` (BLOCKED, DAILY_LIMIT) before the flow asks anything."""
        if await ticket_blocks_repo.get_block(self._db, user_id) is not None:
            raise TicketRefused(Refusal.BLOCKED, "您暂时无法提交，如有需要请直接联系社区工作人员")
        since = start_of_day(self._now(now), self.tz)
        if await repo.count_reported_since(self._db, user_id, since) >= self.daily_limit:
            raise TicketRefused(
                Refusal.DAILY_LIMIT,
                f"每人每天最多提交 {self.daily_limit} 件，请明天再提交；紧急情况请直接打电话",
            )

    async def _place(self, location: Location) -> tuple[str | None, str | None, str]:
        """(community, building, location text) of a location."""
        text = location.text.strip()
        if location.household_id is not None:
            household = await households_repo.get_household(self._db, location.household_id)
            if household is None:
                raise TicketRefused(Refusal.BAD_INPUT, "找不到这个房屋，请重新选择位置")
            address = format_address(household.building, household.unit, household.room)
            full = f"{household.community}{address}" + (f"（{text}）" if text else "")
            return household.community, household.building, full
        found = _BUILDING_IN_TEXT.search(text)
        building = canonical_building(found[1]) if found else None
        return None, building, text

    async def similar_open(self, draft: ComplaintDraft, limit: int = 3) -> list[Candidate]:
        """Open tickets of the same category and building/location whose description is
        close to the draft's, best first (the 同一个问题，关注它 prompt)."""
        community, building, text = await self._place(draft.location)
        found = await repo.open_like(
            self._db, draft.category, building=building, community=community, location_text=text
        )
        scored = score_candidates(
            draft.description,
            [(t, t.description) for t in found],
            threshold=self.duplicate_threshold,
            limit=limit,
        )
        return [Candidate(s.item, s.score) for s in scored]

    async def submit(
        self,
        draft: ComplaintDraft,
        *,
        reporter_id: int,
        reporter_name: str,
        now: datetime | None = None,
    ) -> Change:
        """File a resident's complaint: checks block, daily limit and the draft; gives the
        ticket its number (TS-YYYYMMDD-NNNN, local day) and deadlines; event SUBMIT.
        `Change.notify` is empty (the reporter is the actor)."""
        moment = self._now(now)
        self.check_draft(draft)
        async with self._lock:
            await self.check_can_submit(reporter_id, moment)
            return await self._file(
                draft,
                moment,
                reporter_id=reporter_id,
                reporter_name=reporter_name,
                filed_by=None,
                phone=draft.phone,
            )

    async def file_for_resident(
        self,
        draft: ComplaintDraft,
        *,
        staff_id: int,
        resident_name: str,
        resident_phone: str | None = None,
        reporter_id: int | None = None,
        now: datetime | None = None,
    ) -> Change:
        """Staff file a complaint for a resident who phoned (no daily limit; `filed_by`
        staff_id, channel 'phone'). `reporter_id` is the resident's Telegram account when
        they have one, so they are told of every change and may rate or reopen; else None.
        `Change.notify` holds that resident (the staff member is the actor)."""
        moment = self._now(now)
        self.check_draft(draft)
        if reporter_id is not None and reporter_id == staff_id:
            raise TicketRefused(Refusal.BAD_INPUT, "代登记时居民不能是您自己")
        async with self._lock:
            change = await self._file(
                draft,
                moment,
                reporter_id=reporter_id,
                reporter_name=resident_name.strip()[:60],
                filed_by=staff_id,
                phone=resident_phone or draft.phone,
            )
        notify = (reporter_id,) if reporter_id is not None else ()
        return Change(change.ticket, change.event, change.previous, notify)

    async def _file(
        self,
        draft: ComplaintDraft,
        moment: datetime,
        *,
        reporter_id: int | None,
        reporter_name: str,
        filed_by: int | None,
        phone: str | None,
    ) -> Change:
        category = self.catalog.category(draft.category)
        assert category is not None  # check_draft
        community, building, text = await self._place(draft.location)
        deadlines = due_times(moment, category.limits, self.tz)
        day = local_day(moment, self.tz)
        async with repo.transaction(self._db):
            sequence = await repo.next_number(self._db, day)
            ticket_id = await repo.insert_ticket(
                self._db,
                repo.NewTicket(
                    number=format_number(day, sequence),
                    category=category.key,
                    description=draft.description.strip(),
                    community=community,
                    building=building,
                    location_text=text,
                    household_id=draft.location.household_id,
                    latitude=draft.location.latitude,
                    longitude=draft.location.longitude,
                    phone=phone.strip() if phone else None,
                    anonymous=draft.anonymous,
                    reporter_id=reporter_id,
                    reporter_name=reporter_name[:60],
                    filed_by=filed_by,
                    channel="bot" if filed_by is None else "phone",
                    status=Status.RECEIVED.value,
                    created_at=moment,
                    first_response_due=deadlines.first_response,
                    resolve_due=deadlines.resolve,
                    photos=draft.photos,
                ),
            )
            event = await repo.insert_event(
                self._db,
                ticket_id,
                at=moment,
                action=Action.SUBMIT.value,
                actor_id=reporter_id if filed_by is None else filed_by,
                actor_role="resident" if filed_by is None else "staff",
                from_status=None,
                to_status=Status.RECEIVED.value,
                note="" if filed_by is None else "工作人员代居民登记（电话反映）",
            )
        ticket = await repo.get_ticket(self._db, ticket_id)
        assert ticket is not None
        return Change(ticket, event, Status.RECEIVED, ())
