"""Refit the answer/decline decisions (knowledge/qa/data/decision.json) on our question bank.

    python bench/kb_fit_decision.py [--train PATH] [--precision 0.8] [--check PATH ...]

Imports the corpus (documents only, as bench/kb_eval.py does), ranks every question of
the training part of the bank (bench/data/kb_bank_train.jsonl) and labels it 1 when the
first three answers contain an expected phrase (an in-scope question the ranking serves),
0 otherwise (out of scope, or the ranking misses). A logistic regression (numpy, L2,
standardised features of knowledge/qa/decision.py) is fitted by Newton's method, and the
threshold is the lowest probability at which the answered training questions reach the
stated precision (share of answered questions whose answers contain a right passage).

Two decisions are fitted and written: "keyword", over the keyword stage's hits and the
keyword features (not used by the service; printed by bench/kb_eval.py), and "semantic",
over the semantic stage's reranked hits (knowledge/qa/semantic.py, the bundled encoder)
with the similarity evidence as three more features. For the semantic one each floor of
knowledge/qa/decision.py (FLOORS: what the old coverage rule still decides) is fitted on
the order it shows, and its threshold is the lowest at which, on train, the answers the
probability decides reach the stated precision and the out-of-scope questions are declined
at least as often as by the keyword-only service (its coverage rule). The floor with the
best training top-1 + top-3 whose dev figures do not fall below the keyword-only
service's is shipped. The held-out part and the other sets are only scored (--check),
never used to choose.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_eval import BANK, ROOT, SHARED, Case, contains_any, load_cases

from knowledge.normalize import display_punctuation
from knowledge.qa.decision import (
    FEATURES,
    FLOORS,
    FORCING,
    SEMANTIC,
    SEMANTIC_FIT,
    Decision,
    features,
    old_rule,
    semantic_features,
    shown_order,
)
from knowledge.qa.index import Hit
from knowledge.qa.semantic import SemanticReranker, semantic_enabled
from knowledge.qa.service import KnowledgeBase
from storage.db import open_database

OUTPUT = ROOT / "knowledge" / "qa" / "data" / "decision.json"
DEV = SHARED / "eval" / "kb_dev.jsonl"
L2 = 1.0
SHOWN = 400


def fit_logistic(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], l2: float = L2
) -> tuple[npt.NDArray[np.float64], float]:
    """Weights and bias of an L2-regularised logistic regression (bias not penalised)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -50, 50)))
        grad = xb.T @ (p - y) + penalty * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return w[:-1], float(w[-1])


def threshold_for(
    probs: npt.NDArray[np.float64],
    labels: npt.NDArray[np.float64],
    target: float,
    forced: npt.NDArray[np.bool_] | None = None,
) -> float:
    """Lowest threshold whose answered set (p >= threshold) reaches `target` precision.

    With a floor (`forced`: questions the coverage rule answers whatever p), the target
    holds for the answers the threshold adds to the floor's: the floor is the old rule's
    behaviour, kept as it was; what the learned decision adds must reach the precision."""
    extra = np.ones(len(probs), dtype=bool) if forced is None else ~forced
    best = 1.0
    for t in sorted(set(np.round(probs, 4).tolist()), reverse=True):
        answered = extra & (probs >= t)
        if answered.any() and float(labels[answered].mean()) >= target:
            best = t
    return float(best)


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_file())


@dataclass
class Row:
    """One question: its keyword and (if the stage ran) semantic evidence and labels."""

    case: Case
    x_keyword: list[float] | None
    keyword_top1: bool
    keyword_top3: bool
    rule: bool  # the old coverage rule on the keyword stage's first hit
    x_semantic: list[float] | None = None
    semantic_top1: bool = False
    semantic_top3: bool = False
    # The first hits of each stage (enough for any floor's first three shown).
    keyword: list[Hit] = field(default_factory=list)
    reranked: list[Hit] = field(default_factory=list)

    def right(self, floor: str) -> tuple[bool, bool]:
        """(top-1, top-3) right in the order shown under `floor`."""
        return _right(shown_order(self.keyword, self.reranked, floor), self.case)


def _right(hits: Sequence[Hit], case: Case) -> tuple[bool, bool]:
    shown = [display_punctuation(h.entry.text)[:SHOWN] for h in hits[:3]]
    if not case.expect or not shown:
        return False, False
    return contains_any(shown[0], case.expect), any(contains_any(t, case.expect) for t in shown)


async def collect(sets: list[Path], corpus: Path, semantic: bool) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    files = corpus_files(corpus)
    with tempfile.TemporaryDirectory() as tmp:
        conn = await open_database(Path(tmp) / "fit.db")
        kb = await KnowledgeBase.open(
            conn, load_faq=False, semantic=SemanticReranker() if semantic else None
        )
        try:
            for f in files:
                await kb.import_path(f)
            await kb.vectors_ready()
            for path in sets:
                rows: list[Row] = []
                for c in load_cases(path):
                    st = kb.stages(c.q, k=3, docs_only=True)
                    kw = st.keyword[:3]
                    t1, t3 = _right(kw, c)
                    row = Row(
                        c,
                        features(kw) if kw and st.has_terms else None,
                        t1,
                        t3,
                        bool(kw) and st.has_terms and old_rule(kw[0]),
                    )
                    if st.reranked is not None:
                        row.x_semantic = semantic_features(st.reranked)
                        row.keyword = kw
                        row.reranked = [s.item for s in st.reranked[:4]]
                        row.semantic_top1, row.semantic_top3 = _right(row.reranked, c)
                    rows.append(row)
                out[path.name] = rows
        finally:
            await kb.close()
            await conn.close()
    return out


def fit(
    xs: Sequence[Sequence[float]],
    ys: Sequence[float] | npt.NDArray[np.float64],
    names: tuple[str, ...],
) -> tuple[Decision, npt.NDArray[np.float64]]:
    """A decision (threshold 0.5 for now) and its probabilities on the fitted rows."""
    x = np.array(xs, dtype=np.float64)
    y = np.array(ys, dtype=np.float64)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales < 1e-9] = 1.0
    w, b = fit_logistic((x - means) / scales, y)
    probs = 1.0 / (1.0 + np.exp(-(((x - means) / scales) @ w + b)))
    decision = Decision(
        tuple(w.tolist()), tuple(means.tolist()), tuple(scales.tolist()), b, 0.5, names
    )
    return decision, probs


@dataclass
class Figures:
    top1: float
    top3: float
    answered: float
    declined: float
    precision: float

    def line(self) -> str:
        return (
            f"top-1 {self.top1:.2f}  top-3 {self.top3:.2f}  in-scope answered "
            f"{self.answered:.2f}  out-of-scope declined {self.declined:.2f}  "
            f"precision of answers {self.precision:.2f}"
        )


def outcome(row: Row, decision: Decision) -> tuple[bool, bool, bool]:
    """(answered, top-1 right, top-3 right) of a question under `decision`: keyword
    features for a keyword decision, the semantic stage with its floor otherwise."""
    if decision.features == FEATURES:
        ok = row.x_keyword is not None and decision.probability_of(row.x_keyword) >= (
            decision.threshold
        )
        return ok, row.keyword_top1, row.keyword_top3
    if row.x_semantic is None:  # the stage did not run: the service keeps the coverage rule
        return row.rule, row.keyword_top1, row.keyword_top3
    if decision.floor == "keyword" and row.rule:
        return True, row.keyword_top1, row.keyword_top3
    forced = decision.floor in FORCING and row.rule
    x = decision.pick(row.x_semantic, SEMANTIC)
    ok = forced or decision.probability_of(x) >= decision.threshold
    return (ok, *row.right(decision.floor))


def figures(rows: list[Row], decision: Decision) -> Figures:
    return pooled_figures([(row, decision) for row in rows])


def pooled_figures(pairs: Sequence[tuple[Row, Decision]]) -> Figures:
    """Figures of questions each decided by its own decision (cross-validation)."""
    n_in = n_out = t1 = t3 = ans = dec = n_ans = n_right = 0
    for row, decision in pairs:
        answered, right1, right3 = outcome(row, decision)
        n_ans += answered
        n_right += answered and right3
        if row.case.expect:
            n_in += 1
            ans += answered
            t1 += answered and right1
            t3 += answered and right3
        else:
            n_out += 1
            dec += not answered
    return Figures(
        t1 / max(n_in, 1),
        t3 / max(n_in, 1),
        ans / max(n_in, 1),
        dec / max(n_out, 1),
        n_right / max(n_ans, 1),
    )


def rule_figures(rows: list[Row]) -> Figures:
    """The keyword-only service: the keyword order and the coverage rule."""
    n_in = max(sum(1 for r in rows if r.case.expect), 1)
    n_out = max(sum(1 for r in rows if not r.case.expect), 1)
    answered = [r for r in rows if r.rule]
    return Figures(
        sum(1 for r in answered if r.keyword_top1) / n_in,
        sum(1 for r in answered if r.keyword_top3) / n_in,
        sum(1 for r in answered if r.case.expect) / n_in,
        sum(1 for r in rows if not r.case.expect and not r.rule) / n_out,
        sum(1 for r in answered if r.keyword_top3) / max(len(answered), 1),
    )


def not_below(new: Figures, rows: list[Row]) -> bool:
    """Whether `new` keeps every dev figure of the keyword-only service."""
    old = rule_figures(rows)
    pairs = [(new.top1, old.top1), (new.top3, old.top3), (new.answered, old.answered)]
    pairs.append((new.declined, old.declined))
    return all(n >= o - 1e-9 for n, o in pairs)


def fit_keyword(rows: list[Row], precision: float) -> Decision:
    keep = [r for r in rows if r.x_keyword is not None]
    decision, probs = fit(
        [r.x_keyword for r in keep if r.x_keyword is not None],
        [float(r.keyword_top3) for r in keep],
        FEATURES,
    )
    labels = np.array([float(r.keyword_top3) for r in keep])
    return replace(decision, threshold=threshold_for(probs, labels, precision))


def fit_semantic(
    rows: list[Row], precision: float, names: tuple[str, ...] = SEMANTIC_FIT
) -> dict[str, Decision]:
    """One semantic decision per floor over the features `names` (of SEMANTIC), each
    fitted on the order that floor shows (label:
    a right passage among its first three), its threshold the lowest at which the
    answers the probability decides reach `precision` on `rows` and the out-of-scope
    questions of `rows` are declined at least as often as by the keyword-only service
    (the semantic stage must not buy its answers with out-of-scope ones)."""
    keep = [r for r in rows if r.x_semantic is not None]
    min_declined = rule_figures(rows).declined
    cols = [SEMANTIC.index(n) for n in names]
    xs = [[r.x_semantic[c] for c in cols] for r in keep if r.x_semantic is not None]
    out: dict[str, Decision] = {}
    for floor in FLOORS:
        labels = np.array([float(r.right(floor)[1]) for r in keep])
        base, probs = fit(xs, labels, names)
        forced = np.array([floor in FORCING and r.rule for r in keep])
        t = threshold_for(probs, labels, precision, forced if forced.any() else None)
        decision = replace(base, threshold=t, floor=floor)
        out[floor] = replace(
            decision, threshold=max(t, _declining(rows, decision, probs, min_declined))
        )
    return out


def _declining(
    rows: list[Row], decision: Decision, probs: npt.NDArray[np.float64], share: float
) -> float:
    """The lowest threshold (among `probs`) at which `decision` declines at least `share`
    of the out-of-scope questions of `rows` (declining grows with the threshold)."""
    candidates = [*sorted(set(np.round(probs, 4).tolist())), 1.0]
    lo, hi = 0, len(candidates) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if figures(rows, replace(decision, threshold=candidates[mid])).declined >= share - 1e-9:
            hi = mid
        else:
            lo = mid + 1
    return float(candidates[lo])


def topics_of(path: Path) -> dict[str, str]:
    """Each question's topic (the bank is split into its parts by topic)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {o["id"]: o["topic"] for o in map(json.loads, filter(str.strip, lines))}


def cross_validate(
    rows: list[Row],
    topics: dict[str, str],
    precision: float,
    names: tuple[str, ...],
    floor: str,
    *,
    folds: int = 5,
    seeds: int = 5,
) -> Figures:
    """Figures of the decision over `names` with `floor` on questions of topics left out
    of its fit and threshold, as the held-out part's are: `folds` groups of topics, each
    decided by the decision fitted on the others; the mean of `seeds` random groupings."""
    kinds = sorted({topics[r.case.id] for r in rows})
    runs: list[Figures] = []
    for seed in range(seeds):
        perm = np.random.default_rng(seed).permutation(len(kinds))
        fold_of = {t: int(perm[i]) % folds for i, t in enumerate(kinds)}
        pairs: list[tuple[Row, Decision]] = []
        for f in range(folds):
            inside = [r for r in rows if fold_of[topics[r.case.id]] != f]
            decision = fit_semantic(inside, precision, names)[floor]
            pairs += [(r, decision) for r in rows if fold_of[topics[r.case.id]] == f]
        runs.append(pooled_figures(pairs))
    means = (float(np.mean([getattr(r, k) for r in runs])) for k in Figures.__annotations__)
    return Figures(*means)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train", type=Path, default=BANK / "kb_bank_train.jsonl")
    parser.add_argument("--precision", type=float, default=0.8)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--check", type=Path, action="append")
    parser.add_argument("--dry-run", action="store_true", help="do not write decision.json")
    parser.add_argument(
        "--cv",
        action="store_true",
        help="also report the semantic decision cross-validated over the training part's "
        "topics, fitted on all features and on the shipped subset (SEMANTIC_FIT)",
    )
    args = parser.parse_args()
    checks = args.check or [
        p
        for p in (
            BANK / "kb_bank_heldout.jsonl",
            BANK / "kb_heldout.jsonl",
            DEV,
        )
        if p.exists()
    ]
    if not semantic_enabled():
        sys.exit("the bundled encoder is not installed (or RESIDENT_BOT_SEMANTIC=off)")
    data = asyncio.run(collect([args.train, *checks], args.corpus, semantic=True))
    train = data[args.train.name]
    keyword = fit_keyword(train, args.precision)
    semantic = fit_semantic(train, args.precision)
    print(f"fitted on {args.train.name}: {len(train)} questions; precision {args.precision}")
    for label, decision in (("keyword", keyword), ("semantic", semantic["none"])):
        print(f"{label} decision:")
        for name, weight in zip(decision.features, decision.weights, strict=True):
            print(f"  {name:<18} {weight:+.3f}")
        print(f"  bias {decision.bias:+.3f}")
    candidates = {"keyword": keyword, **{f"semantic, floor {f}": d for f, d in semantic.items()}}
    for label, decision in candidates.items():
        print(f"\n{label}: threshold {decision.threshold:.4f}")
        for name, rows in data.items():
            tag = " (fitted on)" if name == args.train.name else ""
            print(f"  {name + tag:<32} {figures(rows, decision).line()}")
    print("\nthe keyword-only service (coverage rule), for comparison:")
    for name, rows in data.items():
        print(f"  {name:<32} {rule_figures(rows).line()}")
    # Best training top-1 + top-3 first; the first whose dev figures do not fall below
    # the keyword-only service's is shipped (dev is a constraint, never an objective).
    by_train = sorted(
        FLOORS,
        key=lambda f: (
            -round(figures(train, semantic[f]).top1 + figures(train, semantic[f]).top3, 6),
            FLOORS.index(f),
        ),
    )
    dev = data.get(DEV.name)
    chosen = next(
        (f for f in by_train if dev is None or not_below(figures(dev, semantic[f]), dev)),
        "keyword",
    )
    print(f"\nby training top-1 + top-3: {by_train}; shipped: floor {chosen!r}")
    if args.cv and chosen in FLOORS:
        topics = topics_of(args.train)
        print(f"cross-validated over {args.train.name}'s topics (floor {chosen!r}):")
        for label, names in (("all features", SEMANTIC), ("SEMANTIC_FIT", SEMANTIC_FIT)):
            cv = cross_validate(train, topics, args.precision, names, chosen)
            print(f"  {label:<32} {cv.line()}")
    if not args.dry_run:
        extra = {
            "fitted_on": args.train.name,
            "target_precision": args.precision,
            "label": "an expected phrase in the first three answers",
        }
        payload = {
            "keyword": keyword.as_dict(**extra),
            "semantic": semantic[chosen].as_dict(**extra),
        }
        OUTPUT.write_text(
            json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
