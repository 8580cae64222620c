"""Consultations over the register: create, publish, vote, close, result, verify.

No Telegram and no SQL here: the bot's handlers and the CLI both call this service, and
the service asks `storage.consultations_repo`. Eligibility is checked on every vote, from
the database as it is now: an account linked as owner (active) to a household in the
frozen scope, while opens_at ≤ now < closes_at and the consultation is not closed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from enum import Enum
from typing import Any

from knowledge.consult import chain
from knowledge.consult import record as record_rows
from knowledge.consult.record import RecordContext, result_json
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
from knowledge.consult.wording import NON_VOTER_NAMES, decision_lines, rule_name
from storage import consultations_repo as repo
from storage.clock import utc_now
from storage.consultations_repo import ConsultationRecord, NewConsultation, RosterRow
from storage.db import DatabaseHandle
from storage.households_repo import all_households

DEFAULT_OPTIONS = ("同意", "不同意", "弃权")
EARLY = "（提前结束）"
OPT_IN_TOPIC = "业主征询"  # residents who agreed to be told of consultations in private


class Refusal(Enum):
    NOT_FOUND = "not_found"
    NOT_PUBLISHED = "not_published"
    NOT_OPEN_YET = "not_open_yet"
    CLOSED = "closed"
    NOT_LINKED = "not_linked"
    NOT_OWNER = "not_owner"
    OUT_OF_SCOPE = "out_of_scope"
    BAD_OPTION = "bad_option"


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
class Receipt:
    consultation_id: int
    household: RosterEntry
    option: str
    at: datetime
    code: str
    changed: bool  # an earlier vote of this owner was replaced


@dataclass(frozen=True)
class Result:
    record: ConsultationRecord
    rule: Rule
    tally: Tally
    decision: Decision
    final_hash: str | None

    def as_json(self) -> dict[str, Any]:
        return result_json(self.record.id, self.record.status, self.tally, self.decision)


@dataclass(frozen=True)
class Record:
    context: RecordContext
    result: Result
    lines: list[str]
    votes: list[tuple[str, str, str, str, str, str, str]]
    history: list[tuple[int, str, str, str, str, str, str, str]]


@dataclass(frozen=True)
class Verification:
    ok: bool
    problem: str | None = None
    seq: int | None = None  # the first bad event, when one is to blame


def when(stored: str) -> datetime:
    return datetime.fromisoformat(stored)


def _iso(moment: datetime) -> str:
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


def _definition(record: ConsultationRecord, rows: list[RosterRow]) -> dict[str, Any]:
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
class ConsultService:
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
                opens_at=_iso(draft.opens_at),
                closes_at=_iso(draft.closes_at),
                created_by=created_by,
                created_at=_iso(self.now()),
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
        start = chain.genesis(_definition(record, roster))
        if not await repo.publish(
            conn, cid, target=target, at=_iso(self.now()), roster=roster, genesis_hash=start
        ):
            raise ConsultError(f"consultation #{cid} was published meanwhile")
        published = await repo.get_consultation(conn, cid)
        assert published is not None
        return published

    async def roster(self, cid: int) -> list[RosterEntry]:
        return [roster_entry(r) for r in await repo.roster(await self.database.get(), cid)]

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
        links = await repo.linked_roles(conn, user_id)
        if not links:
            return Refusal.NOT_LINKED
        owned = [hid for hid, role in links if role == "owner"]
        if not owned:
            return Refusal.NOT_OWNER
        in_scope = await repo.in_roster(conn, cid, owned)
        if not in_scope:
            return Refusal.OUT_OF_SCOPE
        rows = await repo.roster_rows(conn, cid, sorted(in_scope))
        roster = {r.household_id: roster_entry(r) for r in rows}
        before = {
            roster[r.household_id].owner for r in rows if await repo.owner_has_voted(conn, cid, r)
        }
        receipts: list[Receipt] = []
        speaks_for: dict[str, RosterEntry] = {}
        for hid in sorted(in_scope):
            speaks_for.setdefault(roster[hid].owner, roster[hid])
        label = record.options[option]
        at = _iso(now)
        for owner, entry in speaks_for.items():

            def hasher(seq: int, previous: str, entry: RosterEntry = entry) -> str:
                content = chain.event_content(cid, seq, entry.household_id, label, at)
                return chain.link(previous, content)

            row = await repo.append_vote(
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
            for r in await repo.votes(conn, record.id)
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
            at=_iso(now),
            by=by,
            reason=reason,
            final_hash=record.head_hash,
            result=payload,
        )
        closed = await repo.get_consultation(conn, cid)
        assert closed is not None
        return await self._result(closed)

    async def verify(self, cid: int) -> Verification:
        """Recompute the chain and the tally from the events; name the first bad one."""
        conn = await self.database.get()
        record = await repo.get_consultation(conn, cid)
        if record is None:
            return Verification(False, f"no consultation #{cid}")
        if record.status == "draft":
            return Verification(True)
        rows = await repo.roster(conn, cid)
        start = chain.genesis(_definition(record, rows))
        if start != record.genesis_hash:
            return Verification(
                False, "the consultation or its roster was altered after publication"
            )
        events = await repo.votes(conn, cid)
        chained = [
            chain.ChainedEvent(
                r.seq,
                chain.event_content(cid, r.seq, r.household_id, r.option, r.cast_at),
                r.prev_hash,
                r.hash,
            )
            for r in events
        ]
        problem = chain.verify_chain(start, chained)
        if problem is not None:
            return Verification(False, f"event #{problem.seq}: {problem.reason}", problem.seq)
        head = events[-1].hash if events else start
        if head != record.head_hash or len(events) != record.events:
            return Verification(False, "events were removed or added after the last vote")
        if record.status == "closed":
            if record.final_hash != head:
                return Verification(False, "the final hash does not match the events")
            recomputed = (await self._result(record)).as_json() | {"status": "closed"}
            if record.result is None or json.loads(record.result) != recomputed:
                return Verification(False, "the stored result does not match the recomputed tally")
        return Verification(True)

    async def record(self, cid: int, tz: tzinfo) -> Record | None:
        """Everything the record (征询记录) shows, for /record and `consult export`."""
        result = await self.tally(cid)
        if result is None:
            return None
        rec = result.record
        conn = await self.database.get()
        roster = await self.roster(cid)
        options = {label: i for i, label in enumerate(rec.options)}
        history = [
            (
                VoteEvent(
                    r.seq,
                    r.household_id,
                    options.get(r.option, -1),
                    when(r.cast_at),
                    chain.receipt_code(r.hash),
                ),
                r.option,
                r.hash,
            )
            for r in await repo.votes(conn, cid)
        ]

        def local(stored: str | None) -> str:
            return when(stored).astimezone(tz).strftime("%Y-%m-%d %H:%M") if stored else ""

        timeline = [
            ("创建时间", local(rec.created_at)),
            ("发布时间", local(rec.published_at)),
            ("开始时间", local(rec.opens_at)),
            ("截止时间", local(rec.closes_at)),
            (
                "结束时间",
                local(rec.closed_at) + ("（提前结束）" if rec.close_reason == "early" else ""),
            ),
            ("状态", {"draft": "草稿", "published": "进行中", "closed": "已结束"}[rec.status]),
        ]
        context = RecordContext(
            cid=cid,
            title=rec.title,
            question=rec.question,
            rule_name=rule_name(result.rule),
            non_voters=NON_VOTER_NAMES[NonVoters(rec.non_voters)],
            timeline=timeline,
            final_hash=result.final_hash or "",
            tz=tz,
        )
        return Record(
            context,
            result,
            decision_lines(result.decision, result.tally),
            record_rows.vote_rows(roster, result.tally, tz),
            record_rows.history_rows(roster, [(e, label, h) for e, label, h in history], tz),
        )
