"""Addresses as people type them: `3号楼1单元101室`, `3栋`, `三号楼`, `3-1-101`, `８５.５㎡`.

Everything is reduced to one canonical spelling before it is stored or compared: building
'3' for 3 / 3号楼 / 3栋 / 3幢 / ３号楼 / 三号楼, 'A' for A座, unit '1' for 1单元, room '101'
for 101室. Areas become a Decimal with two places (ROUND_HALF_UP), never a float.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_AREA = Decimal(2000)
_CENT = Decimal("0.01")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DIGITS |= {"七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千]+")

_BUILDING_SUFFIX = re.compile(r"(号楼|号栋|号幢|号座|栋|幢|楼|座|号|#)$")
_UNIT_SUFFIX = re.compile(r"(单元|号门|门|号)$")
_ROOM_SUFFIX = re.compile(r"(室|号|房)$")
# 3号楼1单元101室, 3栋101, A座2单元1203
_CHINESE_ADDRESS = re.compile(
    r"^(?P<b>.+?)(?:号楼|号栋|号幢|号座|栋|幢|楼|座|#)"
    r"(?:(?P<u>[^单]+?)(?:单元|号门|门))?"
    r"(?P<r>[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:室|号|房)?$"
)
_DASHED = re.compile(r"^([^-]+)-([^-]+)(?:-([^-]+))?$")
_DASHES = re.compile(r"[‐‑‒–—―－−_/／\\]")
_AREA_UNITS = re.compile(r"(平方米|平方|平米|平|m2|m²|sqm|㎡)$", re.IGNORECASE)


def _tidy(text: str) -> str:
    """Full-width → half-width (NFKC), no spaces, ASCII letters upper-cased."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def chinese_number(text: str) -> int | None:
    """三 → 3, 十二 → 12, 二十 → 20, 一百零一 → 101, 一零一 → 101; None when not a number."""
    if not text or not _CHINESE_NUMBER.fullmatch(text):
        return None
    if not any(ch in _UNITS for ch in text):  # read digit by digit: 一零一
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
    return total + (digit or 0)


def _canonical(text: str, suffix: re.Pattern[str]) -> str:
    value = _tidy(text)
    stripped = suffix.sub("", value)
    value = stripped or value
    number = chinese_number(value)
    if number is not None:
        return str(number)
    if value.isdigit():
        return str(int(value)) if len(value) > 1 and value.startswith("0") else value
    return value


def canonical_building(text: str) -> str:
    """'3', '3号楼', '3栋', '3幢', '３号楼', '三号楼' → '3'; 'A座' → 'A'."""
    return _canonical(text, _BUILDING_SUFFIX)


def canonical_unit(text: str) -> str:
    """'1', '1单元', '一单元' → '1'; '' (no unit) stays ''."""
    return _canonical(text, _UNIT_SUFFIX)


def canonical_room(text: str) -> str:
    """'101', '101室', '101号' → '101'. Leading zeros of a room are kept ('0101')."""
    value = _tidy(text)
    stripped = _ROOM_SUFFIX.sub("", value)
    value = stripped or value
    number = chinese_number(value)
    return str(number) if number is not None else value


def parse_address(text: str) -> tuple[str, str, str] | None:
    """(building, unit, room), canonical, from '3-1-101', '3号楼1单元101', '3-101' (unit '')."""
    value = _DASHES.sub("-", _tidy(text))
    if not value:
        return None
    dashed = _DASHED.match(value)
    if dashed:
        first, second, third = dashed.groups()
        building, unit, room = (first, "", second) if third is None else (first, second, third)
        if all(_plain_part(p) for p in (building, unit, room) if p):
            return canonical_building(building), canonical_unit(unit), canonical_room(room)
    found = _CHINESE_ADDRESS.match(value)
    if found is None:
        return None
    return (
        canonical_building(found["b"]),
        canonical_unit(found["u"] or ""),
        canonical_room(found["r"]),
    )


_PLAIN_PART = re.compile(r"[0-9A-Z]+|[零〇一二两三四五六七八九十百千]+|.+?(号楼|栋|幢|单元|室|座)")


def _plain_part(part: str) -> bool:
    return bool(_PLAIN_PART.fullmatch(part))


def format_building(building: str) -> str:
    if building.isdigit():
        return f"{building}号楼"
    if re.fullmatch(r"[0-9A-Z]+", building):
        return f"{building}座"
    return building


def format_address(building: str, unit: str, room: str) -> str:
    """'3号楼1单元101室'; without a unit '3号楼101室'."""
    unit_text = f"{unit}单元" if unit else ""
    return f"{format_building(building)}{unit_text}{room}室"


def mask_phone(phone: str) -> str:
    """'13800000001' → '138****0001': enough for staff to recognise, not to call."""
    value = phone.strip()
    if len(value) >= 8:
        return f"{value[:3]}****{value[-4:]}"
    return f"{value[:1]}****" if value else ""


def is_masked_phone(phone: str) -> bool:
    return "*" in phone


def parse_area(text: str) -> Decimal:
    """'85.5', '85.50㎡', '８５.５', '85.5平方米', '85.5m2' → Decimal('85.50').

    Raises ValueError with a Chinese reason: not a number, not positive, implausibly large.
    """
    value = "".join(unicodedata.normalize("NFKC", text).split()).replace(",", "")
    value = _AREA_UNITS.sub("", value)
    if not value:
        raise ValueError("不能为空")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
        raise ValueError("不是数字")
    try:
        area = Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError("不是数字") from None
    if area <= 0:
        raise ValueError("必须大于 0")
    if area > MAX_AREA:
        raise ValueError(f"超过 {MAX_AREA} 平方米，不像一套房的面积")
    return area
