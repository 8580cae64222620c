"""What staff type in the guided /consult flow: options, scope and deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from knowledge.consult.chat_input import parse_closes, parse_options, scope_from_text

NOW = datetime(2025, 6, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("同意,不同意,弃权", ("同意", "不同意", "弃权")),
        (" 赞成，反对、 再议 ,", ("赞成", "反对", "再议")),
        ("方案A,方案B", ("方案A", "方案B")),
        ("同意", None),
        ("同意,同意", None),
        (",".join(f"选项{i}" for i in range(9)), None),
        ("同意," + "很" * 21, None),
        ("", None),
    ],
)
def test_parse_options(typed: str, expected: tuple[str, ...] | None) -> None:
    assert parse_options(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("幸福小区", "community:幸福小区"),
        ("幸福小区/3号楼", "building:幸福小区/3"),
        ("幸福小区/3号楼，幸福小区/4栋", "building:幸福小区/3,building:幸福小区/4"),
    ],
)
def test_scope_from_text(typed: str, expected: str) -> None:
    assert scope_from_text(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("3天", NOW + timedelta(days=3)),
        ("2025-06-02 20:00", datetime(2025, 6, 2, 20, 0, tzinfo=NOW.tzinfo)),
        ("2025-06-01 09:30", None),  # not after now
        ("2025-05-31 20:00", None),
        ("明天", None),
    ],
)
def test_parse_closes(typed: str, expected: datetime | None) -> None:
    assert parse_closes(typed, NOW) == expected
