"""Time limits (时限): when a ticket is due a first response and a resolution.

Limits come from the category catalog (defaults 24 h / 5 days, urgent categories 2 h /
24 h). They are elapsed time, counted from the moment of submission, so they are the same
in every zone and across midnight; `tz` only says in which local time a deadline is shown
and on which local day a ticket falls. Deadlines are stored with the ticket when it is
filed, so a later change of the catalog does not move an existing ticket's deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

from knowledge.tickets.categories import Limits

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
OPEN = frozenset({"received", "assigned", "in_progress"})


@dataclass(frozen=True)
class Deadlines:
    first_response: datetime
    resolve: datetime


class Timed(Protocol):
    """What `is_overdue` reads of a ticket (storage's Ticket has all of it)."""

    @property
    def status(self) -> str: ...
    @property
    def first_response_at(self) -> datetime | None: ...
    @property
    def first_response_due(self) -> datetime: ...
    @property
    def resolve_due(self) -> datetime: ...


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def due_times(submitted_at: datetime, limits: Limits, tz: tzinfo = DEFAULT_TZ) -> Deadlines:
    """Deadlines of a ticket submitted at `submitted_at`, in local time `tz`."""
    _aware(submitted_at, "submitted_at")
    # In UTC: Python adds a timedelta to an aware time on its wall clock, which in a zone
    # with daylight saving is not elapsed time.
    start = submitted_at.astimezone(UTC)
    return Deadlines(
        first_response=(start + limits.first_response).astimezone(tz),
        resolve=(start + limits.resolve).astimezone(tz),
    )


def overdue_kind(ticket: Timed, now: datetime) -> str | None:
    """'first_response' or 'resolve' when the open ticket missed that deadline at `now`
    (a missed first response is reported first), else None."""
    _aware(now, "now")
    if ticket.status not in OPEN:
        return None
    if ticket.first_response_at is None and now > ticket.first_response_due:
        return "first_response"
    if now > ticket.resolve_due:
        return "resolve"
    return None


def is_overdue(ticket: Timed, now: datetime) -> bool:
    """Whether an open ticket has missed a deadline at `now`."""
    return overdue_kind(ticket, now) is not None


def missed_deadline(
    *,
    first_response_at: datetime | None,
    first_response_due: datetime,
    resolved_at: datetime | None,
    resolve_due: datetime,
    now: datetime,
) -> bool:
    """Whether a ticket (open or not) missed either deadline: the export's 是否超时."""
    responded = first_response_at if first_response_at is not None else now
    resolved = resolved_at if resolved_at is not None else now
    return responded > first_response_due or resolved > resolve_due


def local_day(moment: datetime, tz: tzinfo = DEFAULT_TZ) -> str:
    """YYYYMMDD of the local calendar day (the ticket number's day)."""
    _aware(moment, "moment")
    return moment.astimezone(tz).strftime("%Y%m%d")


def start_of_day(moment: datetime, tz: tzinfo = DEFAULT_TZ) -> datetime:
    """Local midnight starting the day of `moment` (aware, in tz)."""
    local = moment.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz)


def start_of_week(moment: datetime, tz: tzinfo = DEFAULT_TZ) -> datetime:
    """Local Monday 00:00 of the week of `moment`."""
    day = start_of_day(moment, tz)
    return datetime.combine(day.date() - timedelta(days=day.weekday()), time(0), tzinfo=tz)


def start_of_month(moment: datetime, tz: tzinfo = DEFAULT_TZ) -> datetime:
    """Local 1st 00:00 of the month of `moment`."""
    local = moment.astimezone(tz)
    return datetime(local.year, local.month, 1, tzinfo=tz)
