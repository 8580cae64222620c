"""Schedule specs: what staff type → canonical form → APScheduler triggers and their times.

Pure computation (no Telegram, no SQL). A spec is read in the configured timezone; a
trigger's times are timezone-aware.

    daily    HH:MM             every day
    weekly   MON,THU@HH:MM     chosen weekdays (MON..SUN, 1..7 with 1 = Monday, 周一..周日)
    monthly  D@HH:MM           a day of the month (1..31, or LAST); a month without that day
                               is skipped, as cron does
    cron     "M H DOM MON DOW" standard crontab; DOW 0 and 7 are Sunday, as in crontab
    once     YYYY-MM-DD HH:MM[:SS]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from knowledge.notices.typed_schedules import as_typed_spec

_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_ONCE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CHINESE_DAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_CRON_DOW = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


class ScheduleKind(Enum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    CRON = "cron"
    ONCE = "once"


class ScheduleError(ValueError):
    """A spec that does not parse; the message (English) says what was expected."""


@dataclass(frozen=True)
class Schedule:
    kind: ScheduleKind
    spec: str  # canonical, as stored
    tz: ZoneInfo

    def trigger(self) -> BaseTrigger:
        return build_trigger(self.kind, self.spec, self.tz)

    def next_run(self, after: datetime) -> datetime | None:
        """The first time strictly after `after`, or None (a `once` in the past)."""
        return next(fire_times(self.trigger(), after, None, limit=1), None)

    def times_on(self, day: date) -> list[datetime]:
        """Every time it fires on a local calendar day: [00:00, next 00:00)."""
        start = datetime.combine(day, time(0), tzinfo=self.tz)
        end = start + timedelta(days=1)
        tick = timedelta(microseconds=1)  # fire_times is (after, until]; the day is half open
        return list(fire_times(self.trigger(), start - tick, end - tick))


def parse_schedule(kind: ScheduleKind | str, spec: str, tz: ZoneInfo) -> Schedule:
    """Validate a spec and return it in canonical form; raise ScheduleError."""
    kind = kind if isinstance(kind, ScheduleKind) else _kind(kind)
    canonical = _canonical(kind, spec.strip())
    build_trigger(kind, canonical, tz)  # cron fields are checked by APScheduler itself
    return Schedule(kind, canonical, tz)


def parse_typed(text: str, tz: ZoneInfo) -> Schedule:
    """A schedule typed in chat: `每天 07:30`, `每周 一,四 19:00`, `weekly MON@19:00`,
    `每月 1 09:00`, `cron 0 8 * * 1`, `一次 2025-01-01 08:00`; also as staff write them
    (每周二 19:00, 每个工作日 早上8点, 每月1号 9:00: knowledge/notices/typed_schedules.py)."""
    text = as_typed_spec(text)
    words = {
        "daily": ScheduleKind.DAILY,
        "每天": ScheduleKind.DAILY,
        "weekly": ScheduleKind.WEEKLY,
        "每周": ScheduleKind.WEEKLY,
        "monthly": ScheduleKind.MONTHLY,
        "每月": ScheduleKind.MONTHLY,
        "cron": ScheduleKind.CRON,
        "once": ScheduleKind.ONCE,
        "一次": ScheduleKind.ONCE,
    }
    head, _, rest = text.strip().partition(" ")
    kind = words.get(head.lower().lstrip("-"))
    if kind is None:
        raise ScheduleError(f"unknown schedule {text!r}")
    rest = rest.strip()
    if kind in (ScheduleKind.WEEKLY, ScheduleKind.MONTHLY) and "@" not in rest:
        days, _, clock = rest.rpartition(" ")
        rest = f"{days.strip()}@{clock}"
    return parse_schedule(kind, rest, tz)


def _kind(raw: str) -> ScheduleKind:
    try:
        return ScheduleKind(raw.strip().lower())
    except ValueError:
        raise ScheduleError(f"unknown schedule kind {raw!r}") from None


def parse_clock(raw: str) -> tuple[int, int]:
    """`HH:MM` (a full-width colon too) → (hour, minute); raise ScheduleError."""
    m = _HHMM.fullmatch(raw.strip().replace("：", ":"))
    if not m:
        raise ScheduleError(f"{raw!r} is not a time HH:MM")
    return int(m[1]), int(m[2])


def _weekdays(raw: str) -> list[int]:
    """0 = Monday; accepts MON / 1..7 / 周一 / 一, separated by commas."""
    found: list[int] = []
    for item in re.split(r"[,，、\s]+", raw.strip()):
        word = item.strip().lower().removeprefix("周").removeprefix("星期")
        if not word:
            continue
        if word[:3] in _DAY_NAMES:
            day = _DAY_NAMES.index(word[:3])
        elif word in _CHINESE_DAYS:
            day = _CHINESE_DAYS[word]
        elif word.isascii() and word.isdigit() and 1 <= int(word) <= 7:
            day = int(word) - 1
        else:
            raise ScheduleError(f"{item!r} is not a weekday (MON..SUN or 1..7)")
        if day not in found:
            found.append(day)
    if not found:
        raise ScheduleError("no weekday given")
    return sorted(found)


def _canonical(kind: ScheduleKind, spec: str) -> str:
    match kind:
        case ScheduleKind.DAILY:
            h, m = parse_clock(spec)
            return f"{h:02d}:{m:02d}"
        case ScheduleKind.WEEKLY:
            days, at, clock = spec.partition("@")
            if not at:
                raise ScheduleError(f"{spec!r}: expected DAYS@HH:MM, e.g. MON,THU@19:00")
            h, m = parse_clock(clock)
            names = ",".join(_DAY_NAMES[d].upper() for d in _weekdays(days))
            return f"{names}@{h:02d}:{m:02d}"
        case ScheduleKind.MONTHLY:
            day, at, clock = spec.partition("@")
            day = day.strip().lower()
            if not at:
                raise ScheduleError(f"{spec!r}: expected D@HH:MM, e.g. 1@09:00")
            h, m = parse_clock(clock)
            if day in ("last", "l"):
                return f"LAST@{h:02d}:{m:02d}"
            if not (day.isascii() and day.isdigit() and 1 <= int(day) <= 31):
                raise ScheduleError(f"{day!r} is not a day of the month (1..31 or LAST)")
            return f"{int(day)}@{h:02d}:{m:02d}"
        case ScheduleKind.CRON:
            fields = spec.strip().strip("\"'").split()
            if len(fields) != 5:
                raise ScheduleError(f"{spec!r}: a cron expression has 5 fields")
            return " ".join(fields)
        case ScheduleKind.ONCE:
            found = _ONCE.fullmatch(spec.strip())
            if not found:
                raise ScheduleError(f"{spec!r}: expected YYYY-MM-DD HH:MM[:SS]")
            year, month, day_, hour, minute = (int(found[i]) for i in range(1, 6))
            try:
                moment = datetime(
                    year, month, day_, hour, minute, int(found[6] or 0), tzinfo=ZoneInfo("UTC")
                )
            except ValueError as exc:
                raise ScheduleError(f"{spec!r}: {exc}") from None
            return moment.strftime("%Y-%m-%d %H:%M:%S")


def _cron_weekdays(field: str) -> str:
    """Standard crontab day-of-week (0/7 = Sunday) → APScheduler names (its 0 is Monday)."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in field.lower().split(","):
        base, _, step_raw = item.partition("/")
        step = int(step_raw) if step_raw.isdigit() else 1
        if step_raw and not step_raw.isdigit():
            raise ScheduleError(f"bad step in {item!r}")
        if base == "*":
            low, high = 0, 6
        else:
            lo_raw, dash, hi_raw = base.partition("-")
            low = _cron_day(lo_raw)
            high = _cron_day(hi_raw) if dash else (6 if step_raw else low)
            if dash and hi_raw.strip() == "7":
                high = 7
        if high < low:
            raise ScheduleError(f"backwards range {item!r}")
        days.update(d % 7 for d in range(low, high + 1, step))
    # APScheduler: 0 = mon .. 6 = sun; crontab: 0 = sun .. 6 = sat
    return ",".join(_DAY_NAMES[(d - 1) % 7] for d in sorted(days))


def _cron_day(raw: str) -> int:
    word = raw.strip().lower()
    if word[:3] in _CRON_DOW:
        return _CRON_DOW[word[:3]]
    if word.isascii() and word.isdigit() and 0 <= int(word) <= 7:
        return int(word)
    raise ScheduleError(f"{raw!r} is not a crontab weekday (0..7 or SUN..SAT)")


def build_trigger(kind: ScheduleKind, spec: str, tz: ZoneInfo) -> BaseTrigger:
    """The APScheduler trigger for a canonical spec, in `tz`."""
    try:
        match kind:
            case ScheduleKind.DAILY:
                h, m = parse_clock(spec)
                return CronTrigger(hour=h, minute=m, second=0, timezone=tz)
            case ScheduleKind.WEEKLY:
                days, _, clock = spec.partition("@")
                h, m = parse_clock(clock)
                dow = ",".join(_DAY_NAMES[d] for d in _weekdays(days))
                return CronTrigger(day_of_week=dow, hour=h, minute=m, second=0, timezone=tz)
            case ScheduleKind.MONTHLY:
                day, _, clock = spec.partition("@")
                h, m = parse_clock(clock)
                dom = "last" if day.upper() == "LAST" else day
                return CronTrigger(day=dom, hour=h, minute=m, second=0, timezone=tz)
            case ScheduleKind.CRON:
                minute, hour, dom, month, dow = spec.split()
                return CronTrigger(
                    minute=minute,
                    hour=hour,
                    day=dom,
                    month=month,
                    day_of_week=_cron_weekdays(dow),
                    second=0,
                    timezone=tz,
                )
            case ScheduleKind.ONCE:
                naive = datetime.fromisoformat(spec)
                return DateTrigger(run_date=naive.replace(tzinfo=tz), timezone=tz)
    except ScheduleError:
        raise
    except ValueError as exc:
        raise ScheduleError(f"{spec!r}: {exc}") from None
    raise ScheduleError(f"unknown schedule kind {kind!r}")  # pragma: no cover


def fire_times(
    trigger: BaseTrigger, after: datetime, until: datetime | None, *, limit: int = 10_000
) -> Iterator[datetime]:
    """The trigger's times in (after, until], oldest first, at most `limit` of them."""
    cursor = after + timedelta(microseconds=1)
    for _ in range(limit):
        moment: datetime | None = trigger.get_next_fire_time(None, cursor)
        # A DateTrigger answers its one date whatever `now` is: stop once it is behind us.
        if moment is None or moment < cursor or (until is not None and moment > until):
            return
        yield moment
        cursor = moment + timedelta(microseconds=1)
