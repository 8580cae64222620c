"""Decision rules: which ratios must reach which fractions, in exact arithmetic.

Every threshold compares a measured ratio (a pair of exact numbers: owners or m² as
Decimal) against a `Fraction`; nothing here ever becomes a float, so 2 of 3 owners is
exactly 2/3 and passes "≥ 2/3".

Rule specs as staff and the CLI type them:
    civil-code-major      民法典第278条 重大事项 (筹集维修资金、改建重建、改变共有部分用途)
    civil-code-general    民法典第278条 一般事项
    double-two-thirds     改造方案的"双三分之二"
    representatives-60    居民代表会议：超过60%同意
    custom:p-area>=2/3,p-count>=2/3,a-area>1/2,a-count>1/2
        p- participation of those in scope, a- approval of those participating,
        all- approval of everyone in scope; -area by floor area, -count by headcount;
        >= or >; a fraction p/q, a percentage (60%) or a decimal (0.6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from fractions import Fraction


class Axis(Enum):
    AREA = "area"
    COUNT = "count"


class Measure(Enum):
    """What a threshold measures: numerator over denominator."""

    PARTICIPATION = "p"  # participating / in scope
    APPROVAL = "a"  # approving / participating
    APPROVAL_OF_ALL = "all"  # approving / in scope


class Comparison(Enum):
    AT_LEAST = ">="
    MORE_THAN = ">"

    def holds(self, measured: Fraction, required: Fraction) -> bool:
        return measured >= required if self is Comparison.AT_LEAST else measured > required


@dataclass(frozen=True)
class Threshold:
    measure: Measure
    axis: Axis
    comparison: Comparison
    required: Fraction

    @property
    def key(self) -> str:
        return f"{self.measure.value}-{self.axis.value}"

    def spec(self) -> str:
        return f"{self.key}{self.comparison.value}{fraction_text(self.required)}"


@dataclass(frozen=True)
class Rule:
    name: str  # the spec: 'civil-code-major' or 'custom:...'
    thresholds: tuple[Threshold, ...]

    @property
    def builtin(self) -> bool:
        return self.name in RULES


class RuleError(ValueError):
    """A rule spec that does not parse (message in English, for the CLI)."""


def fraction_text(value: Fraction) -> str:
    """Always 'p/q', also for whole numbers ('1/1'), as the result JSON wants."""
    return f"{value.numerator}/{value.denominator}"


def _t(measure: Measure, axis: Axis, comparison: Comparison, required: Fraction) -> Threshold:
    return Threshold(measure, axis, comparison, required)


_TWO_THIRDS = Fraction(2, 3)
_PARTICIPATION = (
    _t(Measure.PARTICIPATION, Axis.AREA, Comparison.AT_LEAST, _TWO_THIRDS),
    _t(Measure.PARTICIPATION, Axis.COUNT, Comparison.AT_LEAST, _TWO_THIRDS),
)
RULES: dict[str, tuple[Threshold, ...]] = {
    "civil-code-major": (
        *_PARTICIPATION,
        _t(Measure.APPROVAL, Axis.AREA, Comparison.AT_LEAST, Fraction(3, 4)),
        _t(Measure.APPROVAL, Axis.COUNT, Comparison.AT_LEAST, Fraction(3, 4)),
    ),
    "civil-code-general": (
        *_PARTICIPATION,
        _t(Measure.APPROVAL, Axis.AREA, Comparison.MORE_THAN, Fraction(1, 2)),
        _t(Measure.APPROVAL, Axis.COUNT, Comparison.MORE_THAN, Fraction(1, 2)),
    ),
    "double-two-thirds": (
        _t(Measure.APPROVAL_OF_ALL, Axis.AREA, Comparison.AT_LEAST, _TWO_THIRDS),
        _t(Measure.APPROVAL_OF_ALL, Axis.COUNT, Comparison.AT_LEAST, _TWO_THIRDS),
    ),
    "representatives-60": (
        _t(Measure.APPROVAL, Axis.COUNT, Comparison.MORE_THAN, Fraction(3, 5)),
    ),
}
CUSTOM_PREFIX = "custom:"
_ITEM = re.compile(r"^(p|a|all)-(area|count)(>=|≥|>)([0-9./%]+)$")


def parse_fraction(raw: str) -> Fraction:
    """'2/3', '60%', '0.6', '1' → an exact Fraction in [0, 1]."""
    text = raw.strip()
    try:
        if text.endswith("%"):
            value = Fraction(Decimal(text[:-1])) / 100
        elif "/" in text:
            num, _, den = text.partition("/")
            value = Fraction(int(num), int(den))
        else:
            value = Fraction(Decimal(text))
    except (ValueError, ZeroDivisionError, InvalidOperation):
        raise RuleError(f"not a fraction: {raw!r}") from None
    if not 0 <= value <= 1:
        raise RuleError(f"{raw!r} is not between 0 and 1")
    return value


def parse_rule(spec: str) -> Rule:
    """A built-in rule name or a custom spec; raises RuleError."""
    name = spec.strip()
    if name in RULES:
        return Rule(name, RULES[name])
    if not name.startswith(CUSTOM_PREFIX):
        raise RuleError(
            f"unknown rule {spec!r}: use one of {', '.join(RULES)} or custom:p-area>=2/3,..."
        )
    items = [i.strip() for i in name[len(CUSTOM_PREFIX) :].split(",") if i.strip()]
    if not items:
        raise RuleError("a custom rule needs at least one threshold")
    found: list[Threshold] = []
    for item in items:
        match = _ITEM.match(item.replace(" ", ""))
        if match is None:
            raise RuleError(f"bad threshold {item!r}: expected e.g. p-area>=2/3 or a-count>1/2")
        measure, axis, op, raw = match.groups()
        threshold = Threshold(
            Measure(measure),
            Axis(axis),
            Comparison.MORE_THAN if op == ">" else Comparison.AT_LEAST,
            parse_fraction(raw),
        )
        if any(t.key == threshold.key for t in found):
            raise RuleError(f"threshold {threshold.key} given twice")
        found.append(threshold)
    thresholds = tuple(found)
    return Rule(CUSTOM_PREFIX + ",".join(t.spec() for t in thresholds), thresholds)


@dataclass(frozen=True)
class Ratio:
    """A measured ratio kept as its exact parts; an empty denominator measures nothing."""

    numerator: Fraction
    denominator: Fraction

    @property
    def value(self) -> Fraction | None:
        return None if self.denominator == 0 else self.numerator / self.denominator

    def text(self) -> str:
        value = self.value
        return "0/0" if value is None else fraction_text(value)


@dataclass(frozen=True)
class Outcome:
    threshold: Threshold
    measured: Ratio

    @property
    def passed(self) -> bool:
        value = self.measured.value
        # Nothing to measure (no one in scope, no one participating) never passes.
        return value is not None and self.threshold.comparison.holds(
            value, self.threshold.required
        )


@dataclass(frozen=True)
class Totals:
    """The four sums a rule looks at, on one axis."""

    eligible: Fraction
    participating: Fraction
    approving: Fraction


def evaluate(rule: Rule, area: Totals, count: Totals) -> tuple[Outcome, ...]:
    """Each threshold of the rule against the measured sums (both axes)."""
    outcomes: list[Outcome] = []
    for threshold in rule.thresholds:
        totals = area if threshold.axis is Axis.AREA else count
        if threshold.measure is Measure.PARTICIPATION:
            ratio = Ratio(totals.participating, totals.eligible)
        elif threshold.measure is Measure.APPROVAL:
            ratio = Ratio(totals.approving, totals.participating)
        else:
            ratio = Ratio(totals.approving, totals.eligible)
        outcomes.append(Outcome(threshold, ratio))
    return tuple(outcomes)


def passed(outcomes: tuple[Outcome, ...]) -> bool:
    return bool(outcomes) and all(o.passed for o in outcomes)
