"""Timestamps as stored: ISO 8601, timezone-aware (UTC on disk, shown in local time)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def utc_now() -> datetime:
    return datetime.now(UTC)


def now_iso() -> str:
    return utc_now().isoformat(timespec="seconds")


def to_local(stored: str, tz: tzinfo) -> datetime:
    """A stored timestamp in local time (one without an offset is taken as UTC)."""
    moment = datetime.fromisoformat(stored)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)
