"""TicketService: everything handlers do with complaints and renovation needs.

Handlers call this and never set a status themselves: every change goes through
`lifecycle.transition` and is recorded as an event. Methods that change a ticket return a
`Change` saying what changed and whom to tell (the reporter and followers), so handlers
can message them and update the staff card; this module sends nothing.

Refusals a resident or staff member should read raise `TicketRefused` (with a `Refusal`
code and a Chinese message) or `lifecycle.IllegalTransition`.

The service is sliced by responsibility, one part per module, all over one shared core
(`core.py`: connection, catalog, settings, writer lock): `submitting` (drafts, limits,
duplicates, numbering), `changes` (applying actions, whom to tell, auto-close), `following`
(同问, merges), `queries` (lookups, lists, overdue, `stats`), `needs` (renovation needs),
`abuse` (blocks), `staff_cards` and `privacy` (exports, pseudonyms, /leave).
`TicketService` composes them; this package re-exports every public name, so importers say
`from knowledge.tickets.service import ...`.
"""

from __future__ import annotations

from knowledge.tickets.service.abuse import TicketAbuse
from knowledge.tickets.service.core import DEFAULT_DAILY_LIMIT, Change, TicketServiceCore
from knowledge.tickets.service.following import Followed, Merged, TicketFollowing
from knowledge.tickets.service.needs import (
    COFUND_LABELS,
    MAX_NEEDS_TEXT,
    URGENCY_LABELS,
    Cofund,
    NeedsSubmitted,
    RenovationNeeds,
    Urgency,
)
from knowledge.tickets.service.privacy import PSEUDONYM_SECRET, ResidentPrivacy, pseudonym
from knowledge.tickets.service.queries import MyTicket, Overdue, TicketFilter, TicketQueries
from knowledge.tickets.service.refusals import Refusal, TicketRefused
from knowledge.tickets.service.staff_cards import StaffCards
from knowledge.tickets.service.stats import PeriodStats, TicketStats, period_stats
from knowledge.tickets.service.submitting import (
    MAX_DESCRIPTION,
    MAX_LOCATION_TEXT,
    MAX_PHOTOS,
    Candidate,
    ComplaintDraft,
    Location,
    TicketSubmitting,
)


class TicketService(
    TicketSubmitting,
    TicketFollowing,
    TicketQueries,
    RenovationNeeds,
    TicketAbuse,
    StaffCards,
    ResidentPrivacy,
):
    """Complaints and renovation needs over the tickets repository."""


__all__ = [
    "COFUND_LABELS",
    "DEFAULT_DAILY_LIMIT",
    "MAX_DESCRIPTION",
    "MAX_LOCATION_TEXT",
    "MAX_NEEDS_TEXT",
    "MAX_PHOTOS",
    "PSEUDONYM_SECRET",
    "URGENCY_LABELS",
    "Candidate",
    "Change",
    "Cofund",
    "ComplaintDraft",
    "Followed",
    "Location",
    "Merged",
    "MyTicket",
    "NeedsSubmitted",
    "Overdue",
    "PeriodStats",
    "Refusal",
    "TicketFilter",
    "TicketRefused",
    "TicketService",
    "TicketServiceCore",
    "TicketStats",
    "Urgency",
    "period_stats",
    "pseudonym",
]
