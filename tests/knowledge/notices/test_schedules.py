"""Schedule specs, next run times, quiet hours and grace — with a fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from knowledge.notices.schedules import (
    ScheduleError,
    ScheduleKind,
    Timing,
    fire_times,
    parse_quiet_hours,
    parse_schedule,
    parse_typed,
    send_after,
    timing,
)

TZ = ZoneInfo("Asia/Shanghai")  # no DST
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=TZ)  # a Wednesday


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("kind", "spec", "canonical", "first"),
    [
        ("daily", "7:30", "07:30", at(2, 7, 30)),
        ("daily", "23:59", "23:59", at(1, 23, 59)),
        ("weekly", "mon,THU@19:00", "MON,THU@19:00", at(2, 19)),
        ("weekly", "周三,周五@12:00", "WED,FRI@12:00", at(3, 12)),
        ("monthly", "1@09:00", "1@09:00", at(1, 9, month=2)),
        ("monthly", "last@20:00", "LAST@20:00", at(31, 20)),
        ("cron", "0 8 * * 0,6", "0 8 * * 0,6", at(4, 8)),  # crontab: 0 = Sunday, 6 = Saturday
        ("cron", "*/20 12 * * 1-5", "*/20 12 * * 1-5", at(1, 12, 20)),
        ("once", "2025-01-01 12:00:30", "2025-01-01 12:00:30", NOW + timedelta(seconds=30)),
    ],
)
def test_every_form_parses_and_fires(
    kind: str, spec: str, canonical: str, first: datetime
) -> None:
    schedule = parse_schedule(kind, spec, TZ)
    assert schedule.spec == canonical
    assert schedule.next_run(NOW) == first
    assert first.tzinfo is not None


def test_cron_sunday_is_zero_and_seven() -> None:
    sunday = parse_schedule("cron", "0 9 * * 0", TZ).next_run(NOW)
    assert sunday == at(5, 9)
    assert parse_schedule("cron", "0 9 * * 7", TZ).next_run(NOW) == sunday


def test_monthly_31_skips_short_months() -> None:
    times = list(
        fire_times(parse_schedule("monthly", "31@09:00", TZ).trigger(), NOW, None, limit=3)
    )
    assert [t.month for t in times] == [1, 3, 5]


def test_once_in_the_past_never_fires() -> None:
    assert parse_schedule("once", "2024-12-31 08:00", TZ).next_run(NOW) is None


@pytest.mark.parametrize(
    ("kind", "spec"),
    [
        ("daily", "25:00"),
        ("daily", "7"),
        ("weekly", "MON 19:00"),
        ("weekly", "XYZ@19:00"),
        ("monthly", "32@09:00"),
        ("cron", "0 8 * *"),
        ("cron", "99 8 * * *"),
        ("once", "2025-02-30 08:00"),
        ("hourly", "08:00"),
    ],
)
def test_bad_specs_are_refused(kind: str, spec: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(kind, spec, TZ)


def test_typed_in_chat() -> None:
    assert parse_typed("每周 一,四 19:00", TZ).spec == "MON,THU@19:00"
    assert parse_typed("每月 1 09:00", TZ).kind is ScheduleKind.MONTHLY
    assert parse_typed("cron 0 8 * * 1", TZ).spec == "0 8 * * 1"
    assert parse_typed("一次 2025-05-01 08:00", TZ).spec == "2025-05-01 08:00:00"


@pytest.mark.parametrize(
    ("typed", "kind", "spec"),
    [
        ("每周二 19:00", "weekly", "TUE@19:00"),
        ("每周二19：00", "weekly", "TUE@19:00"),  # no space, full-width colon
        ("每周二、四 19:00", "weekly", "TUE,THU@19:00"),
        ("每周六和周日 上午10点", "weekly", "SAT,SUN@10:00"),
        ("每周一至周五 早上8点", "weekly", "MON,TUE,WED,THU,FRI@08:00"),
        ("每个工作日 7点半", "weekly", "MON,TUE,WED,THU,FRI@07:30"),
        ("每星期三 下午3点", "weekly", "WED@15:00"),
        ("每月1号 9:00", "monthly", "1@09:00"),
        ("每月15日9点", "monthly", "15@09:00"),
        ("每天晚上7点", "daily", "19:00"),
        ("每天中午12点", "daily", "12:00"),
        ("每天晚上12点", "daily", "00:00"),
        ("每日 7:30", "daily", "07:30"),
        ("一次 2025-05-01 8点", "once", "2025-05-01 08:00:00"),
    ],
)
def test_typed_as_staff_write_it(typed: str, kind: str, spec: str) -> None:
    schedule = parse_typed(typed, TZ)
    assert (schedule.kind.value, schedule.spec) == (kind, spec)


@pytest.mark.parametrize(
    "typed",
    ["每周五至周一 9:00", "每周二 25:00", "每周八 9:00", "明天早上", "每周 9:00", "cron 0 8 * *"],
)
def test_typed_nonsense_is_still_refused(typed: str) -> None:
    with pytest.raises(ScheduleError):
        parse_typed(typed, TZ)


def test_fire_times_across_midnight() -> None:
    trigger = parse_schedule("cron", "30 23,0 * * *", TZ).trigger()
    assert list(fire_times(trigger, at(1, 23), at(2, 1))) == [at(1, 23, 30), at(2, 0, 30)]


def test_fire_times_window_is_open_at_start_closed_at_end() -> None:
    trigger = parse_schedule("daily", "07:00", TZ).trigger()
    assert list(fire_times(trigger, at(1, 7), at(2, 7))) == [at(2, 7)]


def test_times_on_a_day() -> None:
    schedule = parse_schedule("cron", "0 7,18 * * *", TZ)
    assert schedule.times_on(NOW.date()) == [at(1, 7), at(1, 18)]


@pytest.mark.parametrize(
    ("kind", "spec", "expected"),
    [
        ("daily", "00:00", [at(1, 0)]),  # not also the next day's midnight
        ("cron", "0 */12 * * *", [at(1, 0), at(1, 12)]),
        ("once", "2025-01-02 00:00", []),
        ("once", "2025-01-01 23:59", [at(1, 23, 59)]),
    ],
)
def test_times_on_a_day_is_half_open(kind: str, spec: str, expected: list[datetime]) -> None:
    assert parse_schedule(kind, spec, TZ).times_on(NOW.date()) == expected


def test_quiet_hours_across_midnight() -> None:
    quiet = parse_quiet_hours("22:00-07:00")
    assert quiet is not None
    assert quiet.contains(at(1, 22), TZ)
    assert quiet.contains(at(2, 6, 59), TZ)
    assert not quiet.contains(at(2, 7), TZ)
    assert not quiet.contains(at(1, 21, 59), TZ)
    assert quiet.release(at(1, 22, 30), TZ) == at(2, 7)
    assert quiet.release(at(2, 3), TZ) == at(2, 7)
    assert quiet.release(at(2, 9), TZ) == at(2, 9)


def test_quiet_hours_within_a_day_and_none() -> None:
    quiet = parse_quiet_hours("12:00-14:00")
    assert quiet is not None
    assert quiet.release(at(1, 13), TZ) == at(1, 14)
    assert parse_quiet_hours("") is None
    with pytest.raises(ScheduleError):
        parse_quiet_hours("22:00")


def test_send_after_holds_non_urgent_only() -> None:
    quiet = parse_quiet_hours("22:00-07:00")
    late_evening = at(1, 22, 30)
    assert send_after(late_evening, late_evening, urgent=False, quiet=quiet, tz=TZ) == at(2, 7)
    assert send_after(late_evening, late_evening, urgent=True, quiet=quiet, tz=TZ) is None
    assert send_after(late_evening, late_evening, urgent=False, quiet=None, tz=TZ) is None
    # missed at 21:50, found at 22:10 (within grace): now is what counts
    assert send_after(at(1, 21, 50), at(1, 22, 10), urgent=False, quiet=quiet, tz=TZ) == at(2, 7)


@pytest.mark.parametrize(
    ("delay", "expected"),
    [
        (timedelta(seconds=0), Timing.ON_TIME),
        (timedelta(seconds=90), Timing.ON_TIME),
        (timedelta(minutes=30), Timing.LATE),
        (timedelta(hours=1), Timing.LATE),
        (timedelta(hours=1, seconds=1), Timing.MISSED),
    ],
)
def test_grace(delay: timedelta, expected: Timing) -> None:
    assert timing(NOW, NOW + delay, timedelta(hours=1)) is expected
