"""Reading a roster file (CSV or XLSX) into validated rows, every problem collected.

The file is what staff have: a CSV saved by Excel on Chinese Windows (GBK/GB18030), a UTF-8
one with or without a BOM, or an .xlsx; headers in Chinese or English in any order, spelled
with stray spaces or full-width letters; values as people type them. Nothing here writes:
`parse_roster` returns the rows and every error with the row number the spreadsheet shows
(header = row 1), so the caller can refuse the whole file. Turning the bytes into text cells
is roster_files.py's.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from knowledge.households.addressing import (
    canonical_building,
    canonical_room,
    canonical_unit,
    format_address,
    parse_area,
)
from knowledge.households.roster_files import RosterFileError, read_table
from knowledge.upload_limits import UploadRejectedError


class Column(StrEnum):
    COMMUNITY = "community"
    BUILDING = "building"
    UNIT = "unit"
    ROOM = "room"
    AREA = "area"
    OWNERS = "owners"
    PHONES = "phones"
    OWNER_KEY = "owner_key"
    UNSOLD = "unsold"


# Header spellings, most preferred first: when a file holds two spellings of one column
# (面积 and 建筑面积), the first listed is read and the other ignored with a warning. The
# exclusive area comes first: it is what owners' votes count (DOMAIN.md).
HEADER_NAMES: dict[Column, tuple[str, ...]] = {
    Column.COMMUNITY: ("小区", "小区名称", "community"),
    Column.BUILDING: ("楼栋", "楼栋号", "楼号", "栋", "building"),
    Column.UNIT: ("单元", "单元号", "unit"),
    Column.ROOM: ("房号", "房间号", "室号", "门牌号", "room"),
    Column.AREA: ("专有部分面积", "专有面积", "面积", "建筑面积", "area"),
    Column.OWNERS: ("业主", "业主姓名", "姓名", "owners", "owner"),
    Column.PHONES: ("电话", "联系电话", "手机", "手机号", "phone", "phones"),
    Column.OWNER_KEY: ("业主编号", "owner_id", "ownerid"),
    Column.UNSOLD: ("未售", "状态", "销售状态", "unsold", "status"),
}
# Written by our own export; read back without a warning, and without effect.
EXPORT_ONLY_HEADERS = ("已绑定账号数", "linked")
REQUIRED = (Column.BUILDING, Column.ROOM, Column.AREA)
# How a message names a column the file lacks.
DISPLAY_NAMES = {column: names[0] for column, names in HEADER_NAMES.items()} | {
    Column.AREA: "面积"
}

DEVELOPER_OWNER = re.compile(r"^(开发商)?未售$|^开发商$")
_TRUE = {"是", "未售", "y", "yes", "true", "1", "√", "✓", "✔", "unsold", "开发商未售"}
_FALSE = {"", "否", "已售", "n", "no", "false", "0", "×", "sold"}
_OWNER_SPLIT = re.compile(r"[、，,;；\s]+")
_PHONE_SPLIT = re.compile(r"[、，,;；/]+")


@dataclass(frozen=True)
class RowError:
    """One problem, shown as `第3行 面积: "abc" 不是数字`."""

    line: int | None
    column: str | None
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"第{self.line}行 " if self.line is not None else ""
        what = f"{self.column}: " if self.column else ""
        shown = f'"{self.value}" ' if self.value else ""
        return f"{where}{what}{shown}{self.reason}"


@dataclass(frozen=True)
class RosterRow:
    """One room as read from the file, canonical; `line` is the spreadsheet's row number."""

    line: int
    community: str | None
    building: str
    unit: str
    room: str
    area: Decimal
    owners: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    owner_key: str | None = None
    unsold: bool = False

    @property
    def address(self) -> str:
        return format_address(self.building, self.unit, self.room)


@dataclass(frozen=True)
class ParsedRoster:
    rows: tuple[RosterRow, ...]
    errors: tuple[RowError, ...]
    warnings: tuple[str, ...]
    # The columns the file has: a column it lacks leaves the stored value as it is.
    columns: frozenset[Column] = field(default_factory=frozenset)


def normalize_header(text: str) -> str:
    """'  业主 姓名 ' → '业主姓名', 'Ｏｗｎｅｒ_ID' → 'owner_id', '面积(㎡)' → '面积'."""
    value = "".join(unicodedata.normalize("NFKC", text).split()).casefold()
    value = re.sub(r"\(.*\)$", "", value)  # 面积(㎡), 面积（平方米） after NFKC
    return value.strip("*:").replace("-", "_")


_LOOKUP = {
    normalize_header(name): (column, rank)
    for column, names in HEADER_NAMES.items()
    for rank, name in enumerate(names)
}


def map_headers(
    headers: Sequence[str],
) -> tuple[dict[Column, int], list[str], list[RowError]]:
    """(column → index, warnings, errors) for a header row."""
    best: dict[Column, tuple[int, int]] = {}
    warnings: list[str] = []
    for index, raw in enumerate(headers):
        key = normalize_header(raw)
        if not key:
            continue
        if key in _LOOKUP:
            column, rank = _LOOKUP[key]
            if column in best:
                kept_rank, kept_index = best[column]
                if rank < kept_rank:
                    best[column] = (rank, index)
                    raw, kept = headers[kept_index], headers[index]
                else:
                    kept = headers[kept_index]
                warnings.append(
                    f"列“{raw.strip()}”与“{kept.strip()}”重复，已忽略，使用“{kept.strip()}”"
                )
                continue
            best[column] = (rank, index)
        elif key not in {normalize_header(h) for h in EXPORT_ONLY_HEADERS}:
            warnings.append(f"未知的列“{raw.strip()}”，已忽略")
    mapping = {column: index for column, (_, index) in best.items()}
    errors = [
        RowError(None, None, "", f"缺少必需的列: {DISPLAY_NAMES[c]}（或 {c.value}）")
        for c in REQUIRED
        if c not in mapping
    ]
    return mapping, warnings, errors


def split_owners(text: str) -> tuple[str, ...]:
    return tuple(p for p in _OWNER_SPLIT.split(text) if p)


def split_phones(text: str) -> tuple[str, ...]:
    value = unicodedata.normalize("NFKC", text)
    return tuple(p for p in (re.sub(r"[\s\-]", "", p) for p in _PHONE_SPLIT.split(value)) if p)


def parse_unsold(text: str) -> bool | None:
    """True for 是/未售/yes/1, False for 否/已售/empty; None when unreadable."""
    value = unicodedata.normalize("NFKC", text).strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


class _RowReader:
    """Reads one data row, collecting its errors."""

    def __init__(
        self, headers: Sequence[str], mapping: dict[Column, int], community: str | None
    ) -> None:
        self.headers = headers
        self.mapping = mapping
        self.community = community

    def _get(self, cells: Sequence[str], column: Column) -> str:
        index = self.mapping.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def _name(self, column: Column) -> str:
        index = self.mapping.get(column)
        return self.headers[index].strip() if index is not None else DISPLAY_NAMES[column]

    def key(self, cells: Sequence[str], community: str | None) -> tuple[str, str, str, str] | None:
        """The room a row names, when it names one."""
        building = canonical_building(self._get(cells, Column.BUILDING))
        room = canonical_room(self._get(cells, Column.ROOM))
        name = _tidy_community(self._get(cells, Column.COMMUNITY) or community or "")
        if not (building and room and name):
            return None
        return (name, building, canonical_unit(self._get(cells, Column.UNIT)), room)

    def read(self, line: int, cells: Sequence[str], errors: list[RowError]) -> RosterRow | None:
        before = len(errors)

        def fail(column: Column, value: str, reason: str) -> None:
            errors.append(RowError(line, self._name(column), value, reason))

        community = self._get(cells, Column.COMMUNITY) or self.community
        if not community:
            fail(Column.COMMUNITY, "", "不能为空（或用 --community 指定小区）")
        raw_building, raw_room = self._get(cells, Column.BUILDING), self._get(cells, Column.ROOM)
        building, room = canonical_building(raw_building), canonical_room(raw_room)
        if not building:
            fail(Column.BUILDING, raw_building, "不能为空")
        if not room:
            fail(Column.ROOM, raw_room, "不能为空")
        raw_area = self._get(cells, Column.AREA)
        area = Decimal(0)
        try:
            area = parse_area(raw_area)
        except ValueError as exc:
            fail(Column.AREA, raw_area, str(exc))
        owners_text = self._get(cells, Column.OWNERS)
        unsold = bool(DEVELOPER_OWNER.match(owners_text.replace(" ", "")))
        owners = () if unsold else split_owners(owners_text)
        if Column.UNSOLD in self.mapping:
            raw_unsold = self._get(cells, Column.UNSOLD)
            marked = parse_unsold(raw_unsold)
            if marked is None and self.headers[self.mapping[Column.UNSOLD]].strip() in {
                "状态",
                "销售状态",
                "status",
            }:
                marked = "未售" in raw_unsold or raw_unsold.casefold() == "unsold"
            if marked is None:
                fail(Column.UNSOLD, raw_unsold, "看不懂：未售填“是”，已售留空或填“否”")
            unsold = unsold or bool(marked)
        if len(errors) > before:
            return None
        return RosterRow(
            line=line,
            community=community,
            building=building,
            unit=canonical_unit(self._get(cells, Column.UNIT)),
            room=room,
            area=area,
            owners=owners,
            phones=split_phones(self._get(cells, Column.PHONES)),
            owner_key=self._get(cells, Column.OWNER_KEY) or None,
            unsold=unsold,
        )


def _tidy_community(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split())


def parse_roster(data: bytes, filename: str, community: str | None = None) -> ParsedRoster:
    """Every row of the file, validated; `community` fills in for a missing 小区 column."""
    try:
        table = read_table(data, filename)
        header = next(table, None)
    except (RosterFileError, UploadRejectedError) as exc:
        return ParsedRoster((), (RowError(None, None, "", str(exc)),), ())
    if header is None or not any(header):
        return ParsedRoster((), (RowError(None, None, "", "文件是空的：第1行应是表头"),), ())
    mapping, warnings, errors = map_headers(header)
    if errors:
        return ParsedRoster((), tuple(errors), tuple(warnings), frozenset(mapping))
    reader = _RowReader(header, mapping, _tidy_community(community) if community else None)
    rows: list[RosterRow] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    try:
        for line, cells in enumerate(table, start=2):
            if not any(c.strip() for c in cells):
                continue  # blank rows Excel leaves below (or between) the data
            row = reader.read(line, cells, errors)
            if row is None:
                # Still claim its room, so a later copy of it is reported as a duplicate.
                claimed = reader.key(cells, reader.community)
                if claimed is not None:
                    seen.setdefault(claimed, line)
                continue
            if row.community and community and _tidy_community(row.community) != reader.community:
                # Both given: they must agree, or the room would land in the wrong place.
                errors.append(
                    RowError(
                        line,
                        reader._name(Column.COMMUNITY),
                        row.community,
                        f"与 --community “{community}” 不一致",
                    )
                )
                continue
            row_community = _tidy_community(row.community or "")
            key = (row_community, row.building, row.unit, row.room)
            if key in seen:
                errors.append(
                    RowError(
                        line,
                        reader._name(Column.ROOM),
                        row.room,
                        f"与第{seen[key]}行重复（{row_community} {row.address}）",
                    )
                )
                continue
            seen[key] = line
            rows.append(replace(row, community=row_community))
    except (RosterFileError, UploadRejectedError) as exc:
        errors.append(RowError(None, None, "", str(exc)))
    except csv.Error as exc:
        errors.append(RowError(None, None, "", f"CSV 格式错误：{exc}"))
    return ParsedRoster(tuple(rows), tuple(errors), tuple(warnings), frozenset(mapping))
