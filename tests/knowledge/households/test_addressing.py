"""Addresses and areas as people type them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from knowledge.households.addressing import (
    canonical_building,
    canonical_room,
    canonical_unit,
    chinese_number,
    format_address,
    mask_phone,
    parse_address,
    parse_area,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", "3"),
        ("3号楼", "3"),
        ("3栋", "3"),
        ("3幢", "3"),
        ("３号楼", "3"),
        (" 3 号楼 ", "3"),
        ("三号楼", "3"),
        ("十二栋", "12"),
        ("3#", "3"),
        ("A座", "A"),
        ("a座", "A"),
        ("Ａ座", "A"),
    ],
)
def test_canonical_building(text: str, expected: str) -> None:
    assert canonical_building(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("1", "1"), ("1单元", "1"), ("一单元", "1"), ("１单元", "1"), ("", "")]
)
def test_canonical_unit(text: str, expected: str) -> None:
    assert canonical_unit(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("101", "101"), ("101室", "101"), ("101号", "101"), ("１０１室", "101")]
)
def test_canonical_room(text: str, expected: str) -> None:
    assert canonical_room(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("二十一", 21), ("一百零一", 101)],
)
def test_chinese_number(text: str, expected: int) -> None:
    assert chinese_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3-1-101", ("3", "1", "101")),
        ("3号楼1单元101", ("3", "1", "101")),
        ("3栋1单元101室", ("3", "1", "101")),
        ("3-101", ("3", "", "101")),
        ("3号楼101室", ("3", "", "101")),
        ("３－１－１０１", ("3", "1", "101")),
        ("三号楼一单元101", ("3", "1", "101")),
        ("A座2单元1203", ("A", "2", "1203")),
        ("你好", None),
        ("", None),
    ],
)
def test_parse_address(text: str, expected: tuple[str, str, str] | None) -> None:
    assert parse_address(text) == expected


def test_format_address() -> None:
    assert format_address("3", "1", "101") == "3号楼1单元101室"
    assert format_address("3", "", "101") == "3号楼101室"
    assert format_address("A", "2", "1203") == "A座2单元1203室"


def test_mask_phone() -> None:
    assert mask_phone("13800000001") == "138****0001"


@pytest.mark.parametrize(
    "text",
    [
        "85.5",
        "85.50",
        "85.50㎡",
        "８５.５",
        "85.5平方米",
        "85.5m2",
        "85.5 平米",
        "85.5㎡ ",
        "85.499",
    ],
)
def test_parse_area_spellings(text: str) -> None:
    area = parse_area(text)
    assert area == Decimal("85.50")
    assert isinstance(area, Decimal)
    assert area.as_tuple().exponent == -2


def test_parse_area_rounds_half_up() -> None:
    assert parse_area("85.555") == Decimal("85.56")
    assert parse_area("0.005") == Decimal("0.01")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "不是数字"),
        ("", "不能为空"),
        ("0", "必须大于 0"),
        ("-5", "必须大于 0"),
        ("2000.01", "超过 2000"),
        ("nan", "不是数字"),
        ("1e3", "不是数字"),
    ],
)
def test_parse_area_refuses(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_area(text)
