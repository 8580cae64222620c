"""What every part of the ticket service shares: the connection, the catalog, the settings,
the one writer lock; and `Change`, what a recorded transition returns."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import aiosqlite

from knowledge.tickets.categories import Catalog
from knowledge.tickets.duplicates import DEFAULT_THRESHOLD
from knowledge.tickets.lifecycle import REOPEN_WINDOW, Status
from knowledge.tickets.sla import DEFAULT_TZ
from storage.clock import utc_now
from storage.db import DatabaseHandle
from storage.tickets_repo import Event, Ticket

DEFAULT_DAILY_LIMIT = 5


@dataclass(frozen=True)
class Change:
    """One recorded transition: the ticket after it, its event, and whom to tell.

    `notify` holds the reporter (unless forgotten or phoned in) and every follower,
    without the actor. `previous` is the status before the action.
    """

    ticket: Ticket
    event: Event
    previous: Status
    notify: tuple[int, ...]


class TicketServiceCore:
    """The state the service parts (submitting, changes, queries, needs, …) work over."""

    def __init__(
        self,
        database: DatabaseHandle | aiosqlite.Connection,
        catalog: Catalog,
        *,
        tz: tzinfo = DEFAULT_TZ,
        daily_limit: int = DEFAULT_DAILY_LIMIT,
        reopen_window: timedelta = REOPEN_WINDOW,
        duplicate_threshold: float | None = None,
    ) -> None:
        self._database = database
        self.catalog = catalog
        self.tz = tz
        self.daily_limit = daily_limit
        self.reopen_window = reopen_window
        self.duplicate_threshold = (
            DEFAULT_THRESHOLD if duplicate_threshold is None else duplicate_threshold
        )
        self._secret: bytes | None = None
        # One ticket change at a time: a change reads a ticket's state and then writes the
        # transition, and two changes of one ticket must not both read the old state.
        # (Transactions on the shared connection take turns in storage.db.transaction.)
        self._lock = asyncio.Lock()

    @property
    def _db(self) -> aiosqlite.Connection:
        if isinstance(self._database, aiosqlite.Connection):
            return self._database
        return self._database.conn

    @staticmethod
    def _now(now: datetime | None) -> datetime:
        if now is None:
            return utc_now()
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now
