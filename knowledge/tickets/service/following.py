"""Following a ticket (同问) and merging one into another: who gets a ticket's updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from knowledge.tickets.lifecycle import FINAL_STATUSES, Action, Status
from knowledge.tickets.service.changes import TicketChanges
from knowledge.tickets.service.core import Change
from knowledge.tickets.service.refusals import Refusal, TicketRefused
from storage import ticket_blocks_repo
from storage import tickets_repo as repo
from storage.clock import utc_now
from storage.tickets_repo import Ticket


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


class TicketFollowing(TicketChanges):
    """Followers of a ticket, and merges (which close one ticket through `TicketChanges`)."""

    async def follow(self, ticket_id: int, user_id: int) -> Followed:
        """Co-sign an open ticket (同问): the user gets its updates. Blocked users refused."""
        ticket = await repo.get_ticket(self._db, ticket_id)
        if ticket is None:
            raise TicketRefused(Refusal.NOT_FOUND, "找不到这个工单")
        if await ticket_blocks_repo.get_block(self._db, user_id) is not None:
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

    async def followers(self, ticket_id: int) -> list[int]:
        return await repo.followers(self._db, ticket_id)

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
