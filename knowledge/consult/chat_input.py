"""What staff type in the guided /consult flow, turned into specs the service takes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from knowledge.households.addressing import canonical_building

MOST_OPTIONS, OPTION_LENGTH = 8, 20
_DAYS = re.compile(r"^(\d{1,2})\s*天$")
_SPLIT = re.compile(r"[,，、]")


def scope_from_text(text: str) -> str:
    """'幸福小区, 幸福小区/3号楼' → 'community:幸福小区,building:幸福小区/3'."""
    parts = []
    for piece in _SPLIT.split(text):
        piece = piece.strip()
        if not piece:
            continue
        community, slash, building = piece.partition("/")
        if slash:
            parts.append(f"building:{community.strip()}/{canonical_building(building)}")
        else:
            parts.append(f"community:{community.strip()}")
    return ",".join(parts)


def parse_options(text: str) -> tuple[str, ...] | None:
    """Comma-separated labels (，、 too); None unless 2–8 distinct labels of ≤ 20 characters."""
    labels = tuple(p.strip() for p in _SPLIT.split(text) if p.strip())
    if not 2 <= len(labels) <= MOST_OPTIONS or len(set(labels)) != len(labels):
        return None
    if any(len(label) > OPTION_LENGTH for label in labels):
        return None
    return labels


def parse_closes(text: str, now: datetime) -> datetime | None:
    raw = text.strip()
    days = _DAYS.match(raw)
    if days:
        return now + timedelta(days=int(days.group(1)))
    try:
        moment = datetime.strptime(raw, "%Y-%m-%d %H:%M").replace(tzinfo=now.tzinfo)
    except ValueError:
        return None
    return moment if moment > now else None
