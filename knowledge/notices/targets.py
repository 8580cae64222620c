"""Who a notice goes to, written as a short spec staff and the CLI can type.

    all                      every group the bot is a member of
    community:幸福小区        the groups bound to that community (/bindgroup)
    building:幸福小区/3       the groups bound to that building
    chat:-100123,-100456     chosen chats
    subscribers:消防安全      residents who subscribed to the topic (their private chats)

Several parts joined with ``+`` are a union (``community:幸福小区+subscribers:消防安全``);
a chat reached by two parts gets the notice once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

_CHAT_ID = re.compile(r"-?[0-9]{1,15}")
MAX_PARTS = 10


class TargetKind(Enum):
    ALL = "all"
    COMMUNITY = "community"
    BUILDING = "building"
    CHATS = "chat"
    SUBSCRIBERS = "subscribers"


class TargetError(ValueError):
    """A spec that does not parse; the message says which part and why (in English)."""


@dataclass(frozen=True)
class TargetPart:
    kind: TargetKind
    community: str | None = None
    building: str | None = None
    chat_ids: tuple[int, ...] = ()
    topic: str | None = None

    def spec(self) -> str:
        match self.kind:
            case TargetKind.ALL:
                return "all"
            case TargetKind.COMMUNITY:
                return f"community:{self.community}"
            case TargetKind.BUILDING:
                return f"building:{self.community}/{self.building}"
            case TargetKind.CHATS:
                return "chat:" + ",".join(str(c) for c in self.chat_ids)
            case TargetKind.SUBSCRIBERS:
                return f"subscribers:{self.topic}"


@dataclass(frozen=True)
class Target:
    parts: tuple[TargetPart, ...]

    @classmethod
    def parse(cls, text: str) -> Target:
        """Parse a spec; raise TargetError on anything malformed."""
        raw = [p.strip() for p in text.strip().split("+")]
        if not raw or any(not p for p in raw):
            raise TargetError(f"empty target part in {text!r}")
        if len(raw) > MAX_PARTS:
            raise TargetError(f"at most {MAX_PARTS} target parts")
        parts: list[TargetPart] = []
        for piece in raw:
            part = _parse_part(piece)
            if part not in parts:
                parts.append(part)
        return cls(tuple(parts))

    @classmethod
    def all(cls) -> Target:
        return cls((TargetPart(TargetKind.ALL),))

    @classmethod
    def chats(cls, chat_ids: list[int] | tuple[int, ...]) -> Target:
        if not chat_ids:
            raise TargetError("no chats chosen")
        return cls((TargetPart(TargetKind.CHATS, chat_ids=tuple(dict.fromkeys(chat_ids))),))

    @classmethod
    def community(cls, name: str, building: str | None = None) -> Target:
        spec = f"building:{name}/{building}" if building else f"community:{name}"
        return cls.parse(spec)

    @classmethod
    def subscribers(cls, topic: str) -> Target:
        return cls.parse(f"subscribers:{topic}")

    def spec(self) -> str:
        """The canonical spec: `Target.parse(t.spec()) == t`."""
        return "+".join(p.spec() for p in self.parts)

    def __str__(self) -> str:
        return self.spec()


def _parse_part(piece: str) -> TargetPart:
    if piece.lower() == "all":
        return TargetPart(TargetKind.ALL)
    head, sep, rest = piece.partition(":")
    rest = rest.strip()
    head = head.strip().lower()
    if not sep or not rest:
        raise TargetError(
            f"unknown target {piece!r}: expected all, community:NAME, building:NAME/BUILDING,"
            " chat:ID,ID or subscribers:TOPIC"
        )
    if head == "community":
        _check_name(rest, piece)
        return TargetPart(TargetKind.COMMUNITY, community=rest)
    if head == "building":
        community, slash, building = rest.partition("/")
        community, building = community.strip(), building.strip()
        if not slash or not community or not building:
            raise TargetError(f"{piece!r}: expected building:小区/楼栋")
        _check_name(community, piece)
        _check_name(building, piece)
        return TargetPart(TargetKind.BUILDING, community=community, building=building)
    if head in ("chat", "chats"):
        ids: list[int] = []
        for raw in rest.split(","):
            raw = raw.strip()
            if not _CHAT_ID.fullmatch(raw):
                raise TargetError(f"{piece!r}: {raw!r} is not a chat id")
            if int(raw) not in ids:
                ids.append(int(raw))
        return TargetPart(TargetKind.CHATS, chat_ids=tuple(ids))
    if head in ("subscribers", "topic"):
        _check_name(rest, piece)
        return TargetPart(TargetKind.SUBSCRIBERS, topic=rest)
    raise TargetError(f"unknown target kind {head!r} in {piece!r}")


def _check_name(name: str, piece: str) -> None:
    if len(name) > 60 or any(c in name for c in "+:,/\n"):
        raise TargetError(f"{piece!r}: bad name {name!r}")
