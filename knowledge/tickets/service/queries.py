"""Reading tickets: one ticket and its history, a resident's own, staff lists, overdue
ones and the /stats numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from knowledge.households.addressing import canonical_building
from knowledge.tickets.lifecycle import Status
from knowledge.tickets.numbering import format_number, parse_number, parse_sequence
from knowledge.tickets.service.core import TicketServiceCore
from knowledge.tickets.service.stats import TicketStats, period_stats
from knowledge.tickets.sla import overdue_kind, start_of_month, start_of_week
from storage import tickets_repo as repo
from storage.tickets_repo import Event, Ticket


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


class TicketQueries(TicketServiceCore):
    """What residents and staff look up; nothing here changes a ticket."""

    async def get(self, ticket_id: int) -> Ticket | None:
        return await repo.get_ticket(self._db, ticket_id)

    async def by_number(self, number: str) -> Ticket | None:
        """`TS-20261120-0007` (case and spaces forgiven), or None."""
        canonical_number = parse_number(number)
        if canonical_number is None:
            return None
        return await repo.get_by_number(self._db, canonical_number)

    async def by_short_number(self, text: str, *, limit: int = 5) -> list[Ticket]:
        """Tickets a short number may mean, newest first: `7` or `0007` → every day's
        seventh ticket; `20261120-7` → that day's. Empty when it is no short number."""
        short = parse_sequence(text)
        if short is None:
            return []
        day, sequence = short
        if day is not None:
            found = await repo.get_by_number(self._db, format_number(day, sequence))
            return [found] if found is not None else []
        return await repo.by_sequence(self._db, f"{sequence:04d}", limit=limit)

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
