"""Which households a consultation asks: whole communities and/or single buildings.

    community:幸福小区
    building:幸福小区/3号楼,building:幸福小区/4栋
Buildings are canonicalised as the register stores them ('3' for 3号楼 / 3栋).
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.households.addressing import canonical_building, format_building


class ScopeError(ValueError):
    """A scope spec that does not parse (message in English, for the CLI)."""


@dataclass(frozen=True)
class ScopePart:
    community: str
    building: str | None = None

    def spec(self) -> str:
        if self.building is None:
            return f"community:{self.community}"
        return f"building:{self.community}/{self.building}"

    def label(self) -> str:
        if self.building is None:
            return self.community
        return f"{self.community}{format_building(self.building)}"


def parse_scope(text: str) -> tuple[ScopePart, ...]:
    parts: list[ScopePart] = []
    for piece in (p.strip() for p in text.replace("，", ",").split(",")):
        if not piece:
            continue
        kind, sep, rest = piece.partition(":")
        rest = rest.strip()
        if not sep or not rest:
            raise ScopeError(f"bad scope {piece!r}: expected community:小区 or building:小区/楼栋")
        if kind.strip() == "community":
            part = ScopePart(rest)
        elif kind.strip() == "building":
            community, slash, building = rest.partition("/")
            if not slash or not community.strip() or not building.strip():
                raise ScopeError(f"bad scope {piece!r}: expected building:小区/楼栋")
            part = ScopePart(community.strip(), canonical_building(building))
        else:
            raise ScopeError(f"bad scope kind {kind!r}: community or building")
        if part not in parts:
            parts.append(part)
    if not parts:
        raise ScopeError("the scope is empty")
    return tuple(parts)


def scope_spec(parts: tuple[ScopePart, ...]) -> str:
    return ",".join(p.spec() for p in parts)


def scope_label(parts: tuple[ScopePart, ...]) -> str:
    return "、".join(p.label() for p in parts)
