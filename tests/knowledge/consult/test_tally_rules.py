"""Every rule at and around its boundaries, and the headcount of the SPC interpretation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from knowledge.consult import chain
from knowledge.consult.record import result_json
from knowledge.consult.rules import RuleError, parse_fraction, parse_rule
from knowledge.consult.tally import NonVoters, RosterEntry, VoteEvent, count_votes, decide
from knowledge.consult.wording import add_working_days, publicity_period

T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
AGREE, AGAINST, ABSTAIN = 0, 1, 2
OPTIONS = ("同意", "不同意", "弃权")


def room(hid: int, area: str = "100", key: str | None = None, unsold: bool = False) -> RosterEntry:
    return RosterEntry(hid, "幸福小区", "3", "1", str(100 + hid), Decimal(area), key, unsold)


def votes(*pairs: tuple[int, int]) -> list[VoteEvent]:
    return [
        VoteEvent(i, hid, option, T0 + timedelta(minutes=i), f"R{i}")
        for i, (hid, option) in enumerate(pairs, 1)
    ]


def outcome(rule: str, roster: list[RosterEntry], events: list[VoteEvent], nv: str = "ignore"):
    tally = count_votes(roster, events, OPTIONS)
    return tally, decide(parse_rule(rule), tally, NonVoters(nv))


def by_key(decision) -> dict[str, bool]:
    return {o.threshold.key: o.passed for o in decision.outcomes}


# --- double-two-thirds: ≥ 2/3 of all area and all owners approve ------------------------


def test_exactly_two_thirds_passes_and_one_short_fails() -> None:
    roster = [room(i) for i in range(1, 4)]
    _, d = outcome("double-two-thirds", roster, votes((1, AGREE), (2, AGREE)))
    assert d.passed
    assert [o.measured.text() for o in d.outcomes] == ["2/3", "2/3"]
    _, d = outcome("double-two-thirds", roster, votes((1, AGREE), (2, AGAINST)))
    assert not d.passed


def test_area_passes_but_headcount_fails_and_the_reverse() -> None:
    roster = [room(1, "200"), room(2, "50"), room(3, "50")]
    _, d = outcome("double-two-thirds", roster, votes((1, AGREE)))
    assert by_key(d) == {"all-area": True, "all-count": False}
    assert not d.passed
    _, d = outcome("double-two-thirds", roster, votes((2, AGREE), (3, AGREE)))
    assert by_key(d) == {"all-area": False, "all-count": True}
    assert not d.passed


# --- civil code -----------------------------------------------------------------------


def test_major_participation_exactly_two_thirds_and_approval_exactly_three_quarters() -> None:
    roster = [room(i) for i in range(1, 13)]  # 12 owners, 1200 m²
    # 8 of 12 take part (2/3): 6 agree (3/4 of 8).
    cast = [(i, AGREE) for i in range(1, 7)] + [(7, AGAINST), (8, ABSTAIN)]
    _, d = outcome("civil-code-major", roster, votes(*cast))
    assert d.passed, [o.measured.text() for o in d.outcomes]
    # One fewer approving: 5/8 < 3/4.
    cast[5] = (6, AGAINST)
    _, d = outcome("civil-code-major", roster, votes(*cast))
    assert by_key(d) == {"p-area": True, "p-count": True, "a-area": False, "a-count": False}
    # One fewer participating: 7/12 < 2/3.
    _, d = outcome("civil-code-major", roster, votes(*cast[:7]))
    assert by_key(d)["p-count"] is False


def test_general_needs_more_than_half() -> None:
    roster = [room(i) for i in range(1, 4)]
    _, d = outcome("civil-code-general", roster, votes((1, AGREE), (2, AGAINST)))
    assert by_key(d)["a-count"] is False  # exactly 1/2 is not more than half
    _, d = outcome("civil-code-general", roster, votes((1, AGREE), (2, AGREE)))
    assert d.passed


def test_all_abstain_participates_without_approving() -> None:
    roster = [room(i) for i in range(1, 4)]
    tally, d = outcome("civil-code-general", roster, votes(*[(i, ABSTAIN) for i in (1, 2, 3)]))
    assert tally.participating_owners == 3
    assert by_key(d) == {"p-area": True, "p-count": True, "a-area": False, "a-count": False}


def test_zero_participation_fails_without_dividing_by_zero() -> None:
    roster = [room(i) for i in range(1, 4)]
    tally, d = outcome("civil-code-major", roster, [])
    assert not d.passed
    assert [o.measured.text() for o in d.outcomes] == ["0/1", "0/1", "0/0", "0/0"]
    assert result_json(1, "closed", tally, d)["participating"] == {"households": 0, "area": "0.00"}


# --- representatives-60: > 60% of those voting, headcount only -----------------------


def test_representatives_sixty_percent_is_not_enough() -> None:
    roster = [room(i, str(10 * i)) for i in range(1, 6)]
    _, d = outcome("representatives-60", roster, votes(*[(i, AGREE) for i in (1, 2, 3)],
                                                      (4, AGAINST), (5, AGAINST)))  # fmt: skip
    assert [o.measured.text() for o in d.outcomes] == ["3/5"]
    assert not d.passed
    _, d = outcome("representatives-60", roster, votes(*[(i, AGREE) for i in (1, 2, 3, 4)],
                                                      (5, AGAINST)))  # fmt: skip
    assert d.passed


# --- custom -----------------------------------------------------------------------------


def test_custom_rule_parses_and_compares() -> None:
    rule = parse_rule("custom:p-count>=50%,a-area>0.5")
    assert rule.name == "custom:p-count>=1/2,a-area>1/2"
    roster = [room(1, "60"), room(2, "40")]
    _, d = decide_with(rule.name, roster, votes((1, AGREE), (2, AGAINST)))
    assert d.passed
    with pytest.raises(RuleError):
        parse_rule("custom:x-area>1/2")
    with pytest.raises(RuleError):
        parse_rule("custom:p-area>3/2")
    assert parse_fraction("2/3") == Fraction(2, 3)


def decide_with(rule: str, roster: list[RosterEntry], events: list[VoteEvent]):
    return outcome(rule, roster, events)


# --- headcount: co-owners, vote changes, several flats, unsold -------------------------


def test_co_owners_voting_twice_and_a_vote_change_count_once() -> None:
    roster = [room(1), room(2)]
    tally, _ = outcome("civil-code-general", roster, votes((1, AGREE), (1, AGAINST)))
    assert tally.participating_owners == 1
    assert [o.owners for o in tally.options] == [0, 1, 0]
    assert tally.by_household[1].seq == 2  # the latest counts


def test_vote_after_the_deadline_is_not_counted() -> None:
    roster = [room(1)]
    events = votes((1, AGREE), (1, AGAINST))
    tally = count_votes(roster, events, OPTIONS, closes_at=events[1].at)
    assert [o.owners for o in tally.options] == [1, 0, 0]


def test_one_owner_of_several_flats_counts_once_with_all_area() -> None:
    roster = [room(1, "80", key="A"), room(2, "70", key="A"), room(3, "100")]
    tally, d = outcome("double-two-thirds", roster, votes((2, AGREE)))
    assert tally.eligible_owners == 2
    assert tally.eligible_households == 3
    agree = tally.options[AGREE]
    assert (agree.owners, agree.households, agree.area) == (1, 2, Decimal("150"))
    assert by_key(d) == {"all-area": False, "all-count": False}  # 150/250, 1/2


def test_unsold_units_count_as_one_owner() -> None:
    roster = [room(1, "50", unsold=True), room(2, "50", unsold=True), room(3, "90")]
    tally, _ = outcome("civil-code-general", roster, [])
    assert tally.eligible_owners == 2
    assert tally.eligible_area == Decimal("190")


# --- non-voters -------------------------------------------------------------------------


def test_non_voters_with_the_majority_shows_both_outcomes() -> None:
    roster = [room(i) for i in range(1, 11)]
    cast = votes((1, AGREE), (2, AGREE), (3, AGREE), (4, AGAINST))
    _, ignored = outcome("civil-code-general", roster, cast)
    assert not ignored.passed  # 4/10 participated
    _, applied = outcome("civil-code-general", roster, cast, "majority")
    assert applied.passed
    assert applied.majority is not None
    assert applied.majority.count_option == AGREE
    assert applied.ignored_passed is False
    assert [o.measured.text() for o in applied.outcomes] == ["1/1", "1/1", "9/10", "9/10"]


def test_non_voters_majority_tie_is_not_applied() -> None:
    roster = [room(i) for i in range(1, 5)]
    _, d = outcome("civil-code-general", roster, votes((1, AGREE), (2, AGAINST)), "majority")
    assert d.majority is not None
    assert d.majority.count_option is None
    assert not d.passed


# --- chain ------------------------------------------------------------------------------


def _chain(n: int) -> tuple[str, list[chain.ChainedEvent]]:
    start = chain.genesis({"id": 1})
    previous, events = start, []
    for seq in range(1, n + 1):
        content = chain.event_content(1, seq, seq, "同意", f"2025-06-02T08:0{seq}:00+00:00")
        digest = chain.link(previous, content)
        events.append(chain.ChainedEvent(seq, content, previous, digest))
        previous = digest
    return start, events


def test_chain_verifies_and_names_the_first_tampered_event() -> None:
    start, events = _chain(4)
    assert chain.verify_chain(start, events) is None
    altered = dict(events[2].content, option="不同意")
    events[2] = chain.ChainedEvent(3, altered, events[2].prev_hash, events[2].hash)
    problem = chain.verify_chain(start, events)
    assert problem is not None
    assert problem.seq == 3


def test_chain_detects_a_removed_event() -> None:
    start, events = _chain(3)
    problem = chain.verify_chain(start, [events[0], events[2]])
    assert problem is not None
    assert problem.seq == 3


def test_receipt_code_shape() -> None:
    assert chain.receipt_code("abcdef0123") == "ABCD-EF01"


# --- public notice period -----------------------------------------------------------------


def test_publicity_skips_weekends() -> None:
    friday = datetime(2025, 6, 6, tzinfo=UTC).date()
    first, last = publicity_period(friday)
    assert (first.isoformat(), last.isoformat()) == ("2025-06-09", "2025-06-13")
    assert add_working_days(datetime(2025, 6, 7, tzinfo=UTC).date(), 1).isoformat() == "2025-06-09"
