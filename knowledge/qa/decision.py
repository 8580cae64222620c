"""Answer or decline: a logistic regression over the evidence of the best candidates.

One fixed coverage threshold declined a third of unseen answerable questions, often with
the right passage first, because a single share cannot tell "the documents say this in
other words" from "the documents do not say this". The decision instead weighs several
signals (coverage trusting only the resident's own words and their expansions; the extra
coverage the everyday-word lexicon finds, which the model trusts in part; how far the best
candidate leads the next; whether its heading names the question's concepts; whether it
names two of them; whether it gives the kind of answer asked for; the share of the
question on words no passage uses; the largest concept the passage leaves unnamed; the
old hand rule itself) with coefficients learned from our own question bank
(bench/data/kb_bank_train.jsonl) by bench/kb_fit_decision.py and shipped as data
(data/decision.json), with the threshold chosen there for a stated precision.

At run time: a dozen features and one dot product, no numpy needed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from knowledge.qa.index import Hit

FEATURES: tuple[str, ...] = (
    "coverage",
    "lexicon_extra",
    "margin",
    "coverage_gap",
    "head_share",
    "named_share",
    "corroborated",
    "asks_type",
    "gives_type",
    "unmatched",
    "missing_max",
    "log_concepts",
    "old_rule",
)

# The hand rule the service used before (kept as one input: it is good evidence).
OLD_MIN_COVERAGE = 0.4


def features(hits: Sequence[Hit]) -> list[float]:
    """The decision's inputs for a ranked list of hits (best first; at least one)."""
    best = hits[0]
    others = hits[1:3]
    second = others[0].score if others else 0.0
    margin = (best.score - second) / best.score if best.score > 0 else 0.0
    gap = best.coverage - max((h.coverage for h in others), default=0.0)
    asks = 1.0 if best.query.intents else 0.0
    return [
        best.coverage,
        max(best.loose_coverage - best.coverage, 0.0),
        margin,
        gap,
        best.head_share,
        best.named_share,
        1.0 if best.corroborated else 0.0,
        asks,
        best.cues * asks,
        best.query.unmatched,
        best.missing_max,
        math.log1p(best.query.concepts),
        1.0 if best.coverage >= OLD_MIN_COVERAGE and best.corroborated else 0.0,
    ]


@dataclass(frozen=True)
class Decision:
    """Standardised logistic regression: p = sigmoid(bias + sum w_i (x_i - mean_i) / sd_i)."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, hits: Sequence[Hit]) -> float:
        """Estimated probability that the hits show the resident a right answer."""
        if not hits:
            return 0.0
        return self.probability_of(features(hits))

    def probability_of(self, x: Sequence[float]) -> float:
        """The same for a feature vector (`features`)."""
        z = self.bias + sum(
            w * (v - m) / s
            for w, v, m, s in zip(self.weights, x, self.means, self.scales, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def answers(self, hits: Sequence[Hit]) -> bool:
        """Whether to answer (True) or decline and hand the question to staff."""
        return bool(hits) and self.probability(hits) >= self.threshold

    def to_json(self, **extra: object) -> str:
        data = {
            "features": list(FEATURES),
            "weights": list(self.weights),
            "means": list(self.means),
            "scales": list(self.scales),
            "bias": self.bias,
            "threshold": self.threshold,
            **extra,
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Decision:
        data = json.loads(text)
        if tuple(data["features"]) != FEATURES:
            raise ValueError("decision.json was fitted on other features; refit it")
        return cls(
            weights=tuple(float(v) for v in data["weights"]),
            means=tuple(float(v) for v in data["means"]),
            scales=tuple(float(v) for v in data["scales"]),
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
        )


@lru_cache(maxsize=1)
def shipped_decision() -> Decision:
    """The decision fitted by bench/kb_fit_decision.py (knowledge/qa/data/decision.json)."""
    path = resources.files("knowledge.qa") / "data" / "decision.json"
    return Decision.from_json(path.read_text(encoding="utf-8"))
