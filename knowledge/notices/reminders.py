"""Reminders: stored schedules whose occurrences become notices, each exactly once.

`ReminderService` is what staff (in chat and by CLI) do with reminders: add, pause, resume,
delete, list, today's times, a test send; and the built-in templates. The tick that queues
each occurrence exactly once is its other half, `ReminderTicking` in `reminder_tick` (whose
docstring says how); its public names are re-exported here (`name as name`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from knowledge.notices.reminder_tick import MAX_SKIPPED_RECORDED as MAX_SKIPPED_RECORDED
from knowledge.notices.reminder_tick import Footer as Footer
from knowledge.notices.reminder_tick import ReminderTicking
from knowledge.notices.reminder_tick import TickResult as TickResult
from knowledge.notices.reminder_tick import occurrence_ref as occurrence_ref
from knowledge.notices.reminder_tick import schedule_of as schedule_of
from knowledge.notices.schedules import DEFAULT_GRACE, QuietHours, Schedule
from knowledge.notices.service import NoticeService
from knowledge.notices.targets import Target, TargetError
from storage import reminders_repo as repo
from storage.clock import stored, utc_now
from storage.db import DatabaseHandle
from storage.reminders_repo import Reminder

# The topics residents can subscribe to; the index is what buttons carry.
TOPICS: tuple[str, ...] = ("垃圾分类", "消防安全", "社区通知")
MAX_TEXT = 3500  # leaves room for the footer under Telegram's 4096


def _no_footer(topic: str) -> tuple[str | None, Sequence[tuple[str, str]]]:
    return None, ()


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    topic: str
    schedule: str
    spec: str
    text: str


def load_templates() -> list[Template]:
    """The built-in reminder texts (knowledge/notices/data/reminder_templates.json)."""
    raw = (resources.files("knowledge.notices") / "data" / "reminder_templates.json").read_text(
        encoding="utf-8"
    )
    return [Template(**item) for item in json.loads(raw)]


class ReminderError(ValueError):
    """Input that cannot make a reminder (the message is English, for the CLI)."""


@dataclass(frozen=True)
class ReminderView:
    reminder: Reminder
    schedule: Schedule
    next_run: datetime | None


@dataclass(frozen=True)
class TodayItem:
    at: datetime
    reminder: Reminder
    status: str | None  # the occurrence's status once recorded, else None (to come)


@dataclass
class ReminderService(ReminderTicking):
    database: DatabaseHandle
    notices: NoticeService
    tz: ZoneInfo
    quiet: QuietHours | None
    footer: Footer = _no_footer

    # --- staff management ---------------------------------------------------------------

    async def add(
        self,
        *,
        schedule: Schedule,
        target: str,
        topic: str,
        text: str,
        created_by: int | None,
        urgent: bool = False,
        grace: timedelta = DEFAULT_GRACE,
        template: str | None = None,
        now: datetime | None = None,
    ) -> int:
        """Store a reminder; raise ReminderError for bad input. Only times after `now` fire."""
        now = now or utc_now()
        text = text.strip()
        if not text:
            raise ReminderError("empty reminder text")
        if len(text) > MAX_TEXT:
            raise ReminderError(f"reminder text over {MAX_TEXT} characters")
        if topic not in TOPICS:
            raise ReminderError(f"unknown topic {topic!r}; one of {', '.join(TOPICS)}")
        try:
            spec = Target.parse(target).spec()
        except TargetError as exc:
            raise ReminderError(str(exc)) from None
        if schedule.next_run(now) is None:
            raise ReminderError("the schedule never fires after now")
        conn = await self.database.get()
        return await repo.insert_reminder(
            conn,
            schedule_kind=schedule.kind.value,
            spec=schedule.spec,
            timezone=schedule.tz.key,
            target=spec,
            topic=topic,
            text=text,
            urgent=urgent,
            grace_seconds=int(grace.total_seconds()),
            template=template,
            created_by=created_by,
            checked_until=now,
        )

    async def get(self, reminder_id: int) -> Reminder | None:
        return await repo.get_reminder(await self.database.get(), reminder_id)

    async def pause(self, reminder_id: int) -> bool:
        return await repo.set_enabled(await self.database.get(), reminder_id, False)

    async def resume(self, reminder_id: int, *, now: datetime | None = None) -> bool:
        """Resume; occurrences that fell due while paused are not sent afterwards."""
        return await repo.set_enabled(
            await self.database.get(), reminder_id, True, checked_until=now or utc_now()
        )

    async def delete(self, reminder_id: int) -> bool:
        return await repo.delete_reminder(await self.database.get(), reminder_id)

    async def list_all(self, *, now: datetime | None = None) -> list[ReminderView]:
        now = now or utc_now()
        views = []
        for reminder in await repo.list_reminders(await self.database.get()):
            schedule = schedule_of(reminder)
            upcoming = schedule.next_run(now) if reminder.enabled else None
            views.append(ReminderView(reminder, schedule, upcoming))
        return views

    async def today(self, *, now: datetime | None = None) -> list[TodayItem]:
        """今天有什么提醒: every enabled reminder's times on today's local date."""
        now = now or utc_now()
        day: date = now.astimezone(self.tz).date()
        conn = await self.database.get()
        start = datetime.combine(day, datetime.min.time(), tzinfo=self.tz)
        recorded = {
            (o.reminder_id, o.scheduled_for): o.status
            for o in await repo.occurrences_between(conn, start, start + timedelta(days=1))
        }
        items = [
            TodayItem(at, reminder, recorded.get((reminder.id, stored(at))))
            for reminder in await repo.list_reminders(conn, enabled_only=True)
            for at in schedule_of(reminder).times_on(day)
        ]
        return sorted(items, key=lambda i: (i.at, i.reminder.id))

    async def send_test(self, reminder_id: int, chat_id: int, *, by: int) -> int | None:
        """Queue the reminder's text once to one chat (staff's 'send a test to myself')."""
        reminder = await self.get(reminder_id)
        if reminder is None:
            return None
        footer, buttons = self.footer(reminder.topic)
        return await self.notices.create_notice(
            text=reminder.text,
            kind="reminder",
            target=Target.chats([chat_id]),
            topic=None,
            urgent=True,  # a test is wanted now, quiet hours or not
            pin=False,
            created_by=by,
            ref=f"reminder-test:{reminder_id}",
            private_footer=footer,
            private_buttons=buttons,
        )
