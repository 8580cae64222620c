"""Checking and filing a consultation: `verify` recomputes the chain and the tally from
the events; `record` gathers everything the record (征询记录) shows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import tzinfo

from knowledge.consult import chain
from knowledge.consult import record as record_rows
from knowledge.consult.lifecycle import ConsultLifecycle, Result, definition, when
from knowledge.consult.record import RecordContext
from knowledge.consult.tally import NonVoters, VoteEvent
from knowledge.consult.wording import NON_VOTER_NAMES, decision_lines, rule_name
from storage import consult_votes_repo as votes_repo
from storage import consultations_repo as repo


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


class Audit(ConsultLifecycle):
    async def verify(self, cid: int) -> Verification:
        """Recompute the chain and the tally from the events; name the first bad one."""
        conn = await self.database.get()
        record = await repo.get_consultation(conn, cid)
        if record is None:
            return Verification(False, f"no consultation #{cid}")
        if record.status == "draft":
            return Verification(True)
        rows = await repo.roster(conn, cid)
        start = chain.genesis(definition(record, rows))
        if start != record.genesis_hash:
            return Verification(
                False, "the consultation or its roster was altered after publication"
            )
        events = await votes_repo.votes(conn, cid)
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
            for r in await votes_repo.votes(conn, cid)
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
