"""The consultation record (征询记录): result JSON, export sheets and the Markdown text.

The public record names no one: households by building, unit and room, with area, option,
time and receipt code; no owners' names, phones or Telegram accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from knowledge.consult.rules import fraction_text
from knowledge.consult.tally import Decision, RosterEntry, Tally, VoteEvent
from knowledge.households.addressing import format_building
from knowledge.spreadsheet import Sheet


def decimal_text(value: Decimal) -> str:
    return f"{value:.2f}"


def result_json(cid: int, status: str, tally: Tally, decision: Decision) -> dict[str, Any]:
    """The object `consult result ID --json` prints (areas exact, fractions 'p/q')."""
    return {
        "id": cid,
        "status": status,
        "rule": decision.rule.name,
        "passed": decision.passed,
        "eligible": {
            "households": tally.eligible_households,
            "area": decimal_text(tally.eligible_area),
        },
        "participating": {
            "households": tally.participating_households,
            "area": decimal_text(tally.participating_area),
        },
        "options": [
            {"label": o.label, "households": o.households, "area": decimal_text(o.area)}
            for o in tally.options
        ],
        "thresholds": [
            {
                "name": o.threshold.key,
                "required": o.threshold.comparison.value + fraction_text(o.threshold.required),
                "measured": o.measured.text(),
                "passed": o.passed,
            }
            for o in decision.outcomes
        ],
    }


@dataclass(frozen=True)
class RecordContext:
    cid: int
    title: str
    question: str
    rule_name: str
    non_voters: str
    timeline: Sequence[tuple[str, str]]  # (what, when) in local time
    final_hash: str
    tz: tzinfo


VOTE_HEADERS = ("楼栋", "单元", "房号", "专有面积(㎡)", "表决意见", "投票时间", "回执码")
HISTORY_HEADERS = ("序号", "楼栋", "单元", "房号", "表决意见", "投票时间", "回执码", "哈希")
SUMMARY_HEADERS = ("项目", "内容")


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def vote_rows(
    roster: Sequence[RosterEntry], tally: Tally, tz: tzinfo
) -> list[tuple[str, str, str, str, str, str, str]]:
    """One row per household in scope; a household that did not vote shows 未投票."""
    rows = []
    for e in roster:
        event = tally.by_household.get(e.household_id)
        rows.append(
            (
                format_building(e.building),
                f"{e.unit}单元" if e.unit else "",
                e.room,
                decimal_text(e.area),
                tally.options[event.option].label if event else "未投票",
                _local(event.at, tz) if event else "",
                event.receipt if event else "",
            )
        )
    return rows


def history_rows(
    roster: Sequence[RosterEntry],
    events: Sequence[tuple[VoteEvent, str, str]],
    tz: tzinfo,
) -> list[tuple[int, str, str, str, str, str, str, str]]:
    """Every vote event, changes included: (event, option label, hash)."""
    rooms = {e.household_id: e for e in roster}
    rows = []
    for event, label, digest in events:
        e = rooms.get(event.household_id)
        rows.append(
            (
                event.seq,
                format_building(e.building) if e else "",
                (f"{e.unit}单元" if e.unit else "") if e else "",
                e.room if e else str(event.household_id),
                label,
                _local(event.at, tz),
                event.receipt,
                digest,
            )
        )
    return rows


def summary_rows(ctx: RecordContext, tally: Tally, lines: Sequence[str]) -> list[tuple[str, str]]:
    rows = [
        ("征询编号", str(ctx.cid)),
        ("事项", ctx.title),
        ("问题", ctx.question),
        ("表决规则", ctx.rule_name),
        ("未投票者", ctx.non_voters),
        *ctx.timeline,
        ("应参与户数", str(tally.eligible_households)),
        ("应参与业主人数", str(tally.eligible_owners)),
        ("应参与专有面积(㎡)", decimal_text(tally.eligible_area)),
    ]
    for o in tally.options:
        rows.append(
            (f"{o.label}（户/人/㎡）", f"{o.households}/{o.owners}/{decimal_text(o.area)}")
        )
    rows += [("结果", line) for line in lines]
    rows.append(("记录校验码(SHA-256)", ctx.final_hash))
    return rows


def sheets(
    ctx: RecordContext,
    tally: Tally,
    lines: Sequence[str],
    votes: Sequence[Sequence[object]],
    history: Sequence[Sequence[object]],
) -> list[Sheet]:
    return [
        Sheet("征询概要", SUMMARY_HEADERS, summary_rows(ctx, tally, lines), widths=(22, 80)),
        Sheet("分户表决", VOTE_HEADERS, votes, widths=(10, 8, 8, 12, 10, 20, 12)),
        Sheet("投票历史", HISTORY_HEADERS, history, widths=(6, 10, 8, 8, 10, 20, 12, 66)),
    ]


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(
    ctx: RecordContext, tally: Tally, lines: Sequence[str], votes: Sequence[Sequence[object]]
) -> str:
    out = [f"# 征询记录 #{ctx.cid}：{ctx.title}", ""]
    out += [f"- **{k}**：{_md_cell(v)}" for k, v in summary_rows(ctx, tally, lines)]
    out += ["", "## 分户表决", ""]
    out.append("| " + " | ".join(VOTE_HEADERS) + " |")
    out.append("|" + "---|" * len(VOTE_HEADERS))
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in votes]
    return "\n".join(out) + "\n"
