"""The life of a ticket, 12345-style: 已受理 → 已派单 → 处理中 → 已办结 → 已评价.

A plain state machine: `transition(current, action, ...)` says which status an action
leads to, or raises `IllegalTransition` with a Chinese reason a handler can show as it is.
No Telegram, no SQL, no clock of its own: the caller passes `now`.

Side branches: 已驳回 (a reason from `RejectReason` plus text, both required) and 已关闭
(closed by staff, by a merge, or by itself when a resolved ticket is not rated within the
reopen window). The reporter may reopen a resolved or rejected ticket within the window
(7 days unless configured), with a reason; a rating of 部分解决 or 没解决 reopens it too.
A reopened ticket goes back to its assignee (已派单) when it has one, else to 已受理.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

REOPEN_WINDOW = timedelta(days=7)
MAX_NOTE = 1000
MAX_COMMENT = 500


class Status(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    RATED = "rated"
    REJECTED = "rejected"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[Status, str] = {
    Status.RECEIVED: "已受理",
    Status.ASSIGNED: "已派单",
    Status.IN_PROGRESS: "处理中",
    Status.RESOLVED: "已办结",
    Status.RATED: "已评价",
    Status.REJECTED: "已驳回",
    Status.CLOSED: "已关闭",
}

# Staff still owe the resident something: these count for 督办 and duplicate matching.
OPEN_STATUSES = frozenset({Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS})
FINAL_STATUSES = frozenset({Status.RATED, Status.CLOSED})


class Action(StrEnum):
    SUBMIT = "submit"  # the first event of every ticket (no transition: it starts received)
    ACCEPT = "accept"  # 受理: staff take it up → 处理中 (the first response)
    ASSIGN = "assign"  # 指派给我 / 指派给… → 已派单 (needs an assignee)
    REPLY = "reply"  # 回复居民: a note to the resident; the status stays
    RESOLVE = "resolve"  # 办结
    REJECT = "reject"  # 驳回 (reason + text)
    CLOSE = "close"  # staff close it (withdrawn, not ours, handled elsewhere)
    MERGE = "merge"  # closed because it was merged into another ticket
    RATE = "rate"  # the reporter's 评价
    REOPEN = "reopen"  # the reporter's 重新打开 (with a reason)
    AUTO_CLOSE = "auto_close"  # resolved and not rated within the window

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: dict[Action, str] = {
    Action.SUBMIT: "提交",
    Action.ACCEPT: "受理",
    Action.ASSIGN: "派单",
    Action.REPLY: "回复居民",
    Action.RESOLVE: "办结",
    Action.REJECT: "驳回",
    Action.CLOSE: "关闭",
    Action.MERGE: "合并",
    Action.RATE: "评价",
    Action.REOPEN: "重新打开",
    Action.AUTO_CLOSE: "超期未评价，自动关闭",
}

STAFF_ACTIONS = frozenset(
    {
        Action.ACCEPT,
        Action.ASSIGN,
        Action.REPLY,
        Action.RESOLVE,
        Action.REJECT,
        Action.CLOSE,
        Action.MERGE,
    }
)
REPORTER_ACTIONS = frozenset({Action.RATE, Action.REOPEN})
SYSTEM_ACTIONS = frozenset({Action.AUTO_CLOSE})
# Actions that count as the first response to the resident (首次响应).
RESPONSE_ACTIONS = frozenset(
    {Action.ACCEPT, Action.ASSIGN, Action.REPLY, Action.RESOLVE, Action.REJECT}
)

_OPEN = (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS)
_FROM: dict[Action, tuple[Status, ...]] = {
    Action.ACCEPT: (Status.RECEIVED, Status.ASSIGNED),
    Action.ASSIGN: _OPEN,
    Action.REPLY: _OPEN,
    Action.RESOLVE: _OPEN,
    Action.REJECT: _OPEN,
    Action.CLOSE: (*_OPEN, Status.RESOLVED, Status.REJECTED),
    Action.MERGE: _OPEN,
    Action.RATE: (Status.RESOLVED,),
    Action.REOPEN: (Status.RESOLVED, Status.REJECTED),
    Action.AUTO_CLOSE: (Status.RESOLVED,),
}


class RejectReason(StrEnum):
    NOT_OUR_DUTY = "not_our_duty"
    DUPLICATE = "duplicate"
    NOT_ENOUGH_INFO = "not_enough_info"
    NOT_A_PROBLEM = "not_a_problem"
    ALREADY_HANDLED = "already_handled"
    OTHER = "other"

    @property
    def label(self) -> str:
        return REJECT_REASON_LABELS[self]


REJECT_REASON_LABELS: dict[RejectReason, str] = {
    RejectReason.NOT_OUR_DUTY: "不属于社区职责范围",
    RejectReason.DUPLICATE: "重复反映",
    RejectReason.NOT_ENOUGH_INFO: "信息不足，无法核实",
    RejectReason.NOT_A_PROBLEM: "经核实情况不属实",
    RejectReason.ALREADY_HANDLED: "已另行处理",
    RejectReason.OTHER: "其他",
}


class RatingOutcome(StrEnum):
    SOLVED = "solved"
    PARTLY = "partly"
    NOT_SOLVED = "not_solved"

    @property
    def label(self) -> str:
        return RATING_LABELS[self]

    @property
    def reopens(self) -> bool:
        return self is not RatingOutcome.SOLVED


RATING_LABELS: dict[RatingOutcome, str] = {
    RatingOutcome.SOLVED: "解决了",
    RatingOutcome.PARTLY: "部分解决",
    RatingOutcome.NOT_SOLVED: "没解决",
}


@dataclass(frozen=True)
class Rating:
    """解决了 / 部分解决 / 没解决, 1–5 stars, an optional comment."""

    outcome: RatingOutcome
    stars: int
    comment: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.stars <= 5:
            raise IllegalTransition("评分应为 1 到 5 星")
        if len(self.comment) > MAX_COMMENT:
            raise IllegalTransition(f"评价留言最多 {MAX_COMMENT} 字")


class IllegalTransition(ValueError):
    """An action the ticket's status (or the missing details) does not allow; the message
    is Chinese, for the person who tried."""


def transition(
    current: Status,
    action: Action,
    *,
    now: datetime | None = None,
    settled_at: datetime | None = None,
    window: timedelta = REOPEN_WINDOW,
    has_assignee: bool = False,
    assignee: int | None = None,
    rating: Rating | None = None,
    reason: RejectReason | None = None,
    note: str = "",
) -> Status:
    """The status `action` leads to from `current`; raises `IllegalTransition`.

    `settled_at` is when the ticket was last resolved or rejected: RATE, REOPEN need
    `now - settled_at <= window`; AUTO_CLOSE needs it to be past. ASSIGN needs
    `assignee`; REJECT a `reason` and a `note`; REOPEN a `note`; RATE a `rating`.
    """
    if action is Action.SUBMIT:
        raise IllegalTransition("工单已提交")
    allowed = _FROM[action]
    if current not in allowed:
        raise IllegalTransition(
            f"工单当前为“{current.label}”，不能{action.label}"
            f"（可{action.label}的状态：{'、'.join(s.label for s in allowed)}）"
        )
    if len(note) > MAX_NOTE:
        raise IllegalTransition(f"说明最多 {MAX_NOTE} 字")
    match action:
        case Action.ACCEPT:
            return Status.IN_PROGRESS
        case Action.ASSIGN:
            if assignee is None:
                raise IllegalTransition("派单需要指定处理人")
            return Status.ASSIGNED
        case Action.REPLY:
            if not note.strip():
                raise IllegalTransition("回复内容不能为空")
            return current
        case Action.RESOLVE:
            return Status.RESOLVED
        case Action.REJECT:
            if reason is None or not note.strip():
                raise IllegalTransition("驳回需要选择原因并填写说明")
            return Status.REJECTED
        case Action.CLOSE | Action.MERGE:
            return Status.CLOSED
        case Action.RATE:
            if rating is None:
                raise IllegalTransition("请先选择评价")
            _within_window(now, settled_at, window, "评价")
            if rating.outcome.reopens:
                return Status.ASSIGNED if has_assignee else Status.RECEIVED
            return Status.RATED
        case Action.REOPEN:
            if not note.strip():
                raise IllegalTransition("重新打开需要说明原因")
            _within_window(now, settled_at, window, "重新打开")
            return Status.ASSIGNED if has_assignee else Status.RECEIVED
        case Action.AUTO_CLOSE:
            if not window_passed(now, settled_at, window):
                raise IllegalTransition("评价期限未到，不能自动关闭")
            return Status.CLOSED
    raise IllegalTransition(f"未知操作 {action}")  # pragma: no cover - the match is total


def allowed_from(action: Action) -> tuple[Status, ...]:
    """The statuses `action` may start from (SUBMIT: none)."""
    return _FROM.get(action, ())


def window_passed(now: datetime | None, settled_at: datetime | None, window: timedelta) -> bool:
    if now is None or settled_at is None:
        raise ValueError("now and settled_at are needed to check the reopen window")
    return now - settled_at > window


def _within_window(
    now: datetime | None, settled_at: datetime | None, window: timedelta, what: str
) -> None:
    if window_passed(now, settled_at, window):
        days = window.days if window.days else round(window.total_seconds() / 86400, 1)
        raise IllegalTransition(f"已超过 {days} 天期限，不能再{what}；如有问题请重新反映")
