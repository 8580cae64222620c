"""Timestamps as stored: ISO 8601, timezone-aware (UTC on disk, shown in local time)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def now_iso() -> str:
    return utc_now().isoformat(timespec="seconds")
