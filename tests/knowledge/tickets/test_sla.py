"""Time limits: elapsed time from submission, shown in local time, across midnight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from knowledge.tickets.categories import Limits, load_catalog
from knowledge.tickets.sla import (
    due_times,
    is_overdue,
    local_day,
    missed_deadline,
    overdue_kind,
    start_of_week,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
URGENT = Limits(timedelta(hours=2), timedelta(hours=24))
NORMAL = Limits(timedelta(hours=24), timedelta(days=5))


@dataclass(frozen=True)
class FakeTicket:
    status: str
    first_response_at: datetime | None
    first_response_due: datetime
    resolve_due: datetime


def test_catalog_limits() -> None:
    catalog = load_catalog()
    fire = catalog.category("fire_hazard")
    noise = catalog.category("noise")
    assert fire is not None
    assert fire.urgent
    assert fire.limits == URGENT
    assert noise is not None
    assert not noise.urgent
    assert noise.limits == NORMAL


def test_urgent_across_midnight() -> None:
    submitted = datetime(2026, 11, 20, 23, 30, tzinfo=SHANGHAI)
    due = due_times(submitted, URGENT, SHANGHAI)
    assert due.first_response == datetime(2026, 11, 21, 1, 30, tzinfo=SHANGHAI)
    assert due.first_response.tzinfo is SHANGHAI
    assert due.resolve == datetime(2026, 11, 21, 23, 30, tzinfo=SHANGHAI)
    # 23:30 local is 15:30 UTC: the ticket belongs to the local day, not the UTC one.
    assert local_day(submitted.astimezone(UTC), SHANGHAI) == "20261120"
    assert local_day(datetime(2026, 11, 20, 16, 30, tzinfo=UTC), SHANGHAI) == "20261121"


def test_same_instant_whatever_the_zone_given() -> None:
    submitted = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    a = due_times(submitted, NORMAL, SHANGHAI)
    b = due_times(submitted, NORMAL, ZoneInfo("UTC"))
    assert a.resolve == b.resolve  # same instant
    assert a.resolve.hour == 23
    assert b.resolve.hour == 15


def test_elapsed_time_across_daylight_saving() -> None:
    # New York springs forward on 2026-03-08: 24 h after 2026-03-07 12:00 is 13:00 local.
    ny = ZoneInfo("America/New_York")
    due = due_times(datetime(2026, 3, 7, 12, 0, tzinfo=ny), URGENT, ny)
    assert due.resolve == datetime(2026, 3, 8, 13, 0, tzinfo=ny)
    start = datetime(2026, 3, 7, 12, 0, tzinfo=ny)
    assert due.resolve.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)


def test_naive_time_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_times(datetime(2026, 11, 20, 12, 0), URGENT)  # noqa: DTZ001


def _ticket(status: str = "received", responded: datetime | None = None) -> FakeTicket:
    submitted = datetime(2026, 11, 20, 23, 30, tzinfo=SHANGHAI)
    due = due_times(submitted, URGENT, SHANGHAI)
    return FakeTicket(status, responded, due.first_response, due.resolve)


@pytest.mark.parametrize(
    ("now", "kind"),
    [
        (datetime(2026, 11, 21, 1, 30, tzinfo=SHANGHAI), None),  # exactly due: not late yet
        (datetime(2026, 11, 21, 1, 31, tzinfo=SHANGHAI), "first_response"),
        # The same instants in UTC (17:31 on the 20th) give the same answer.
        (datetime(2026, 11, 20, 17, 31, tzinfo=UTC), "first_response"),
        (datetime(2026, 11, 20, 17, 29, tzinfo=UTC), None),
    ],
)
def test_overdue_across_midnight(now: datetime, kind: str | None) -> None:
    assert overdue_kind(_ticket(), now) == kind
    assert is_overdue(_ticket(), now) is (kind is not None)


def test_responded_then_resolve_deadline() -> None:
    ticket = _ticket("in_progress", datetime(2026, 11, 21, 0, 0, tzinfo=SHANGHAI))
    assert overdue_kind(ticket, datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI)) is None
    assert overdue_kind(ticket, datetime(2026, 11, 22, 0, 0, tzinfo=SHANGHAI)) == "resolve"


@pytest.mark.parametrize("status", ["resolved", "rated", "rejected", "closed"])
def test_settled_tickets_are_never_overdue(status: str) -> None:
    assert not is_overdue(_ticket(status), datetime(2027, 1, 1, tzinfo=UTC))


def test_missed_deadline_for_exports() -> None:
    t = _ticket()
    on_time: dict[str, datetime] = dict(
        first_response_due=t.first_response_due,
        resolve_due=t.resolve_due,
        now=datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert not missed_deadline(
        first_response_at=t.first_response_due,
        resolved_at=t.resolve_due,
        **on_time,
    )
    assert missed_deadline(
        first_response_at=t.first_response_due,
        resolved_at=t.resolve_due + timedelta(minutes=1),
        **on_time,
    )


def test_week_starts_monday_local() -> None:
    # Sunday 2026-11-22 20:00 UTC is Monday 04:00 in Shanghai.
    start = start_of_week(datetime(2026, 11, 22, 20, 0, tzinfo=UTC), SHANGHAI)
    assert start == datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI)
