"""Counting votes on the household register, by headcount and by floor area.

Headcount follows the Supreme People's Court's interpretation on building ownership
(Art. 9): one exclusive unit is one owner, but an owner holding several units (rooms
sharing one 业主编号, `owner_key`) counts once, with all their area in scope; the
developer's unsold units together count as one owner. Votes are cast per household (its
co-owners share one), and a vote from any room of an owner speaks for all of that owner's
rooms; the latest vote cast while the consultation was open counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from fractions import Fraction

from knowledge.consult.rules import Outcome, Rule, Totals, evaluate, passed

APPROVE = 0  # the first option (同意) is the one that approves; 弃权 only participates
UNSOLD_OWNER = "unsold"


class NonVoters(Enum):
    IGNORE = "ignore"
    MAJORITY = "majority"  # counted with the majority of those who voted (管理规约 may say so)


@dataclass(frozen=True)
class RosterEntry:
    """One household in scope, as frozen at publication."""

    household_id: int
    community: str
    building: str
    unit: str
    room: str
    area: Decimal
    owner_key: str | None
    unsold: bool

    @property
    def owner(self) -> str:
        """Who this room's headcount belongs to."""
        if self.unsold:
            return UNSOLD_OWNER
        if self.owner_key:
            return f"key:{self.owner_key}"
        return f"room:{self.household_id}"


@dataclass(frozen=True)
class VoteEvent:
    seq: int
    household_id: int
    option: int
    at: datetime
    receipt: str


@dataclass(frozen=True)
class OptionCount:
    label: str
    households: int
    owners: int
    area: Decimal


@dataclass(frozen=True)
class Tally:
    options: tuple[OptionCount, ...]
    eligible_households: int
    eligible_owners: int
    eligible_area: Decimal
    # owner → the event that counts for them
    counted: dict[str, VoteEvent]
    # household id → the event that counts for it (through its owner)
    by_household: dict[int, VoteEvent]

    @property
    def participating_households(self) -> int:
        return sum(o.households for o in self.options)

    @property
    def participating_owners(self) -> int:
        return sum(o.owners for o in self.options)

    @property
    def participating_area(self) -> Decimal:
        return sum((o.area for o in self.options), Decimal(0))

    @property
    def approving(self) -> OptionCount:
        return self.options[APPROVE]


def count_votes(
    roster: Sequence[RosterEntry],
    events: Iterable[VoteEvent],
    options: Sequence[str],
    *,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> Tally:
    """The tally from the vote events; events outside [opens_at, closes_at) are not counted."""
    rooms = {e.household_id: e for e in roster}
    owners: dict[str, list[RosterEntry]] = {}
    for entry in roster:
        owners.setdefault(entry.owner, []).append(entry)
    counted: dict[str, VoteEvent] = {}
    for event in sorted(events, key=lambda e: e.seq):
        voter = rooms.get(event.household_id)
        if voter is None or not 0 <= event.option < len(options):
            continue
        if opens_at is not None and event.at < opens_at:
            continue
        if closes_at is not None and event.at >= closes_at:
            continue
        counted[voter.owner] = event  # later events replace earlier ones
    households = [0] * len(options)
    heads = [0] * len(options)
    areas = [Decimal(0)] * len(options)
    by_household: dict[int, VoteEvent] = {}
    for owner, event in counted.items():
        held = owners[owner]
        households[event.option] += len(held)
        heads[event.option] += 1
        areas[event.option] += sum((e.area for e in held), Decimal(0))
        for e in held:
            by_household[e.household_id] = event
    return Tally(
        options=tuple(
            OptionCount(label, households[i], heads[i], areas[i])
            for i, label in enumerate(options)
        ),
        eligible_households=len(roster),
        eligible_owners=len(owners),
        eligible_area=sum((e.area for e in roster), Decimal(0)),
        counted=counted,
        by_household=by_household,
    )


@dataclass(frozen=True)
class Majority:
    """Where non-voters were counted, per axis (None: no single majority on that axis)."""

    area_option: int | None
    count_option: int | None


@dataclass(frozen=True)
class Decision:
    rule: Rule
    non_voters: NonVoters
    outcomes: tuple[Outcome, ...]  # as applied
    passed: bool
    # With the majority rule: where non-voters went, and the outcome had they been ignored.
    majority: Majority | None = None
    ignored_outcomes: tuple[Outcome, ...] | None = None
    ignored_passed: bool | None = None


def _leader(values: Sequence[Fraction]) -> int | None:
    best = max(values, default=Fraction(0))
    if best == 0:
        return None
    leaders = [i for i, v in enumerate(values) if v == best]
    return leaders[0] if len(leaders) == 1 else None


def _totals(tally: Tally) -> tuple[Totals, Totals]:
    area = Totals(
        Fraction(tally.eligible_area),
        Fraction(tally.participating_area),
        Fraction(tally.approving.area),
    )
    count = Totals(
        Fraction(tally.eligible_owners),
        Fraction(tally.participating_owners),
        Fraction(tally.approving.owners),
    )
    return area, count


def _with_majority(totals: Totals, leader: int | None) -> Totals:
    if leader is None:
        return totals
    absent = totals.eligible - totals.participating
    approving = totals.approving + (absent if leader == APPROVE else 0)
    return Totals(totals.eligible, totals.eligible, approving)


def decide(rule: Rule, tally: Tally, non_voters: NonVoters = NonVoters.IGNORE) -> Decision:
    area, count = _totals(tally)
    ignored = evaluate(rule, area, count)
    if non_voters is NonVoters.IGNORE:
        return Decision(rule, non_voters, ignored, passed(ignored))
    majority = Majority(
        area_option=_leader([Fraction(o.area) for o in tally.options]),
        count_option=_leader([Fraction(o.owners) for o in tally.options]),
    )
    applied = evaluate(
        rule,
        _with_majority(area, majority.area_option),
        _with_majority(count, majority.count_option),
    )
    return Decision(
        rule,
        non_voters,
        applied,
        passed(applied),
        majority=majority,
        ignored_outcomes=ignored,
        ignored_passed=passed(ignored),
    )
