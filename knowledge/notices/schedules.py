"""When reminders fire: schedule specs → APScheduler triggers, quiet hours and grace.

Pure computation (no Telegram, no SQL), so every rule is testable with a fixed clock. All
times are timezone-aware: a spec is read in the configured timezone, instants are compared
in UTC.

The specs and their triggers are in `schedule_specs` (its docstring lists the formats);
their names are re-exported here (`name as name`), so importers say
`from knowledge.notices.schedules import ...`. Here: quiet hours, and what to do with an
occurrence (on time, late within grace, missed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from enum import Enum

from knowledge.notices.schedule_specs import Schedule as Schedule
from knowledge.notices.schedule_specs import ScheduleError as ScheduleError
from knowledge.notices.schedule_specs import ScheduleKind as ScheduleKind
from knowledge.notices.schedule_specs import build_trigger as build_trigger
from knowledge.notices.schedule_specs import fire_times as fire_times
from knowledge.notices.schedule_specs import parse_clock
from knowledge.notices.schedule_specs import parse_schedule as parse_schedule
from knowledge.notices.schedule_specs import parse_typed as parse_typed

# An occurrence found within this much of its time counts as on time (the tick runs every
# 30 s); later than this it was missed while the bot was down and grace decides.
ON_TIME = timedelta(minutes=2)
DEFAULT_GRACE = timedelta(hours=1)
DEFAULT_QUIET_HOURS = "22:00-07:00"

# --- quiet hours ----------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    """A daily window (local time) in which non-urgent reminders are held; may span
    midnight (22:00-07:00)."""

    start: time
    end: time

    def contains(self, moment: datetime, tz: tzinfo) -> bool:
        local = moment.astimezone(tz).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release(self, moment: datetime, tz: tzinfo) -> datetime:
        """When a message held at `moment` may go: the end of the window it falls in (or
        `moment` itself when outside)."""
        if not self.contains(moment, tz):
            return moment
        local = moment.astimezone(tz)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=tz)

    def spec(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet_hours(spec: str) -> QuietHours | None:
    """`22:00-07:00` → QuietHours; empty → None (no quiet hours)."""
    raw = spec.strip()
    if not raw:
        return None
    start, dash, end = raw.replace("–", "-").partition("-")
    if not dash:
        raise ScheduleError(f"{spec!r}: expected HH:MM-HH:MM, e.g. 22:00-07:00")
    h1, m1 = parse_clock(start)
    h2, m2 = parse_clock(end)
    if (h1, m1) == (h2, m2):
        raise ScheduleError(f"{spec!r}: start and end are the same")
    return QuietHours(time(h1, m1), time(h2, m2))


# --- what to do with an occurrence ------------------------------------------------------


class Timing(Enum):
    ON_TIME = "on_time"
    LATE = "late"  # missed while down, still within its grace period: send now
    MISSED = "missed"  # beyond grace: skip and log


def timing(scheduled: datetime, now: datetime, grace: timedelta) -> Timing:
    delay = now - scheduled
    if delay <= ON_TIME:
        return Timing.ON_TIME
    if delay <= grace:
        return Timing.LATE
    return Timing.MISSED


def send_after(
    scheduled: datetime,
    now: datetime,
    *,
    urgent: bool,
    quiet: QuietHours | None,
    tz: tzinfo,
) -> datetime | None:
    """When the occurrence's messages may go out: None for at once, else the end of the
    quiet hours it falls in (urgent ones go through)."""
    moment = max(scheduled, now)
    if urgent or quiet is None or not quiet.contains(moment, tz):
        return None
    return quiet.release(moment, tz)
