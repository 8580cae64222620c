"""The life of a consultation: create, publish (freezing the roster), tally and close.

No Telegram and no SQL here; `storage.consultations_repo` holds the rows. Voting is in
`knowledge.consult.voting`, verification and the record in `knowledge.consult.audit`;
`knowledge.consult.service.ConsultService` is the one object the handlers and the CLI use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from knowledge.consult import chain
from knowledge.consult.record import result_json
from knowledge.consult.rules import Rule, parse_rule
from knowledge.consult.scope import parse_scope, scope_spec
from knowledge.consult.tally import (
    Decision,
    NonVoters,
    RosterEntry,
    Tally,
    VoteEvent,
    count_votes,
    decide,
)
from storage import consult_votes_repo as votes_repo
from storage import consultations_repo as repo
from storage.clock import utc_now
from storage.consultations_repo import ConsultationRecord, NewConsultation, RosterRow
from storage.db import DatabaseHandle
from storage.households_repo import all_households

DEFAULT_OPTIONS = ("同意", "不同意", "弃权")


class ConsultError(ValueError):
    """Bad input to create or publish (message in English for the CLI)."""


@dataclass(frozen=True)
class Draft:
    title: str
    question: str
    scope: str
    rule: str
    opens_at: datetime
    closes_at: datetime
    options: tuple[str, ...] = DEFAULT_OPTIONS
    non_voters: NonVoters = NonVoters.IGNORE
    show_tally: bool = False


@dataclass(frozen=True)
class Result:
    record: ConsultationRecord
    rule: Rule
    tally: Tally
    decision: Decision
    final_hash: str | None

    def as_json(self) -> dict[str, Any]:
        return result_json(self.record.id, self.record.status, self.tally, self.decision)


def when(stored: str) -> datetime:
    return datetime.fromisoformat(stored)


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ConsultError("times must be timezone-aware")
    return moment.isoformat(timespec="seconds")


def roster_entry(row: RosterRow) -> RosterEntry:
    area = (Decimal(row.area_centi) / 100).quantize(Decimal("0.01"))
    return RosterEntry(
        row.household_id,
        row.community,
        row.building,
        row.unit,
        row.room,
        area,
        row.owner_key,
        row.unsold,
    )


def definition(record: ConsultationRecord, rows: list[RosterRow]) -> dict[str, Any]:
    return {
        "id": record.id,
        "title": record.title,
        "question": record.question,
        "options": list(record.options),
        "scope": record.scope,
        "rule": record.rule,
        "non_voters": record.non_voters,
        "opens_at": record.opens_at,
        "closes_at": record.closes_at,
        "roster": [
            [
                r.household_id,
                r.community,
                r.building,
                r.unit,
                r.room,
                r.area_centi,
                r.owner_key,
                int(r.unsold),
            ]
            for r in rows
        ],
    }


@dataclass
class ConsultLifecycle:
    database: DatabaseHandle
    now: Callable[[], datetime] = utc_now

    async def create(self, draft: Draft, created_by: int) -> int:
        rule = parse_rule(draft.rule)
        scope = scope_spec(parse_scope(draft.scope))
        options = tuple(o.strip() for o in draft.options if o.strip())
        if not draft.title.strip() or len(options) < 2 or len(set(options)) != len(options):
            raise ConsultError("a title and at least two distinct options are needed")
        if draft.closes_at <= draft.opens_at:
            raise ConsultError("the closing time must be after the opening time")
        conn = await self.database.get()
        return await repo.insert_consultation(
            conn,
            NewConsultation(
                title=draft.title.strip(),
                question=(draft.question or draft.title).strip(),
                options=options,
                scope=scope,
                rule=rule.name,
                non_voters=draft.non_voters.value,
                show_tally=draft.show_tally,
                opens_at=iso(draft.opens_at),
                closes_at=iso(draft.closes_at),
                created_by=created_by,
                created_at=iso(self.now()),
            ),
        )

    async def get(self, cid: int) -> ConsultationRecord | None:
        return await repo.get_consultation(await self.database.get(), cid)

    async def list_all(self, statuses: tuple[str, ...] | None = None) -> list[ConsultationRecord]:
        return await repo.list_consultations(await self.database.get(), statuses)

    async def publish(self, cid: int, target: str | None = None) -> ConsultationRecord:
        """Freeze the households in scope and open the consultation for votes."""
        conn = await self.database.get()
        record = await repo.get_consultation(conn, cid)
        if record is None:
            raise ConsultError(f"no consultation #{cid}")
        if record.status != "draft":
            raise ConsultError(f"consultation #{cid} is already {record.status}")
        rows: dict[int, RosterRow] = {}
        for part in parse_scope(record.scope):
            for h in await all_households(conn, part.community, part.building):
                rows[h.id] = RosterRow(
                    h.id,
                    h.community,
                    h.building,
                    h.unit,
                    h.room,
                    int(h.area * 100),
                    h.owner_key,
                    h.unsold,
                )
        roster = sorted(rows.values(), key=lambda r: r.household_id)
        if not roster:
            raise ConsultError(f"no households in scope {record.scope}")
        start = chain.genesis(definition(record, roster))
        if not await repo.publish(
            conn, cid, target=target, at=iso(self.now()), roster=roster, genesis_hash=start
        ):
            raise ConsultError(f"consultation #{cid} was published meanwhile")
        published = await repo.get_consultation(conn, cid)
        assert published is not None
        return published

    async def roster(self, cid: int) -> list[RosterEntry]:
        return [roster_entry(r) for r in await repo.roster(await self.database.get(), cid)]

    async def tally(self, cid: int) -> Result | None:
        """The tally as it stands (or as it was at the close)."""
        conn = await self.database.get()
        record = await repo.get_consultation(conn, cid)
        if record is None:
            return None
        return await self._result(record)

    async def _result(self, record: ConsultationRecord) -> Result:
        conn = await self.database.get()
        roster = await self.roster(record.id)
        options = {label: i for i, label in enumerate(record.options)}
        events = [
            VoteEvent(
                r.seq,
                r.household_id,
                options.get(r.option, -1),
                when(r.cast_at),
                chain.receipt_code(r.hash),
            )
            for r in await votes_repo.votes(conn, record.id)
        ]
        counted = count_votes(
            roster,
            events,
            record.options,
            opens_at=when(record.opens_at),
            closes_at=when(record.closes_at),
        )
        rule = parse_rule(record.rule)
        decision = decide(rule, counted, NonVoters(record.non_voters))
        final = record.final_hash if record.status == "closed" else record.head_hash
        return Result(record, rule, counted, decision, final)

    async def close(self, cid: int, by: int | None, *, early: bool) -> Result | None:
        """Close once (at the deadline or early); None when there is no such consultation.

        Closing again returns the stored result unchanged.
        """
        conn = await self.database.get()
        record = await repo.get_consultation(conn, cid)
        if record is None:
            return None
        if record.status == "closed":
            return await self._result(record)
        now = self.now()
        # An early close keeps closes_at as announced: no vote can follow a closed status.
        result = await self._result(record)
        reason = "early" if early and now < when(record.closes_at) else "deadline"
        payload = json.dumps(result.as_json() | {"status": "closed"}, ensure_ascii=False)
        await repo.close(
            conn,
            cid,
            at=iso(now),
            by=by,
            reason=reason,
            final_hash=record.head_hash,
            result=payload,
        )
        closed = await repo.get_consultation(conn, cid)
        assert closed is not None
        return await self._result(closed)
