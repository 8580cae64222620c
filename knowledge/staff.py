"""Who is staff: administrators from the configuration plus staff added in chat.

Read on every update that shows staff help or checks a right, so the roster is kept in
memory and changed only through this class, which writes the table and the cache together.
"""

from __future__ import annotations

import aiosqlite

from storage import staff_repo


class StaffDirectory:
    def __init__(self, admin_ids: frozenset[int]) -> None:
        self.admin_ids = admin_ids
        self._added: set[int] = set()

    async def load(self, conn: aiosqlite.Connection) -> None:
        self._added = {m.user_id for m in await staff_repo.list_staff(conn)}

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    def is_staff(self, user_id: int | None) -> bool:
        return user_id is not None and (user_id in self.admin_ids or user_id in self._added)

    async def add(self, conn: aiosqlite.Connection, user_id: int, added_by: int) -> bool:
        """False when they already were staff (or are an administrator)."""
        if self.is_admin(user_id) or not await staff_repo.add_staff(conn, user_id, added_by):
            return False
        self._added.add(user_id)
        await staff_repo.record_audit(conn, added_by, "staff.add", str(user_id))
        return True

    async def remove(self, conn: aiosqlite.Connection, user_id: int, removed_by: int) -> bool:
        removed = await staff_repo.remove_staff(conn, user_id)
        self._added.discard(user_id)
        if removed:
            await staff_repo.record_audit(conn, removed_by, "staff.remove", str(user_id))
        return removed
