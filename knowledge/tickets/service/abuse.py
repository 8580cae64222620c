"""Blocking residents who abuse the ticket channels (audited)."""

from __future__ import annotations

from knowledge.tickets.service.core import TicketServiceCore
from storage import staff_repo, ticket_blocks_repo
from storage import tickets_repo as repo
from storage.clock import utc_now


class TicketAbuse(TicketServiceCore):
    """Blocks: a blocked user may not submit, follow or act as a resident."""

    async def block(self, user_id: int, *, staff_id: int, reason: str = "") -> bool:
        """Refuse everything from `user_id` (audited); False when already blocked."""
        async with self._lock, repo.transaction(self._db):
            done = await ticket_blocks_repo.block_user(
                self._db, user_id, staff_id, utc_now(), reason[:200]
            )
            if done:
                await staff_repo.record_audit(
                    self._db, staff_id, "tickets.block", str(user_id), reason[:200] or None
                )
        return done

    async def unblock(self, user_id: int, *, staff_id: int) -> bool:
        """Lift a block (audited); False when not blocked."""
        async with self._lock, repo.transaction(self._db):
            done = await ticket_blocks_repo.unblock_user(self._db, user_id)
            if done:
                await staff_repo.record_audit(self._db, staff_id, "tickets.unblock", str(user_id))
        return done

    async def is_blocked(self, user_id: int) -> bool:
        return await ticket_blocks_repo.get_block(self._db, user_id) is not None
