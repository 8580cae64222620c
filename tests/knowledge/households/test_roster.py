"""Reading roster files: encodings, headers in any spelling and order, row validation."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from knowledge.households.roster import (
    Column,
    map_headers,
    normalize_header,
    parse_roster,
)
from knowledge.households.roster_files import decode_csv

GOOD = (
    "小区,楼栋,单元,房号,面积,业主,电话,业主编号\n"
    "幸福小区,3号楼,1单元,101室,85.5,张三、李四,13800000001,A1\n"
    "幸福小区,3栋,1,102,８５.５㎡,王五,,\n"
)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("小区", Column.COMMUNITY),
        ("community", Column.COMMUNITY),
        ("楼栋", Column.BUILDING),
        ("Building", Column.BUILDING),
        ("单元", Column.UNIT),
        ("unit", Column.UNIT),
        ("房号", Column.ROOM),
        ("room", Column.ROOM),
        ("面积", Column.AREA),
        ("建筑面积", Column.AREA),
        ("专有部分面积", Column.AREA),
        ("面积(㎡)", Column.AREA),
        ("面积（平方米）", Column.AREA),
        ("area", Column.AREA),
        ("业主", Column.OWNERS),
        ("业主姓名", Column.OWNERS),
        ("owners", Column.OWNERS),
        ("电话", Column.PHONES),
        ("联系电话", Column.PHONES),
        ("phone", Column.PHONES),
        ("业主编号", Column.OWNER_KEY),
        ("owner_id", Column.OWNER_KEY),
        ("Ｏｗｎｅｒ＿ＩＤ", Column.OWNER_KEY),
        ("未售", Column.UNSOLD),
        ("状态", Column.UNSOLD),
        ("unsold", Column.UNSOLD),
        (" 业主 姓名 ", Column.OWNERS),
        ("＊房号", Column.ROOM),
    ],
)
def test_every_header_spelling(header: str, column: Column) -> None:
    mapping, warnings, _ = map_headers(["x", header])
    assert mapping.get(column) == 1, (header, normalize_header(header))
    assert warnings == ["未知的列“x”，已忽略"]


def test_missing_required_columns_are_named() -> None:
    _, _, errors = map_headers(["小区", "楼栋", "业主"])
    assert [str(e) for e in errors] == [
        "缺少必需的列: 房号（或 room）",
        "缺少必需的列: 面积（或 area）",
    ]


def test_two_area_columns_prefer_the_exclusive_area() -> None:
    mapping, warnings, errors = map_headers(["建筑面积", "楼栋", "房号", "专有部分面积"])
    assert mapping[Column.AREA] == 3
    assert not errors
    assert len(warnings) == 1
    assert "建筑面积" in warnings[0]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(encoding: str) -> None:
    data = GOOD.encode(encoding)
    assert decode_csv(data) == GOOD
    parsed = parse_roster(data, "名册.csv")
    assert not parsed.errors
    assert [r.owners for r in parsed.rows] == [("张三", "李四"), ("王五",)]


def test_values_are_canonical() -> None:
    parsed = parse_roster(GOOD.encode(), "x.csv")
    first, second = parsed.rows
    assert (first.community, first.building, first.unit, first.room) == (
        "幸福小区",
        "3",
        "1",
        "101",
    )
    assert first.area == Decimal("85.50")
    assert first.phones == ("13800000001",)
    assert first.owner_key == "A1"
    assert (second.building, second.room, second.area) == ("3", "102", Decimal("85.50"))
    assert second.owner_key is None
    assert first.line == 2
    assert second.line == 3


def test_column_order_is_free_and_english_headers_work() -> None:
    data = "room,area,owners,building,unit,community\n101,60,Li Lei;Han Mei,5,2,Sunny\n"
    (row,) = parse_roster(data.encode(), "x.csv").rows
    assert (row.community, row.building, row.unit, row.room) == ("Sunny", "5", "2", "101")
    assert row.owners == ("Li", "Lei", "Han", "Mei")  # spaces separate owners too


@pytest.mark.parametrize(
    "owners", ["张三、李四", "张三，李四", "张三,李四", "张三;李四", "张三 李四"]
)
def test_owner_separators(owners: str) -> None:
    data = f'楼栋,房号,面积,业主\n1,101,50,"{owners}"\n'
    (row,) = parse_roster(data.encode(), "x.csv", community="幸福小区").rows
    assert row.owners == ("张三", "李四")


def test_unsold_marks() -> None:
    data = (
        "楼栋,房号,面积,业主,未售\n"
        "1,101,50,开发商未售,\n"
        "1,102,50,,是\n"
        "1,103,50,张三,否\n"
        "1,104,50,张三,\n"
    )
    rows = parse_roster(data.encode(), "x.csv", community="幸福小区").rows
    assert [r.unsold for r in rows] == [True, True, False, False]
    assert rows[0].owners == ()


def test_status_column() -> None:
    data = "楼栋,房号,面积,状态\n1,101,50,未售\n1,102,50,已入住\n"
    rows = parse_roster(data.encode(), "x.csv", community="幸福小区").rows
    assert [r.unsold for r in rows] == [True, False]


def test_community_from_the_option() -> None:
    data = "楼栋,房号,面积\n1,101,50\n"
    assert (
        parse_roster(data.encode(), "x.csv", community="幸福小区").rows[0].community == "幸福小区"
    )
    parsed = parse_roster(data.encode(), "x.csv")
    assert [str(e) for e in parsed.errors] == ["第2行 小区: 不能为空（或用 --community 指定小区）"]


def test_every_error_with_its_row_number() -> None:
    data = (
        "小区,楼栋,单元,房号,面积\n"
        "幸福小区,3,1,101,85.5\n"
        "幸福小区,3,1,102,abc\n"
        "幸福小区,3,1,103,\n"
        "幸福小区,3,1,104,0\n"
        "幸福小区,3,1,105,-3\n"
        "幸福小区,3,1,106,2500\n"
        "幸福小区,3号楼,1单元,101室,90\n"
        "幸福小区,,1,107,90\n"
    )
    parsed = parse_roster(data.encode(), "x.csv")
    assert [str(e) for e in parsed.errors] == [
        '第3行 面积: "abc" 不是数字',
        "第4行 面积: 不能为空",
        '第5行 面积: "0" 必须大于 0',
        '第6行 面积: "-3" 必须大于 0',
        '第7行 面积: "2500" 超过 2000 平方米，不像一套房的面积',
        '第8行 房号: "101" 与第2行重复（幸福小区 3号楼1单元101室）',
        "第9行 楼栋: 不能为空",
    ]


def test_header_spelling_is_used_in_the_message() -> None:
    data = "楼栋,房号,建筑面积\n1,101,abc\n"
    parsed = parse_roster(data.encode(), "x.csv", community="幸福小区")
    assert [str(e) for e in parsed.errors] == ['第2行 建筑面积: "abc" 不是数字']


def test_blank_rows_are_skipped_and_row_numbers_kept() -> None:
    data = "楼栋,房号,面积\n1,101,50\n,,\n\n1,102,x\n"
    parsed = parse_roster(data.encode(), "x.csv", community="幸福小区")
    assert [str(e) for e in parsed.errors] == ['第5行 面积: "x" 不是数字']


def test_xlsx_with_numbers_as_excel_stores_them() -> None:
    data = xlsx_bytes(
        [
            ["小区", "楼栋", "单元", "房号", "面积", "业主", "电话"],
            ["幸福小区", 3, 1, 101, 85.5, "张三", 13800000001],
            ["幸福小区", "三号楼", "1单元", "102室", "８５.５㎡", "李四", None],
            ["幸福小区", 3, 1, 103, "abc", "王五", None],
        ]
    )
    parsed = parse_roster(data, "名册.xlsx")
    assert [str(e) for e in parsed.errors] == ['第4行 面积: "abc" 不是数字']
    first, second = parsed.rows
    assert (first.building, first.unit, first.room, first.area) == (
        "3",
        "1",
        "101",
        Decimal("85.50"),
    )
    assert first.phones == ("13800000001",)
    assert (second.building, second.unit, second.room) == ("3", "1", "102")


def test_a_damaged_xlsx_is_one_plain_error() -> None:
    parsed = parse_roster(b"PK\x03\x04 not really a zip", "x.xlsx")
    assert len(parsed.errors) == 1
    assert "损坏" in str(parsed.errors[0]) or "无法读取" in str(parsed.errors[0])


def test_an_empty_file() -> None:
    parsed = parse_roster(b"", "x.csv")
    assert [str(e) for e in parsed.errors] == ["文件是空的：第1行应是表头"]


def test_community_column_must_agree_with_the_option() -> None:
    data = "小区,楼栋,房号,面积\n幸福小区,1,101,50\n别的小区,1,102,50\n"
    parsed = parse_roster(data.encode(), "x.csv", community="幸福小区")
    assert [str(e) for e in parsed.errors] == [
        '第3行 小区: "别的小区" 与 --community “幸福小区” 不一致'
    ]
