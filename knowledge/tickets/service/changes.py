"""Applying lifecycle actions: who may act, the transition and its event, the derived
fields, whom to tell; and the daily auto-close of unrated tickets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from knowledge.tickets.lifecycle import (
    REPORTER_ACTIONS,
    RESPONSE_ACTIONS,
    STAFF_ACTIONS,
    SYSTEM_ACTIONS,
    Action,
    Rating,
    RejectReason,
    Status,
    transition,
)
from knowledge.tickets.service.core import Change, TicketServiceCore
from knowledge.tickets.service.refusals import Refusal, TicketRefused
from storage import ticket_blocks_repo
from storage import tickets_repo as repo
from storage.tickets_repo import Ticket

DEFAULT_RESOLVE = timedelta(days=5)


class TicketChanges(TicketServiceCore):
    """Every status change goes through here (`lifecycle.transition`), recorded as an event."""

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
                and await ticket_blocks_repo.get_block(self._db, actor_id) is not None
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

    async def audience(self, ticket: Ticket, *, exclude: int | None = None) -> tuple[int, ...]:
        """Reporter (when known) + followers, without `exclude`: whom to tell of a change."""
        people = [ticket.reporter_id] if ticket.reporter_id is not None else []
        people += await repo.followers(self._db, ticket.id)
        return tuple(dict.fromkeys(p for p in people if p != exclude))

    def can_still_answer(self, ticket: Ticket, now: datetime | None = None) -> bool:
        """Whether the reporter may still rate or reopen (resolved or rejected, within the
        window): a button under an old notification is refused at once when not."""
        if Status(ticket.status) not in (Status.RESOLVED, Status.REJECTED):
            return False
        if ticket.settled_at is None:
            return False
        return self._now(now) - ticket.settled_at <= self.reopen_window

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
