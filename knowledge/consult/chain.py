"""The vote events' hash chain: each event hashes the previous hash and its own content.

The chain starts from a genesis hash over the consultation as published (question,
options, rule, times and the frozen roster), so editing the rule or a room's area after
publication breaks it as surely as editing a vote. The user who pressed is not hashed:
forgetting a resident (privacy) blanks that column without breaking the record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

RECEIPT_CHARS = 8


def canonical_json(content: Mapping[str, Any]) -> str:
    """One spelling per content: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link(previous: str, content: Mapping[str, Any]) -> str:
    return hashlib.sha256((previous + canonical_json(content)).encode("utf-8")).hexdigest()


def genesis(definition: Mapping[str, Any]) -> str:
    return link("", definition)


def receipt_code(event_hash: str) -> str:
    """The short code a voter keeps: the first 8 hex digits of their event's hash."""
    code = event_hash[:RECEIPT_CHARS].upper()
    return f"{code[:4]}-{code[4:]}"


def event_content(
    consultation_id: int, seq: int, household_id: int, option: str, at: str
) -> dict[str, Any]:
    return {
        "c": consultation_id,
        "seq": seq,
        "household": household_id,
        "option": option,
        "at": at,
    }


@dataclass(frozen=True)
class ChainedEvent:
    seq: int
    content: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None  # None: the genesis (the consultation's definition) does not match
    reason: str


def verify_chain(start: str, events: Sequence[ChainedEvent]) -> ChainProblem | None:
    """The first event whose stored hashes disagree with a recomputation, or None."""
    previous = start
    for expected_seq, event in enumerate(events, 1):
        if event.seq != expected_seq:
            return ChainProblem(event.seq, f"sequence gap: expected #{expected_seq}")
        if event.prev_hash != previous:
            return ChainProblem(event.seq, "previous hash does not match")
        if link(previous, event.content) != event.hash:
            return ChainProblem(event.seq, "content does not match its hash")
        if event.content.get("seq") != event.seq:
            return ChainProblem(event.seq, "sequence number in content altered")
        previous = event.hash
    return None
