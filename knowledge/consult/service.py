"""Consultations over the register: create, publish, vote, close, result, verify.

No Telegram and no SQL here: the bot's handlers and the CLI both call this service, and
the service asks the repositories in `storage`. The work is split by responsibility:
`lifecycle` (create, publish, tally, close), `voting` (eligibility, votes, receipts) and
`audit` (verify, the record); the names below are what callers import.
"""

from __future__ import annotations

from knowledge.consult.audit import Audit, Record, Verification
from knowledge.consult.lifecycle import (
    DEFAULT_OPTIONS,
    ConsultError,
    ConsultLifecycle,
    Draft,
    Result,
    roster_entry,
    when,
)
from knowledge.consult.voting import Receipt, Refusal, Voting

__all__ = [
    "DEFAULT_OPTIONS",
    "EARLY",
    "OPT_IN_TOPIC",
    "ConsultError",
    "ConsultLifecycle",
    "ConsultService",
    "Draft",
    "Receipt",
    "Record",
    "Refusal",
    "Result",
    "Verification",
    "roster_entry",
    "when",
]

EARLY = "（提前结束）"
OPT_IN_TOPIC = "业主征询"  # residents who agreed to be told of consultations in private


class ConsultService(Voting, Audit):
    """The one object handlers and the CLI use: `ConsultService(database[, now])`."""
