"""TicketService: everything handlers do with complaints and renovation needs.

Handlers call this and never set a status themselves: every change goes through
`lifecycle.transition` and is recorded as an event. Methods that change a ticket return a
`Change` saying what changed and whom to tell (the reporter and followers), so handlers
can message them and update the staff card; this module sends nothing.

Refusals a resident or staff member should read raise `TicketRefused` (with a `Refusal`
code and a Chinese message) or `lifecycle.IllegalTransition`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

import aiosqlite

from knowledge.households.addressing import canonical_building, format_address
from knowledge.tickets.categories import Catalog
from knowledge.tickets.duplicates import DEFAULT_THRESHOLD, best_keyword_match, score_candidates
from knowledge.tickets.lifecycle import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    REOPEN_WINDOW,
    REPORTER_ACTIONS,
    RESPONSE_ACTIONS,
    STAFF_ACTIONS,
    SYSTEM_ACTIONS,
    Action,
    Rating,
    RatingOutcome,
    RejectReason,
    Status,
    transition,
)
from knowledge.tickets.numbering import format_number, parse_number
from knowledge.tickets.sla import (
    DEFAULT_TZ,
    due_times,
    local_day,
    missed_deadline,
    overdue_kind,
    start_of_day,
    start_of_month,
    start_of_week,
)
from storage import household_links_repo, households_repo, staff_repo
from storage import tickets_repo as repo
from storage.clock import utc_now
from storage.db import DatabaseHandle
from storage.tickets_repo import Event, Need, Ticket

MAX_DESCRIPTION = 1000
MAX_PHOTOS = 5
MAX_LOCATION_TEXT = 200
MAX_NEEDS_TEXT = 1000
DEFAULT_DAILY_LIMIT = 5
DEFAULT_RESOLVE = timedelta(days=5)
PSEUDONYM_SECRET = "resident_pseudonym"
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


class Refusal(StrEnum):
    BLOCKED = "blocked"
    DAILY_LIMIT = "daily_limit"
    TOO_LONG = "too_long"
    EMPTY = "empty"
    TOO_MANY_PHOTOS = "too_many_photos"
    UNKNOWN_CATEGORY = "unknown_category"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"  # not staff / not the reporter
    BAD_INPUT = "bad_input"


class TicketRefused(Exception):
    """Not accepted; `str(exc)` is a Chinese message fit to show as it is."""

    def __init__(self, refusal: Refusal, message: str) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.message = message


@dataclass(frozen=True)
class Change:
    """One recorded transition: the ticket after it, its event, and whom to tell.

    `notify` holds the reporter (unless forgotten or phoned in) and every follower,
    without the actor. `previous` is the status before the action.
    """

    ticket: Ticket
    event: Event
    previous: Status
    notify: tuple[int, ...]


@dataclass(frozen=True)
class Candidate:
    """An open ticket that looks like the draft (same category and place), with its score."""

    ticket: Ticket
    score: float


@dataclass(frozen=True)
class Followed:
    ticket: Ticket
    added: bool  # False when they already followed it (or reported it)
    cosigners: int  # 同问 N 人: followers, not counting the reporter


@dataclass(frozen=True)
class Merged:
    survivor: Ticket
    closed: Change  # the merged-away ticket's MERGE event
    new_followers: tuple[int, ...]  # reporters/followers moved onto the survivor


@dataclass(frozen=True)
class MyTicket:
    ticket: Ticket
    following: bool  # True: followed (同问), False: reported by them


@dataclass(frozen=True)
class Overdue:
    ticket: Ticket
    kind: str  # 'first_response' (首次响应超时) | 'resolve' (办结超时)
    due: datetime


@dataclass(frozen=True)
class PeriodStats:
    start: datetime
    end: datetime
    total: int
    by_category: dict[str, int]  # category key → count of tickets submitted in the period
    by_status: dict[Status, int]  # current status of those tickets
    median_first_response: timedelta | None
    median_resolution: timedelta | None
    overdue: int  # of those tickets, overdue now (or missed a deadline)
    ratings: dict[RatingOutcome, int]
    mean_stars: float | None
    satisfaction: float | None  # share rated 解决了 among rated, 0–1


@dataclass(frozen=True)
class TicketStats:
    week: PeriodStats  # this week (Monday 00:00 local) up to now
    month: PeriodStats  # this month (1st 00:00 local) up to now
    overdue_now: int  # open tickets overdue at `now`, whenever submitted


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


@dataclass(frozen=True)
class TicketFilter:
    """/tickets filters; None means any."""

    status: Status | None = None
    statuses: frozenset[Status] | None = None
    category: str | None = None
    building: str | None = None
    assignee: int | None = None
    overdue_at: datetime | None = None  # only tickets overdue at this moment
    limit: int = 20
    offset: int = 0


class TicketService:
    """Complaints and renovation needs over the tickets repository."""

    def __init__(
        self,
        database: DatabaseHandle | aiosqlite.Connection,
        catalog: Catalog,
        *,
        tz: tzinfo = DEFAULT_TZ,
        daily_limit: int = DEFAULT_DAILY_LIMIT,
        reopen_window: timedelta = REOPEN_WINDOW,
        duplicate_threshold: float | None = None,
    ) -> None:
        self._database = database
        self.catalog = catalog
        self.tz = tz
        self.daily_limit = daily_limit
        self.reopen_window = reopen_window
        self.duplicate_threshold = (
            DEFAULT_THRESHOLD if duplicate_threshold is None else duplicate_threshold
        )
        self._secret: bytes | None = None
        # One writer at a time on the shared connection: two BEGINs would collide.
        self._lock = asyncio.Lock()

    @property
    def _db(self) -> aiosqlite.Connection:
        if isinstance(self._database, aiosqlite.Connection):
            return self._database
        return self._database.conn

    @staticmethod
    def _now(now: datetime | None) -> datetime:
        if now is None:
            return utc_now()
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now

    # --- submitting -------------------------------------------------------------------

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
        if await repo.get_block(self._db, user_id) is not None:
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

    # --- reading ----------------------------------------------------------------------

    async def get(self, ticket_id: int) -> Ticket | None:
        return await repo.get_ticket(self._db, ticket_id)

    async def by_number(self, number: str) -> Ticket | None:
        """`TS-20261120-0007` (case and spaces forgiven), or None."""
        canonical_number = parse_number(number)
        if canonical_number is None:
            return None
        return await repo.get_by_number(self._db, canonical_number)

    async def can_view(self, ticket: Ticket, user_id: int | None, *, is_staff: bool) -> bool:
        """Staff, the reporter and followers may see a ticket's history; nobody else."""
        if is_staff:
            return True
        if user_id is None:
            return False
        return ticket.reporter_id == user_id or await repo.is_follower(
            self._db, ticket.id, user_id
        )

    async def history(self, ticket: Ticket) -> list[Event]:
        """Every event, oldest first (check `can_view` first)."""
        return await repo.events(self._db, ticket.id)

    async def followers(self, ticket_id: int) -> list[int]:
        return await repo.followers(self._db, ticket_id)

    async def audience(self, ticket: Ticket, *, exclude: int | None = None) -> tuple[int, ...]:
        """Reporter (when known) + followers, without `exclude`: whom to tell of a change."""
        people = [ticket.reporter_id] if ticket.reporter_id is not None else []
        people += await repo.followers(self._db, ticket.id)
        return tuple(dict.fromkeys(p for p in people if p != exclude))

    async def my_tickets(self, user_id: int, limit: int = 20) -> list[MyTicket]:
        """The resident's own and followed tickets, newest first."""
        found = await repo.tickets_of_user(self._db, user_id, limit)
        return [MyTicket(t, following=t.reporter_id != user_id) for t in found]

    async def list_tickets(self, selection: TicketFilter) -> list[Ticket]:
        """/tickets for staff, newest first."""
        statuses: list[str] | None = None
        if selection.statuses is not None:
            statuses = sorted(s.value for s in selection.statuses)
        if selection.status is not None:
            statuses = [selection.status.value]
        return await repo.list_tickets(
            self._db,
            statuses=statuses,
            category=selection.category,
            building=canonical_building(selection.building) if selection.building else None,
            assignee=selection.assignee,
            overdue_at=selection.overdue_at,
            limit=selection.limit,
            offset=selection.offset,
        )

    # --- changing ---------------------------------------------------------------------

    async def apply(
        self,
        ticket_id: int,
        action: Action,
        *,
        actor_id: int | None,
        is_staff: bool,
        note: str = "",
        assignee: int | None = None,
        reason: RejectReason | None = None,
        rating: Rating | None = None,
        now: datetime | None = None,
    ) -> Change:
        """Run one action. Staff actions need `is_staff`; RATE and REOPEN need the reporter
        (or staff, recording a phoned-in resident's answer); AUTO_CLOSE is the system's
        (`actor_id` None). Raises `TicketRefused` (NOT_FOUND, NOT_ALLOWED, BLOCKED) or
        `IllegalTransition`. The transition, its event (who, when, note) and the derived
        fields (assignee, first response, resolve and settle times, reopen count, rating,
        deadline) are written in one transaction."""
        moment = self._now(now)
        async with self._lock:
            ticket = await repo.get_ticket(self._db, ticket_id)
            if ticket is None:
                raise TicketRefused(Refusal.NOT_FOUND, "找不到这个工单")
            role = self._role(ticket, action, actor_id, is_staff)
            if (
                role == "resident"
                and actor_id is not None
                and await repo.get_block(self._db, actor_id) is not None
            ):
                raise TicketRefused(Refusal.BLOCKED, "您暂时无法操作，如有需要请联系社区工作人员")
            return await self._apply(
                ticket,
                action,
                moment,
                actor_id=actor_id,
                role=role,
                note=note.strip(),
                assignee=assignee,
                reason=reason,
                rating=rating,
            )

    @staticmethod
    def _role(ticket: Ticket, action: Action, actor_id: int | None, is_staff: bool) -> str:
        if action in SYSTEM_ACTIONS:
            if actor_id is not None:
                raise TicketRefused(Refusal.NOT_ALLOWED, "这个操作只由系统执行")
            return "system"
        if action in STAFF_ACTIONS:
            if not is_staff:
                raise TicketRefused(Refusal.NOT_ALLOWED, "只有工作人员可以这样操作")
            return "staff"
        if action in REPORTER_ACTIONS:
            if actor_id is not None and actor_id == ticket.reporter_id:
                return "resident"
            if is_staff:
                return "staff"
            raise TicketRefused(Refusal.NOT_ALLOWED, "只有提交人可以这样操作")
        raise TicketRefused(Refusal.NOT_ALLOWED, "不能这样操作")

    async def _apply(
        self,
        ticket: Ticket,
        action: Action,
        moment: datetime,
        *,
        actor_id: int | None,
        role: str,
        note: str,
        assignee: int | None = None,
        reason: RejectReason | None = None,
        rating: Rating | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> Change:
        previous = Status(ticket.status)
        new = transition(
            previous,
            action,
            now=moment,
            settled_at=ticket.settled_at,
            window=self.reopen_window,
            has_assignee=ticket.assignee_id is not None,
            assignee=assignee,
            rating=rating,
            reason=reason,
            note=note,
        )
        fields: dict[str, object] = {"status": new.value, **(extra or {})}
        event_note, event_reason = note, reason.value if reason else None
        if action is Action.ASSIGN:
            fields["assignee_id"] = assignee
        elif action is Action.ACCEPT and ticket.assignee_id is None:
            fields["assignee_id"] = assignee = actor_id
        if action in RESPONSE_ACTIONS and ticket.first_response_at is None:
            fields["first_response_at"] = moment
        if action is Action.RESOLVE:
            fields |= {"resolved_at": moment, "settled_at": moment}
        elif action is Action.REJECT:
            fields["settled_at"] = moment
        elif action in (Action.CLOSE, Action.MERGE, Action.AUTO_CLOSE):
            fields["closed_at"] = moment
        if rating is not None and action is Action.RATE:
            fields |= {
                "rating_outcome": rating.outcome.value,
                "rating_stars": rating.stars,
                "rating_comment": rating.comment.strip() or None,
            }
            event_reason = rating.outcome.value
            event_note = f"{rating.outcome.label}，{rating.stars} 星" + (
                f"：{rating.comment.strip()}" if rating.comment.strip() else ""
            )
        if new in (Status.RECEIVED, Status.ASSIGNED) and previous in (
            Status.RESOLVED,
            Status.REJECTED,
        ):  # reopened: a fresh time limit to resolve it again
            category = self.catalog.category(ticket.category)
            limit = category.limits.resolve if category else DEFAULT_RESOLVE
            fields |= {
                "reopen_count": ticket.reopen_count + 1,
                "resolve_due": moment + limit,
                "resolved_at": None,
                "settled_at": None,
            }
        async with repo.transaction(self._db):
            await repo.update_ticket(self._db, ticket.id, fields)
            event = await repo.insert_event(
                self._db,
                ticket.id,
                at=moment,
                action=action.value,
                actor_id=actor_id,
                actor_role=role,
                from_status=previous.value,
                to_status=new.value,
                note=event_note,
                reason=event_reason,
                assignee_id=assignee if action in (Action.ASSIGN, Action.ACCEPT) else None,
            )
        changed = await repo.get_ticket(self._db, ticket.id)
        assert changed is not None
        return Change(changed, event, previous, await self.audience(changed, exclude=actor_id))

    async def follow(self, ticket_id: int, user_id: int) -> Followed:
        """Co-sign an open ticket (同问): the user gets its updates. Blocked users refused."""
        ticket = await repo.get_ticket(self._db, ticket_id)
        if ticket is None:
            raise TicketRefused(Refusal.NOT_FOUND, "找不到这个工单")
        if await repo.get_block(self._db, user_id) is not None:
            raise TicketRefused(Refusal.BLOCKED, "您暂时无法操作，如有需要请联系社区工作人员")
        if Status(ticket.status) in FINAL_STATUSES:
            raise TicketRefused(Refusal.NOT_ALLOWED, "这个工单已经结束，不能再关注")
        added = False
        if ticket.reporter_id != user_id:
            added = await repo.add_follower(self._db, ticket_id, user_id, utc_now())
        current = await repo.get_ticket(self._db, ticket_id)
        assert current is not None
        return Followed(current, added, current.follower_count)

    async def unfollow(self, ticket_id: int, user_id: int) -> bool:
        return await repo.remove_follower(self._db, ticket_id, user_id)

    def can_still_answer(self, ticket: Ticket, now: datetime | None = None) -> bool:
        """Whether the reporter may still rate or reopen (resolved or rejected, within the
        window): a button under an old notification is refused at once when not."""
        if Status(ticket.status) not in (Status.RESOLVED, Status.REJECTED):
            return False
        if ticket.settled_at is None:
            return False
        return self._now(now) - ticket.settled_at <= self.reopen_window

    # --- staff cards ------------------------------------------------------------------

    async def remember_cards(self, ticket_id: int, places: Sequence[tuple[int, int]]) -> None:
        """Where the ticket's staff card was posted (chat id, message id), kept in SQL so
        the card is still edited in place after a restart."""
        if places:
            async with self._lock:
                await repo.add_cards(self._db, ticket_id, places)

    async def cards(self, ticket_id: int) -> list[tuple[int, int]]:
        return await repo.cards(self._db, ticket_id)

    async def forget_cards(self, ticket_id: int) -> None:
        """A final ticket's cards are not edited again."""
        async with self._lock:
            await repo.forget_cards(self._db, ticket_id)

    async def merge(
        self, survivor_id: int, merged_id: int, *, staff_id: int, now: datetime | None = None
    ) -> Merged:
        """Close `merged_id` into `survivor_id`: its reporter and followers follow the
        survivor; both tickets record the merge."""
        moment = self._now(now)
        if survivor_id == merged_id:
            raise TicketRefused(Refusal.BAD_INPUT, "不能把工单合并到它自己")
        async with self._lock:
            survivor = await repo.get_ticket(self._db, survivor_id)
            merged = await repo.get_ticket(self._db, merged_id)
            if survivor is None or merged is None:
                raise TicketRefused(Refusal.NOT_FOUND, "找不到这个工单")
            if Status(survivor.status) in FINAL_STATUSES:
                raise TicketRefused(Refusal.NOT_ALLOWED, f"{survivor.number} 已经结束，不能并入")
            people = [merged.reporter_id] if merged.reporter_id is not None else []
            people += await repo.followers(self._db, merged.id)
            people = [p for p in dict.fromkeys(people) if p != survivor.reporter_id]
            closed = await self._apply(
                merged,
                Action.MERGE,
                moment,
                actor_id=staff_id,
                role="staff",
                note=f"已并入 {survivor.number}",
                extra={"merged_into": survivor.id},
            )
            added: list[int] = []
            async with repo.transaction(self._db):
                for person in people:
                    if await repo.add_follower(self._db, survivor.id, person, moment):
                        added.append(person)
                await repo.insert_event(
                    self._db,
                    survivor.id,
                    at=moment,
                    action=Action.MERGE.value,
                    actor_id=staff_id,
                    actor_role="staff",
                    from_status=survivor.status,
                    to_status=survivor.status,
                    note=f"合并了 {merged.number}",
                )
        after = await repo.get_ticket(self._db, survivor.id)
        assert after is not None
        return Merged(after, closed, tuple(added))

    # --- jobs -------------------------------------------------------------------------

    async def overdue(self, now: datetime | None = None) -> list[Overdue]:
        """Open tickets past a deadline at `now`, oldest due first: the morning 督办 list
        (group by `ticket.assignee_id` to remind assignees)."""
        moment = self._now(now)
        found = await repo.list_tickets(
            self._db, overdue_at=moment, limit=None, newest_first=False
        )
        out: list[Overdue] = []
        for ticket in found:
            kind = overdue_kind(ticket, moment)
            if kind is not None:
                due = ticket.first_response_due if kind == "first_response" else ticket.resolve_due
                out.append(Overdue(ticket, kind, due.astimezone(self.tz)))
        return sorted(out, key=lambda o: o.due)

    async def auto_close_due(self, now: datetime | None = None) -> list[Change]:
        """Close every resolved ticket whose reporter did not rate it within the window."""
        moment = self._now(now)
        due = await repo.settled_before(
            self._db, Status.RESOLVED.value, moment - self.reopen_window
        )
        changes: list[Change] = []
        async with self._lock:
            for ticket in due:
                current = await repo.get_ticket(self._db, ticket.id)
                if current is None or current.status != Status.RESOLVED.value:
                    continue  # rated or reopened meanwhile
                changes.append(
                    await self._apply(
                        current,
                        Action.AUTO_CLOSE,
                        moment,
                        actor_id=None,
                        role="system",
                        note=f"办结后 {self.reopen_window.days} 天未评价，自动关闭",
                    )
                )
        return changes

    async def stats(self, now: datetime | None = None, tz: tzinfo | None = None) -> TicketStats:
        """This week's and this month's numbers for /stats (periods in `tz`, default the
        service's)."""
        moment = self._now(now)
        zone = tz or self.tz
        week_start = start_of_week(moment, zone)
        month_start = start_of_month(moment, zone)
        found = await repo.list_tickets(
            self._db, since=min(week_start, month_start), limit=None, newest_first=False
        )
        overdue_now = len(await self.overdue(moment))
        return TicketStats(
            week=period_stats(
                [t for t in found if t.created_at >= week_start], week_start, moment
            ),
            month=period_stats(
                [t for t in found if t.created_at >= month_start], month_start, moment
            ),
            overdue_now=overdue_now,
        )

    # --- abuse ------------------------------------------------------------------------

    async def block(self, user_id: int, *, staff_id: int, reason: str = "") -> bool:
        """Refuse everything from `user_id` (audited); False when already blocked."""
        async with self._lock, repo.transaction(self._db):
            done = await repo.block_user(self._db, user_id, staff_id, utc_now(), reason[:200])
            if done:
                await staff_repo.record_audit(
                    self._db, staff_id, "tickets.block", str(user_id), reason[:200] or None
                )
        return done

    async def unblock(self, user_id: int, *, staff_id: int) -> bool:
        """Lift a block (audited); False when not blocked."""
        async with self._lock, repo.transaction(self._db):
            done = await repo.unblock_user(self._db, user_id)
            if done:
                await staff_repo.record_audit(self._db, staff_id, "tickets.unblock", str(user_id))
        return done

    async def record_export(self, staff_id: int, what: str, scope: str) -> None:
        """Audit a staff download of residents' data (/export)."""
        async with self._lock:
            await staff_repo.record_audit(self._db, staff_id, "tickets.export", what, scope)

    async def is_blocked(self, user_id: int) -> bool:
        return await repo.get_block(self._db, user_id) is not None

    # --- renovation needs -------------------------------------------------------------

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
        if await repo.get_block(self._db, user_id) is not None:
            raise TicketRefused(Refusal.BLOCKED, "您暂时无法提交，如有需要请直接联系社区工作人员")
        async with self._lock, repo.transaction(self._db):
            need, replaced = await repo.save_need(
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
        return await repo.current_need(self._db, household_id=household_id, user_id=user_id)

    async def linked_household(self, user_id: int) -> int | None:
        """The resident's active household link (the first), or None."""
        links = await household_links_repo.links_for_user(self._db, user_id)
        return next((link.household_id for link in links if link.status == "active"), None)

    # --- leaving ----------------------------------------------------------------------

    async def forget_user(self, user_id: int) -> None:
        """/leave: tickets keep their content, the reporter becomes 已注销居民 (id, name and
        phone cleared); follows go; needs lose their author. A block stays: leaving must not
        lift it. Inside another transaction call `storage.tickets_repo.forget_user`."""
        async with self._lock, repo.transaction(self._db):
            await repo.forget_user(self._db, user_id)

    async def resident_key(self, user_id: int | None) -> str:
        """A stable pseudonym (居民编号) for exports: HMAC of the user id with this
        deployment's secret (kept in the database); '' for none."""
        if user_id is None:
            return ""
        if self._secret is None:
            self._secret = await repo.deployment_secret(self._db, PSEUDONYM_SECRET)
        return pseudonym(self._secret, user_id)


def pseudonym(secret: bytes, user_id: int) -> str:
    """'R' and 10 hex digits of HMAC-SHA256(secret, user id): stable, not reversible."""
    digest = hmac.new(secret, str(user_id).encode("ascii"), hashlib.sha256).hexdigest()
    return f"R{digest[:10].upper()}"


def _median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def period_stats(tickets: Sequence[Ticket], start: datetime, now: datetime) -> PeriodStats:
    """The /stats numbers of tickets submitted in one period."""
    by_category = Counter(t.category for t in tickets)
    by_status = Counter(Status(t.status) for t in tickets)
    first = [t.first_response_at - t.created_at for t in tickets if t.first_response_at]
    resolved = [t.resolved_at - t.created_at for t in tickets if t.resolved_at]
    overdue = sum(
        missed_deadline(
            first_response_at=t.first_response_at,
            first_response_due=t.first_response_due,
            resolved_at=t.resolved_at
            if t.resolved_at
            else (t.closed_at if Status(t.status) not in OPEN_STATUSES else None),
            resolve_due=t.resolve_due,
            now=now,
        )
        for t in tickets
        if t.merged_into is None
    )
    rated = [t for t in tickets if t.rating_outcome]
    ratings = Counter(RatingOutcome(t.rating_outcome) for t in rated if t.rating_outcome)
    stars = [t.rating_stars for t in rated if t.rating_stars]
    return PeriodStats(
        start=start,
        end=now,
        total=len(tickets),
        by_category=dict(by_category.most_common()),
        by_status={s: by_status[s] for s in Status if by_status[s]},
        median_first_response=_median(first),
        median_resolution=_median(resolved),
        overdue=overdue,
        ratings={o: ratings[o] for o in RatingOutcome if ratings[o]},
        mean_stars=round(statistics.fmean(stars), 2) if stars else None,
        satisfaction=round(ratings[RatingOutcome.SOLVED] / len(rated), 4) if rated else None,
    )
