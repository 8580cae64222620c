"""Voting: eligibility checked on every press, one vote per owner, and the receipts.

Eligibility is checked from the database as it is now: an account linked as owner
(active) to a household in the frozen scope, while opens_at ≤ now < closes_at and the
consultation is not closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from knowledge.consult import chain
from knowledge.consult.lifecycle import ConsultLifecycle, iso, roster_entry, when
from knowledge.consult.tally import RosterEntry
from storage import consult_votes_repo as votes_repo
from storage import consultations_repo as repo


class Refusal(Enum):
    NOT_FOUND = "not_found"
    NOT_PUBLISHED = "not_published"
    NOT_OPEN_YET = "not_open_yet"
    CLOSED = "closed"
    NOT_LINKED = "not_linked"
    NOT_OWNER = "not_owner"
    OUT_OF_SCOPE = "out_of_scope"
    BAD_OPTION = "bad_option"


@dataclass(frozen=True)
class Receipt:
    consultation_id: int
    household: RosterEntry
    option: str
    at: datetime
    code: str
    changed: bool  # an earlier vote of this owner was replaced


class Voting(ConsultLifecycle):
    async def vote(
        self, cid: int, user_id: int, option: int, via_chat: int | None = None
    ) -> list[Receipt] | Refusal:
        """Cast (or change) the vote of every owner the user speaks for in scope."""
        conn = await self.database.get()
        record = await repo.get_consultation(conn, cid)
        if record is None:
            return Refusal.NOT_FOUND
        now = self.now()
        if record.status == "closed" or now >= when(record.closes_at):
            return Refusal.CLOSED
        if record.status != "published":
            return Refusal.NOT_PUBLISHED
        if now < when(record.opens_at):
            return Refusal.NOT_OPEN_YET
        if not 0 <= option < len(record.options):
            return Refusal.BAD_OPTION
        links = await votes_repo.linked_roles(conn, user_id)
        if not links:
            return Refusal.NOT_LINKED
        owned = [hid for hid, role in links if role == "owner"]
        if not owned:
            return Refusal.NOT_OWNER
        in_scope = await votes_repo.in_roster(conn, cid, owned)
        if not in_scope:
            return Refusal.OUT_OF_SCOPE
        rows = await votes_repo.roster_rows(conn, cid, sorted(in_scope))
        roster = {r.household_id: roster_entry(r) for r in rows}
        before = {
            roster[r.household_id].owner
            for r in rows
            if await votes_repo.owner_has_voted(conn, cid, r)
        }
        receipts: list[Receipt] = []
        speaks_for: dict[str, RosterEntry] = {}
        for hid in sorted(in_scope):
            speaks_for.setdefault(roster[hid].owner, roster[hid])
        label = record.options[option]
        at = iso(now)
        for owner, entry in speaks_for.items():

            def hasher(seq: int, previous: str, entry: RosterEntry = entry) -> str:
                content = chain.event_content(cid, seq, entry.household_id, label, at)
                return chain.link(previous, content)

            row = await votes_repo.append_vote(
                conn,
                cid,
                household_id=entry.household_id,
                option=label,
                at=at,
                user_id=user_id,
                via_chat=via_chat,
                hasher=hasher,
            )
            if row is None:
                return Refusal.CLOSED
            receipts.append(
                Receipt(cid, entry, label, now, chain.receipt_code(row.hash), owner in before)
            )
        return receipts
