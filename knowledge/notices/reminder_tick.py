"""The reminder tick: stored schedules whose occurrences become notices, each exactly once.

The bot calls `tick(now)` every 30 s (one repeating job, rebuilt at every start; nothing of
it is pickled). A tick looks, per enabled reminder, at the times after the reminder's
`checked_until` up to `now`:

- each occurrence is recorded (reminder, scheduled time) BEFORE its notice is queued; the
  UNIQUE pair means a second tick, or a restart, finds it recorded and queues nothing;
- one missed while the bot was down is queued late if within the reminder's grace period,
  else recorded as skipped and logged (a garbage reminder after drop-off time is useless);
- one falling in quiet hours (not urgent) is queued with `not_before` = the end of them.

A crash between recording and queueing leaves the occurrence `pending`; the next tick looks
for a notice carrying its ref (written in the notice's own transaction) and either marks it
queued or queues it then. Why one tick rather than one job per reminder: the database stays
the only schedule; edits, pauses, restarts and missed times need no job bookkeeping.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from knowledge.notices.schedules import (
    QuietHours,
    Schedule,
    Timing,
    fire_times,
    parse_schedule,
    send_after,
    timing,
)
from knowledge.notices.service import NoticeService
from knowledge.notices.targets import Target, TargetError
from storage import reminders_repo as repo
from storage.clock import parse_stored, stored, utc_now
from storage.db import DatabaseHandle
from storage.reminders_repo import Occurrence, Reminder

logger = logging.getLogger(__name__)

# Occurrences missed beyond grace recorded one by one per tick; more are only counted.
MAX_SKIPPED_RECORDED = 100

# (topic) → footer text and (label, callback data) buttons for private chats.
Footer = Callable[[str], tuple[str | None, Sequence[tuple[str, str]]]]


@dataclass
class TickResult:
    queued: list[tuple[int, datetime, int]] = field(default_factory=list)  # rid, time, notice
    late: list[tuple[int, datetime]] = field(default_factory=list)
    held: list[tuple[int, datetime, datetime]] = field(default_factory=list)  # rid, t, until
    skipped: list[tuple[int, datetime]] = field(default_factory=list)


def schedule_of(reminder: Reminder) -> Schedule:
    return parse_schedule(reminder.schedule_kind, reminder.spec, ZoneInfo(reminder.timezone))


def occurrence_ref(reminder_id: int, scheduled_for: datetime | str) -> str:
    stamp = scheduled_for if isinstance(scheduled_for, str) else stored(scheduled_for)
    return f"reminder:{reminder_id}@{stamp}"


class ReminderTicking:
    """The tick half of `ReminderService` (reminders.py), which supplies these fields."""

    database: DatabaseHandle
    notices: NoticeService
    tz: ZoneInfo
    quiet: QuietHours | None
    footer: Footer

    async def tick(self, now: datetime | None = None) -> TickResult:
        """Queue every occurrence due by `now` exactly once (see the module docstring)."""
        now = now or utc_now()
        result = TickResult()
        conn = await self.database.get()
        for occurrence in await repo.pending_occurrences(conn):
            await self._recover(occurrence, now, result)
        for reminder in await repo.list_reminders(conn, enabled_only=True):
            try:
                await self._tick_one(reminder, now, result)
            except Exception:
                # One broken reminder must not stop the others.
                logger.exception("reminder %d: tick failed", reminder.id)
        return result

    async def _tick_one(self, reminder: Reminder, now: datetime, result: TickResult) -> None:
        conn = await self.database.get()
        trigger = schedule_of(reminder).trigger()
        grace = timedelta(seconds=reminder.grace_seconds)
        checked = parse_stored(reminder.checked_until)
        cutoff = now - max(grace, timedelta(0))
        missed = list(fire_times(trigger, checked, cutoff - timedelta(microseconds=1)))
        if missed:
            logger.warning(
                "reminder %d: %d occurrence(s) missed beyond the %d s grace period, skipped"
                " (%s … %s)",
                reminder.id,
                len(missed),
                reminder.grace_seconds,
                missed[0].isoformat(),
                missed[-1].isoformat(),
            )
        for moment in missed[-MAX_SKIPPED_RECORDED:]:
            if await repo.record_occurrence(
                conn, reminder.id, moment, status=repo.SKIPPED, detail="missed beyond grace"
            ):
                result.skipped.append((reminder.id, moment))
        start = max(checked, cutoff - timedelta(microseconds=1))
        for moment in fire_times(trigger, start, now):
            occurrence_id = await repo.record_occurrence(
                conn, reminder.id, moment, status=repo.PENDING
            )
            if occurrence_id is None:
                continue  # recorded by an earlier tick: queued then (or being recovered)
            await self._queue(reminder, occurrence_id, moment, now, result)
        await repo.advance_checked(conn, reminder.id, now)

    async def _recover(self, occurrence: Occurrence, now: datetime, result: TickResult) -> None:
        """A `pending` occurrence: the process died between recording and queueing it, or
        queueing failed. Queue it now unless its notice exists or its grace has passed."""
        conn = await self.database.get()
        notice_id = await repo.notice_for_ref(
            conn, occurrence_ref(occurrence.reminder_id, occurrence.scheduled_for)
        )
        if notice_id is not None:
            await repo.mark_queued(conn, occurrence.id, notice_id)
            return
        reminder = await repo.get_reminder(conn, occurrence.reminder_id)
        if reminder is None or not reminder.enabled:
            await repo.mark_closed(conn, occurrence.id, repo.SKIPPED, "reminder paused or gone")
            return
        await self._queue(
            reminder, occurrence.id, parse_stored(occurrence.scheduled_for), now, result
        )

    async def _bound_only(self) -> NoticeService:
        """The notice service with every unbound group left out of `all` (and community)
        targets: a group receives reminders only once staff bind it. Broadcasts keep "all"
        as every group; explicitly chosen chats (`chat:ID`) are still reached."""
        unbound = await repo.unbound_groups(await self.database.get())
        if not unbound:
            return self.notices
        return replace(self.notices, exclude_chat_ids=self.notices.exclude_chat_ids | unbound)

    async def _queue(
        self,
        reminder: Reminder,
        occurrence_id: int,
        moment: datetime,
        now: datetime,
        result: TickResult,
    ) -> None:
        conn = await self.database.get()
        when = timing(moment, now, timedelta(seconds=reminder.grace_seconds))
        if when is Timing.MISSED:
            logger.warning("reminder %d: occurrence %s beyond grace, skipped", reminder.id, moment)
            await repo.mark_closed(conn, occurrence_id, repo.SKIPPED, "missed beyond grace")
            result.skipped.append((reminder.id, moment))
            return
        try:
            target = Target.parse(reminder.target)
        except TargetError as exc:
            await repo.mark_closed(conn, occurrence_id, repo.FAILED, f"bad target: {exc}")
            return
        hold = send_after(moment, now, urgent=reminder.urgent, quiet=self.quiet, tz=self.tz)
        footer, buttons = self.footer(reminder.topic)
        # If this raises the occurrence stays pending and the next tick retries it.
        notice_id = await (await self._bound_only()).create_notice(
            text=reminder.text,
            kind="reminder",
            target=target,
            topic=reminder.topic,
            urgent=reminder.urgent,
            pin=False,
            created_by=0,
            ref=occurrence_ref(reminder.id, moment),
            not_before=hold,
            private_footer=footer,
            private_buttons=buttons,
        )
        late = when is Timing.LATE
        await repo.mark_queued(conn, occurrence_id, notice_id, send_after=hold, late=late)
        result.queued.append((reminder.id, moment, notice_id))
        if late:
            logger.info("reminder %d: occurrence %s sent late (within grace)", reminder.id, moment)
            result.late.append((reminder.id, moment))
        if hold is not None:
            result.held.append((reminder.id, moment, hold))
