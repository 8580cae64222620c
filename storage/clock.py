"""Timestamps as stored: ISO 8601, timezone-aware (UTC on disk, shown in local time)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def utc_now() -> datetime:
    return datetime.now(UTC)


def stored(moment: datetime) -> str:
    """How an instant is stored: UTC ISO 8601 to the second, so stored times sort as text."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: only timezone-aware times are stored")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_stored(text: str) -> datetime:
    """A stored timestamp, timezone-aware (one without an offset is taken as UTC)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def now_iso() -> str:
    return stored(utc_now())


def to_local(text: str, tz: tzinfo) -> datetime:
    """A stored timestamp in local time."""
    return parse_stored(text).astimezone(tz)
