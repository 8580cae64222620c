"""The /stats numbers of a period's tickets: counts, medians, overdue, ratings."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from knowledge.tickets.lifecycle import OPEN_STATUSES, RatingOutcome, Status
from knowledge.tickets.sla import missed_deadline
from storage.tickets_repo import Ticket


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
