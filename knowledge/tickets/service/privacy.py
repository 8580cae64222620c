"""Residents' data: audited exports, pseudonyms in exports, and forgetting on /leave."""

from __future__ import annotations

import hashlib
import hmac

from knowledge.tickets.service.core import TicketServiceCore
from storage import staff_repo
from storage import tickets_repo as repo

PSEUDONYM_SECRET = "resident_pseudonym"


class ResidentPrivacy(TicketServiceCore):
    """What the service does to protect residents' data."""

    async def record_export(self, staff_id: int, what: str, scope: str) -> None:
        """Audit a staff download of residents' data (/export)."""
        async with self._lock:
            await staff_repo.record_audit(self._db, staff_id, "tickets.export", what, scope)

    async def forget_user(self, user_id: int) -> None:
        """/leave: tickets keep their content, the reporter becomes 已注销居民 (id, name and
        phone cleared); follows go; needs lose their author. A block stays: leaving must not
        lift it. Inside another transaction call `storage.tickets_repo.forget_user`."""
        async with self._lock, repo.transaction(self._db):
            await repo.forget_user(self._db, user_id)

    async def resident_key(self, user_id: int | None) -> str:
        """A stable pseudonym (居民编号) for exports: HMAC of the user id with this
        deployment's secret (kept in the database); '' for none."""
        if user_id is None:
            return ""
        if self._secret is None:
            self._secret = await repo.deployment_secret(self._db, PSEUDONYM_SECRET)
        return pseudonym(self._secret, user_id)


def pseudonym(secret: bytes, user_id: int) -> str:
    """'R' and 10 hex digits of HMAC-SHA256(secret, user id): stable, not reversible."""
    digest = hmac.new(secret, str(user_id).encode("ascii"), hashlib.sha256).hexdigest()
    return f"R{digest[:10].upper()}"
