"""Tickets and their events as stored: the dataclasses, and the mapping between them and
SQL rows, shared by the ticket repositories.

Times are aware datetimes in the dataclasses and ISO 8601 UTC text on disk (seconds), so
text comparison in SQL orders them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.clock import parse_stored, stored


@dataclass(frozen=True)
class Ticket:
    id: int
    number: str
    category: str
    description: str
    community: str | None
    building: str | None
    location_text: str
    household_id: int | None
    latitude: float | None
    longitude: float | None
    phone: str | None
    anonymous: bool
    reporter_id: int | None  # None: phoned in, or the reporter left
    reporter_name: str
    filed_by: int | None
    channel: str  # 'bot' | 'phone'
    status: str
    assignee_id: int | None
    created_at: datetime
    first_response_at: datetime | None
    first_response_due: datetime
    resolve_due: datetime
    resolved_at: datetime | None
    settled_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    rating_outcome: str | None
    rating_stars: int | None
    rating_comment: str | None
    merged_into: int | None
    photos: tuple[str, ...]
    follower_count: int


@dataclass(frozen=True)
class NewTicket:
    number: str
    category: str
    description: str
    community: str | None
    building: str | None
    location_text: str
    household_id: int | None
    latitude: float | None
    longitude: float | None
    phone: str | None
    anonymous: bool
    reporter_id: int | None
    reporter_name: str
    filed_by: int | None
    channel: str
    status: str
    created_at: datetime
    first_response_due: datetime
    resolve_due: datetime
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    id: int
    ticket_id: int
    at: datetime
    action: str
    actor_id: int | None
    actor_role: str  # 'resident' | 'staff' | 'system'
    from_status: str | None
    to_status: str
    note: str
    reason: str | None
    assignee_id: int | None


iso = stored  # the name the ticket repositories use


def parse_iso(value: str | None) -> datetime | None:
    return None if value is None else parse_stored(value)


def require_iso(value: str) -> datetime:
    moment = parse_iso(value)
    assert moment is not None
    return moment


TICKET_COLUMNS = (
    "t.id, t.number, t.category, t.description, t.community, t.building, t.location_text,"
    " t.household_id, t.latitude, t.longitude, t.phone, t.anonymous, t.reporter_id,"
    " t.reporter_name, t.filed_by, t.channel, t.status, t.assignee_id, t.created_at,"
    " t.first_response_at, t.first_response_due, t.resolve_due, t.resolved_at,"
    " t.settled_at, t.closed_at, t.reopen_count, t.rating_outcome, t.rating_stars,"
    " t.rating_comment, t.merged_into,"
    " (SELECT json_group_array(file_id) FROM (SELECT file_id FROM ticket_photos p"
    "   WHERE p.ticket_id = t.id ORDER BY position)),"
    " (SELECT COUNT(*) FROM ticket_followers f WHERE f.ticket_id = t.id)"
)


def ticket_from_row(r: Sequence[object]) -> Ticket:
    photos = json.loads(str(r[30])) if r[30] else []
    return Ticket(
        id=int(r[0]),  # type: ignore[call-overload]
        number=str(r[1]),
        category=str(r[2]),
        description=str(r[3]),
        community=r[4],  # type: ignore[arg-type]
        building=r[5],  # type: ignore[arg-type]
        location_text=str(r[6]),
        household_id=r[7],  # type: ignore[arg-type]
        latitude=r[8],  # type: ignore[arg-type]
        longitude=r[9],  # type: ignore[arg-type]
        phone=r[10],  # type: ignore[arg-type]
        anonymous=bool(r[11]),
        reporter_id=r[12],  # type: ignore[arg-type]
        reporter_name=str(r[13]),
        filed_by=r[14],  # type: ignore[arg-type]
        channel=str(r[15]),
        status=str(r[16]),
        assignee_id=r[17],  # type: ignore[arg-type]
        created_at=require_iso(str(r[18])),
        first_response_at=parse_iso(r[19]),  # type: ignore[arg-type]
        first_response_due=require_iso(str(r[20])),
        resolve_due=require_iso(str(r[21])),
        resolved_at=parse_iso(r[22]),  # type: ignore[arg-type]
        settled_at=parse_iso(r[23]),  # type: ignore[arg-type]
        closed_at=parse_iso(r[24]),  # type: ignore[arg-type]
        reopen_count=int(r[25]),  # type: ignore[call-overload]
        rating_outcome=r[26],  # type: ignore[arg-type]
        rating_stars=r[27],  # type: ignore[arg-type]
        rating_comment=r[28],  # type: ignore[arg-type]
        merged_into=r[29],  # type: ignore[arg-type]
        photos=tuple(str(p) for p in photos),
        follower_count=int(r[31]),  # type: ignore[call-overload]
    )


EVENT_COLUMNS = (
    "id, ticket_id, at, action, actor_id, actor_role, from_status, to_status, note, reason,"
    " assignee_id"
)


def event_from_row(r: Sequence[object]) -> Event:
    return Event(
        int(r[0]),  # type: ignore[call-overload]
        int(r[1]),  # type: ignore[call-overload]
        require_iso(str(r[2])),
        str(r[3]),
        r[4],  # type: ignore[arg-type]
        str(r[5]),
        r[6],  # type: ignore[arg-type]
        str(r[7]),
        str(r[8]),
        r[9],  # type: ignore[arg-type]
        r[10],  # type: ignore[arg-type]
    )
