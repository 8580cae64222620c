"""Rules, thresholds, results and the public notice (公示) in plain Chinese.

Shared by the bot's messages, `/record` and the CLI's exports, so every place says the
same thing about one consultation.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from knowledge.consult.rules import Axis, Comparison, Measure, Outcome, Rule, Threshold
from knowledge.consult.tally import Decision, NonVoters, Tally

RULE_NAMES = {
    "civil-code-major": "民法典第二百七十八条·重大事项（双三分之二参与、四分之三同意）",
    "civil-code-general": "民法典第二百七十八条·一般事项（双三分之二参与、过半数同意）",
    "double-two-thirds": "老旧小区改造“双三分之二”（全体业主面积和人数均三分之二以上同意）",
    "representatives-60": "居民代表会议（参加表决者超过60%同意，按人数）",
}
NON_VOTER_NAMES = {
    NonVoters.IGNORE: "未投票的业主不计入（默认）",
    NonVoters.MAJORITY: "未投票的业主计入已投票的多数意见（依管理规约/议事规则）",
}
CONSULTATION_NOTE = (
    "本次为意见征询：如所在城市要求使用官方业主决策系统进行业主大会表决，本结果仅作征询参考。"
)
_MEASURE = {
    Measure.PARTICIPATION: "参与表决",
    Measure.APPROVAL: "同意（占参与表决）",
    Measure.APPROVAL_OF_ALL: "同意（占全体）",
}
_AXIS = {Axis.AREA: "专有面积", Axis.COUNT: "业主人数"}
_COMPARISON = {Comparison.AT_LEAST: "不低于", Comparison.MORE_THAN: "超过"}


def rule_name(rule: Rule) -> str:
    if rule.name in RULE_NAMES:
        return RULE_NAMES[rule.name]
    return "自定义规则：" + "；".join(threshold_requirement(t) for t in rule.thresholds)


def threshold_name(threshold: Threshold) -> str:
    return f"{_MEASURE[threshold.measure]}{_AXIS[threshold.axis]}"


def percent(value: Fraction) -> str:
    """2/3 → '66.67%' (rounded for reading only; decisions use the exact fraction)."""
    hundredths = (value * 10000).__round__()
    return f"{Decimal(hundredths) / 100:.2f}%"


def fraction_words(value: Fraction) -> str:
    known = {
        Fraction(2, 3): "三分之二",
        Fraction(3, 4): "四分之三",
        Fraction(1, 2): "二分之一",
        Fraction(3, 5): "60%",
    }
    return known.get(value, f"{value.numerator}/{value.denominator}（{percent(value)}）")


def threshold_requirement(threshold: Threshold) -> str:
    return (
        f"{threshold_name(threshold)}{_COMPARISON[threshold.comparison]}"
        f"{fraction_words(threshold.required)}"
    )


def outcome_line(outcome: Outcome) -> str:
    value = outcome.measured.value
    measured = "无法计算（分母为0）" if value is None else percent(value)
    mark = "✅ 达到" if outcome.passed else "❌ 未达到"
    return (
        f"{threshold_name(outcome.threshold)}：要求{_COMPARISON[outcome.threshold.comparison]}"
        f"{fraction_words(outcome.threshold.required)}，实际{measured}"
        f"（{outcome.measured.text()}），{mark}"
    )


def area_text(area: Decimal) -> str:
    return f"{area:.2f}㎡"


def tally_lines(tally: Tally) -> list[str]:
    lines = [
        f"应参与：{tally.eligible_households}户 / {tally.eligible_owners}名业主 / "
        f"{area_text(tally.eligible_area)}",
        f"已参与：{tally.participating_households}户 / {tally.participating_owners}名业主 / "
        f"{area_text(tally.participating_area)}",
    ]
    for option in tally.options:
        lines.append(
            f"· {option.label}：{option.households}户 / {option.owners}名业主 / "
            f"{area_text(option.area)}"
        )
    return lines


def decision_lines(decision: Decision, tally: Tally) -> list[str]:
    lines = [
        f"规则：{rule_name(decision.rule)}",
        f"未投票者：{NON_VOTER_NAMES[decision.non_voters]}",
    ]
    if decision.majority is not None:
        labels = [o.label for o in tally.options]
        lines.append(
            "未投票者计入："
            f"按面积计入「{_label(labels, decision.majority.area_option)}」，"
            f"按人数计入「{_label(labels, decision.majority.count_option)}」"
        )
    lines += [outcome_line(o) for o in decision.outcomes]
    lines.append("结果：" + ("通过" if decision.passed else "未通过"))
    if decision.ignored_outcomes is not None:
        lines.append("若未投票者不计入：")
        lines += ["  " + outcome_line(o) for o in decision.ignored_outcomes]
        lines.append("  结果：" + ("通过" if decision.ignored_passed else "未通过"))
    return lines


def _label(labels: list[str], index: int | None) -> str:
    return "无（没有唯一多数，不计入）" if index is None else labels[index]


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day counting `start` itself if it is one (weekends skipped)."""
    current, counted = start, 0
    while True:
        if current.weekday() < 5:
            counted += 1
            if counted == days:
                return current
        current += timedelta(days=1)


def publicity_period(closed_on: date, days: int = 5) -> tuple[date, date]:
    """From the first working day after the close, for `days` working days."""
    first = add_working_days(closed_on + timedelta(days=1), 1)
    return first, add_working_days(first, days)


def publicity_text(
    title: str, decision: Decision, tally: Tally, closed_on: date, final_hash: str, days: int = 5
) -> str:
    first, last = publicity_period(closed_on, days)
    return "\n".join(
        [
            f"公示：关于「{title}」的意见征询结果",
            *tally_lines(tally),
            *decision_lines(decision, tally),
            f"公示期：{first:%Y年%m月%d日}至{last:%Y年%m月%d日}（{days}个工作日，不含周末）。"
            "如有异议，请在公示期内向社区居委会书面反映。",
            f"记录校验码（SHA-256）：{final_hash}",
            CONSULTATION_NOTE,
        ]
    )
