"""/kbexport's arguments: `[days] [status]` in either order, anything else is refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from handlers.qa.export import MAX_DAYS, parse_export_args
from knowledge.qa.question_export import ExportSelection

TODAY = date(2025, 3, 31)
HANDOFF = frozenset({"handoff"})


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ExportSelection()),
        (["1"], ExportSelection(start=TODAY, end=TODAY)),
        (["30"], ExportSelection(start=date(2025, 3, 2), end=TODAY)),
        (["30天"], ExportSelection(start=date(2025, 3, 2), end=TODAY)),
        (["handoff"], ExportSelection(statuses=HANDOFF)),
        (["HANDOFF"], ExportSelection(statuses=HANDOFF)),
        (["转人工"], ExportSelection(statuses=HANDOFF)),
        (["已转人工"], ExportSelection(statuses=HANDOFF)),
        (["待处理"], ExportSelection(statuses=frozenset({"unanswered", "handoff"}))),
        (["7", "已处理"], ExportSelection(date(2025, 3, 25), TODAY, frozenset({"resolved"}))),
        (["已忽略", "7"], ExportSelection(date(2025, 3, 25), TODAY, frozenset({"dismissed"}))),
        ([str(MAX_DAYS)], ExportSelection(start=TODAY - timedelta(days=MAX_DAYS - 1), end=TODAY)),
    ],
)
def test_accepted(args: list[str], expected: ExportSelection) -> None:
    assert parse_export_args(args, TODAY) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["abc"],
        ["0"],
        ["-5"],
        [str(MAX_DAYS + 1)],
        ["99999999999"],
        ["²"],
        ["３０"],  # full-width digits: not ASCII, refused rather than guessed
        ["1.5"],
        ["30", "30"],
        ["转人工", "已处理"],
        ["30", "转人工", "x"],
        ["2025-03-01"],
        ["'; DROP TABLE kb_questions; --"],
    ],
)
def test_refused(args: list[str]) -> None:
    assert parse_export_args(args, TODAY) is None
