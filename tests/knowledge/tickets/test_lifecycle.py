"""The ticket state machine: every (status, action) pair, the reopen window, auto-close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from knowledge.tickets.lifecycle import (
    Action,
    IllegalTransition,
    Rating,
    RatingOutcome,
    RejectReason,
    Status,
    transition,
)

S = Status
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SETTLED = NOW - timedelta(days=1)

# The specification, written out independently of the module: action → {from: to}.
# RATE (解决了) and REOPEN land in ASSIGNED because the kwargs below give an assignee.
LEGAL: dict[Action, dict[Status, Status]] = {
    Action.ACCEPT: {S.RECEIVED: S.IN_PROGRESS, S.ASSIGNED: S.IN_PROGRESS},
    Action.ASSIGN: {s: S.ASSIGNED for s in (S.RECEIVED, S.ASSIGNED, S.IN_PROGRESS)},
    Action.REPLY: {s: s for s in (S.RECEIVED, S.ASSIGNED, S.IN_PROGRESS)},
    Action.RESOLVE: {s: S.RESOLVED for s in (S.RECEIVED, S.ASSIGNED, S.IN_PROGRESS)},
    Action.REJECT: {s: S.REJECTED for s in (S.RECEIVED, S.ASSIGNED, S.IN_PROGRESS)},
    Action.CLOSE: {
        s: S.CLOSED for s in (S.RECEIVED, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.REJECTED)
    },
    Action.MERGE: {s: S.CLOSED for s in (S.RECEIVED, S.ASSIGNED, S.IN_PROGRESS)},
    Action.RATE: {S.RESOLVED: S.RATED},
    Action.REOPEN: {S.RESOLVED: S.ASSIGNED, S.REJECTED: S.ASSIGNED},
    Action.AUTO_CLOSE: {S.RESOLVED: S.CLOSED},
}


def _kwargs(action: Action) -> dict[str, object]:
    settled = NOW - timedelta(days=8) if action is Action.AUTO_CLOSE else SETTLED
    return {
        "now": NOW,
        "settled_at": settled,
        "has_assignee": True,
        "assignee": 42,
        "rating": Rating(RatingOutcome.SOLVED, 5),
        "reason": RejectReason.OTHER,
        "note": "说明",
    }


CASES = [(status, action) for action in LEGAL for status in Status]


@pytest.mark.parametrize(("status", "action"), CASES)
def test_every_pair(status: Status, action: Action) -> None:
    expected = LEGAL[action].get(status)
    if expected is None:
        with pytest.raises(IllegalTransition, match=status.label):
            transition(status, action, **_kwargs(action))  # type: ignore[arg-type]
    else:
        assert transition(status, action, **_kwargs(action)) == expected  # type: ignore[arg-type]


def test_submit_is_not_a_transition() -> None:
    with pytest.raises(IllegalTransition):
        transition(S.RECEIVED, Action.SUBMIT)


@pytest.mark.parametrize("outcome", [RatingOutcome.PARTLY, RatingOutcome.NOT_SOLVED])
@pytest.mark.parametrize(("has_assignee", "back_to"), [(True, S.ASSIGNED), (False, S.RECEIVED)])
def test_unsatisfied_rating_reopens(
    outcome: RatingOutcome, has_assignee: bool, back_to: Status
) -> None:
    got = transition(
        S.RESOLVED,
        Action.RATE,
        now=NOW,
        settled_at=SETTLED,
        has_assignee=has_assignee,
        rating=Rating(outcome, 2),
    )
    assert got == back_to


def test_reject_needs_reason_and_text() -> None:
    with pytest.raises(IllegalTransition, match="原因"):
        transition(S.RECEIVED, Action.REJECT, note="不归我们管")
    with pytest.raises(IllegalTransition, match="原因"):
        transition(S.RECEIVED, Action.REJECT, reason=RejectReason.NOT_OUR_DUTY, note="  ")
    assert (
        transition(S.RECEIVED, Action.REJECT, reason=RejectReason.NOT_OUR_DUTY, note="属物业")
        == S.REJECTED
    )


def test_assign_needs_assignee_and_reply_needs_text() -> None:
    with pytest.raises(IllegalTransition, match="处理人"):
        transition(S.RECEIVED, Action.ASSIGN)
    with pytest.raises(IllegalTransition, match="回复"):
        transition(S.RECEIVED, Action.REPLY, note="")


@pytest.mark.parametrize("action", [Action.REOPEN, Action.RATE])
@pytest.mark.parametrize(
    ("age", "ok"),
    [
        (timedelta(days=7), True),  # the last moment of the window still counts
        (timedelta(days=7, seconds=1), False),
        (timedelta(hours=1), True),
    ],
)
def test_reopen_window(action: Action, age: timedelta, ok: bool) -> None:
    kwargs: dict[str, object] = {
        "now": NOW,
        "settled_at": NOW - age,
        "note": "还是没修好",
        "rating": Rating(RatingOutcome.SOLVED, 4),
    }
    if ok:
        transition(S.RESOLVED, action, **kwargs)  # type: ignore[arg-type]
    else:
        with pytest.raises(IllegalTransition, match="7 天"):
            transition(S.RESOLVED, action, **kwargs)  # type: ignore[arg-type]


def test_reopen_window_is_configurable() -> None:
    with pytest.raises(IllegalTransition, match="3 天"):
        transition(
            S.REJECTED,
            Action.REOPEN,
            now=NOW,
            settled_at=NOW - timedelta(days=4),
            window=timedelta(days=3),
            note="再看看",
        )


def test_reopen_needs_a_reason() -> None:
    with pytest.raises(IllegalTransition, match="原因"):
        transition(S.RESOLVED, Action.REOPEN, now=NOW, settled_at=SETTLED)


def test_auto_close_only_after_the_window() -> None:
    with pytest.raises(IllegalTransition, match="期限未到"):
        transition(S.RESOLVED, Action.AUTO_CLOSE, now=NOW, settled_at=NOW - timedelta(days=6))
    assert (
        transition(S.RESOLVED, Action.AUTO_CLOSE, now=NOW, settled_at=NOW - timedelta(days=8))
        == S.CLOSED
    )


@pytest.mark.parametrize("stars", [0, 6])
def test_stars_are_one_to_five(stars: int) -> None:
    with pytest.raises(IllegalTransition, match="1 到 5"):
        Rating(RatingOutcome.SOLVED, stars)


def test_labels_are_chinese() -> None:
    assert [s.label for s in Status] == [
        "已受理",
        "已派单",
        "处理中",
        "已办结",
        "已评价",
        "已驳回",
        "已关闭",
    ]
