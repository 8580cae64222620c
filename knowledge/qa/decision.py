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

With the semantic second stage on (knowledge/qa/semantic.py) a second decision, fitted on
the reranked candidates, adds the similarity evidence (`SEMANTIC_FEATURES`: how close the
first answer is to the question in meaning, its lead over the second, the best of three);
data/decision.json holds both ("keyword" and "semantic"), and which of the old coverage
rule still decides (`Decision.floor`: the shipped one lets the probability decide every
question and keeps only the rule's confident first passage first).

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
from knowledge.qa.semantic import SEMANTIC_FEATURES, Scored, similarity_evidence

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


def old_rule(hit: Hit) -> bool:
    """The coverage rule the service used before the learned decision."""
    return hit.coverage >= OLD_MIN_COVERAGE and hit.corroborated


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
        1.0 if old_rule(best) else 0.0,
    ]


SEMANTIC: tuple[str, ...] = (*FEATURES, *SEMANTIC_FEATURES)
# The inputs the shipped semantic decision is fitted on: a subset of SEMANTIC, chosen by
# cross-validation over the training part's topics (bench/kb_fit_decision.py --cv: each
# fold's topics are left out of the fit and its threshold, as unseen questions are). All
# sixteen fit the training questions as well but generalise worse: out of fold they
# give top-1 0.69, top-3 0.77, in-scope answered 0.84, out-of-scope declined 0.78;
# these six 0.70 / 0.80 / 0.87 / 0.82. The finer lexical evidence (margins, heading and
# answer-type matches, unmatched words) describes the training questions' wording more
# than whether an answer is right. On the held-out sets the two score alike (within a
# question or two): the gain is in a smaller model, not yet in held-out figures.
SEMANTIC_FIT: tuple[str, ...] = (
    "coverage",
    "corroborated",
    "old_rule",
    *SEMANTIC_FEATURES,
)


def semantic_features(ranked: Sequence[Scored[Hit]]) -> list[float]:
    """The semantic decision's inputs: the keyword evidence of the reranked first three
    hits, then their similarity evidence."""
    return features([s.item for s in ranked[:3]]) + similarity_evidence(ranked)


# `Decision.floor`: what the coverage rule on the keyword stage's first hit still decides.
# "none": the learned probability alone; "answer": the rule's answers are kept (the
# reranked order is shown); "keyword": the rule's answers are kept with the keyword order
# (the rerank then only serves the questions the rule declines). The two below leave
# answer/decline to the learned probability for every question and let the rule choose
# only what is shown first: "keyword-order", the keyword order where the rule is
# confident; "keyword-first", its first passage there, followed by the reranked others
# (the rule's answers were right at top-1 more often than the rerank's; ranks 2 and 3
# gain from the rerank). A floor that forces answers cannot decline the out-of-scope
# questions the rule answers (fees, the housing fund, whose words the documents use).
FLOORS = ("none", "answer", "keyword", "keyword-order", "keyword-first")
# Floors whose rule-confident questions are answered whatever the probability.
FORCING = frozenset({"answer", "keyword"})


def shown_order(keyword: Sequence[Hit], reranked: Sequence[Hit], floor: str) -> list[Hit]:
    """The order shown under `floor` (keyword and reranked hits, best first)."""
    if not keyword or not old_rule(keyword[0]) or floor in ("none", "answer"):
        return list(reranked)
    if floor in ("keyword", "keyword-order"):
        return list(keyword)
    first = keyword[0]
    return [first, *(h for h in reranked if h is not first)]


@dataclass(frozen=True)
class Decision:
    """Standardised logistic regression: p = sigmoid(bias + sum w_i (x_i - mean_i) / sd_i)."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    bias: float
    threshold: float
    features: tuple[str, ...] = FEATURES
    floor: str = "none"

    def probability(self, hits: Sequence[Hit]) -> float:
        """Estimated probability that the hits show the resident a right answer
        (keyword features only)."""
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

    def answers_reranked(self, ranked: Sequence[Scored[Hit]]) -> bool:
        """The same for a semantic decision, on the reranked hits (the floor aside)."""
        if not ranked:
            return False
        return self.probability_of(self.pick(semantic_features(ranked), SEMANTIC)) >= (
            self.threshold
        )

    def pick(self, x: Sequence[float], names: Sequence[str]) -> list[float]:
        """This decision's inputs out of a feature vector `x` named `names` (a decision
        may be fitted on a subset of the features computed: `SEMANTIC_FIT`)."""
        if tuple(names) == self.features:
            return list(x)
        where = {name: i for i, name in enumerate(names)}
        return [x[where[name]] for name in self.features]

    def forced(self, keyword: Sequence[Hit]) -> bool:
        """Whether the floor answers, whatever the probability (the coverage rule is
        confident on the keyword stage's first hit and the floor keeps its answers)."""
        return self.floor in FORCING and bool(keyword) and old_rule(keyword[0])

    def as_dict(self, **extra: object) -> dict[str, object]:
        return {
            "features": list(self.features),
            "weights": list(self.weights),
            "means": list(self.means),
            "scales": list(self.scales),
            "bias": self.bias,
            "threshold": self.threshold,
            "floor": self.floor,
            **extra,
        }

    def to_json(self, **extra: object) -> str:
        return json.dumps(self.as_dict(**extra), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, object], expected: tuple[str, ...] = FEATURES) -> Decision:
        names = tuple(str(n) for n in data["features"])  # type: ignore[attr-defined]
        # Any of the expected features, in their order (a subset: `SEMANTIC_FIT`).
        if not names or names != tuple(n for n in expected if n in names):
            raise ValueError("decision.json was fitted on other features; refit it")
        floor = str(data.get("floor", "none"))
        if floor not in FLOORS:
            raise ValueError(f"unknown floor {floor!r} in decision.json; refit it")

        def floats(key: str) -> tuple[float, ...]:
            return tuple(float(v) for v in data[key])  # type: ignore[attr-defined]

        return cls(
            weights=floats("weights"),
            means=floats("means"),
            scales=floats("scales"),
            bias=float(data["bias"]),  # type: ignore[arg-type]
            threshold=float(data["threshold"]),  # type: ignore[arg-type]
            features=names,
            floor=floor,
        )

    @classmethod
    def from_json(cls, text: str, expected: tuple[str, ...] = FEATURES) -> Decision:
        return cls.from_dict(json.loads(text), expected)


def _shipped() -> dict[str, dict[str, object]]:
    path = resources.files("knowledge.qa") / "data" / "decision.json"
    data: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def shipped_decision() -> Decision:
    """The keyword-only decision fitted by bench/kb_fit_decision.py
    (knowledge/qa/data/decision.json, "keyword"; not used by the service, which keeps the
    coverage rule when the semantic stage is off)."""
    return Decision.from_dict(_shipped()["keyword"], FEATURES)


@lru_cache(maxsize=1)
def shipped_semantic_decision() -> Decision:
    """The decision over keyword and similarity evidence ("semantic": `SEMANTIC_FIT` of
    the `SEMANTIC` features), used by
    `KnowledgeBase.ask` when the semantic stage reranked the candidates."""
    return Decision.from_dict(_shipped()["semantic"], SEMANTIC)
