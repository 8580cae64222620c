"""Refit the answer/decline decision (knowledge/qa/data/decision.json) on our question bank.

    python bench/kb_fit_decision.py [--train PATH] [--precision 0.9] [--check PATH ...]

Imports the corpus (documents only, as bench/kb_eval.py does), ranks every question of
the training part of the bank (bench/data/kb_bank_train.jsonl) and labels it 1 when the
first three answers contain an expected phrase (an in-scope question the ranking serves),
0 otherwise (out of scope, or the ranking misses). A logistic regression (numpy, L2,
standardised features of knowledge/qa/decision.py) is fitted by Newton's method, and the
threshold is the lowest probability at which the answered training questions reach the
stated precision (share of answered questions whose answers contain a right passage).
The held-out part and the other sets are only scored (--check), never used to choose.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_eval import BANK, ROOT, SHARED, Case, contains_any, load_cases, search_hits

from knowledge.qa.decision import FEATURES, Decision, features
from knowledge.qa.service import KnowledgeBase
from storage.db import open_database

OUTPUT = ROOT / "knowledge" / "qa" / "data" / "decision.json"
L2 = 1.0


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
    probs: npt.NDArray[np.float64], labels: npt.NDArray[np.float64], target: float
) -> float:
    """Lowest threshold whose answered set (p >= threshold) reaches `target` precision."""
    best = 1.0
    for t in sorted(set(np.round(probs, 4).tolist()), reverse=True):
        answered = probs >= t
        if answered.any() and float(labels[answered].mean()) >= target:
            best = t
    return float(best)


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_file())


async def collect(
    sets: list[Path], corpus: Path
) -> dict[str, tuple[list[Case], list[list[float]], list[int], list[bool]]]:
    out: dict[str, tuple[list[Case], list[list[float]], list[int], list[bool]]] = {}
    files = corpus_files(corpus)
    with tempfile.TemporaryDirectory() as tmp:
        conn = await open_database(Path(tmp) / "fit.db")
        try:
            kb = await KnowledgeBase.open(conn, load_faq=False)
            for f in files:
                await kb.import_path(f)
            for path in sets:
                cases = load_cases(path)
                rows: list[list[float]] = []
                labels: list[int] = []
                top1: list[bool] = []
                for c in cases:
                    hits, has_terms = search_hits(kb, c.q)
                    texts = [h.entry.text[:400] for h in hits]
                    right = bool(c.expect) and any(contains_any(t, c.expect) for t in texts)
                    rows.append(features(hits) if hits and has_terms else [])
                    labels.append(int(right))
                    top1.append(
                        bool(c.expect) and bool(texts) and contains_any(texts[0], c.expect)
                    )
                out[path.name] = (cases, rows, labels, top1)
        finally:
            await conn.close()
    return out


def report(
    name: str,
    cases: list[Case],
    rows: list[list[float]],
    labels: list[int],
    top1: list[bool],
    decision: Decision,
) -> None:
    ins = [i for i, c in enumerate(cases) if c.expect]
    outs = [i for i, c in enumerate(cases) if not c.expect]
    answered = [bool(r) and decision.probability_of(r) >= decision.threshold for r in rows]
    t1 = sum(answered[i] and top1[i] for i in ins) / max(len(ins), 1)
    t3 = sum(answered[i] and labels[i] for i in ins) / max(len(ins), 1)
    a = sum(answered[i] for i in ins) / max(len(ins), 1)
    d = sum(not answered[i] for i in outs) / max(len(outs), 1)
    n_ans = sum(answered)
    prec = sum(answered[i] and labels[i] for i in range(len(cases))) / max(n_ans, 1)
    print(
        f"  {name:<24} top-1 {t1:.2f}  top-3 {t3:.2f}  in-scope answered {a:.2f}  "
        f"out-of-scope declined {d:.2f}  precision of answers {prec:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train", type=Path, default=BANK / "kb_bank_train.jsonl")
    parser.add_argument("--precision", type=float, default=0.9)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--check", type=Path, action="append")
    parser.add_argument("--dry-run", action="store_true", help="do not write decision.json")
    args = parser.parse_args()
    checks = args.check or [
        p
        for p in (
            BANK / "kb_bank_heldout.jsonl",
            BANK / "kb_heldout.jsonl",
            SHARED / "eval" / "kb_dev.jsonl",
        )
        if p.exists()
    ]
    data = asyncio.run(collect([args.train, *checks], args.corpus))
    _, rows, labels, _ = data[args.train.name]
    keep = [i for i, r in enumerate(rows) if r]
    x = np.array([rows[i] for i in keep], dtype=np.float64)
    y = np.array([labels[i] for i in keep], dtype=np.float64)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales < 1e-9] = 1.0
    w, b = fit_logistic((x - means) / scales, y)
    probs = 1.0 / (1.0 + np.exp(-(((x - means) / scales) @ w + b)))
    threshold = threshold_for(probs, y, args.precision)
    decision = Decision(
        tuple(w.tolist()), tuple(means.tolist()), tuple(scales.tolist()), b, threshold
    )
    print(
        f"fitted on {args.train.name}: {len(keep)} questions, {int(y.sum())} served by the ranking"
    )
    for name, weight in zip(FEATURES, w, strict=True):
        print(f"  {name:<14} {weight:+.3f}")
    print(
        f"  bias {b:+.3f}; threshold {threshold:.4f} for precision {args.precision:.2f} on train"
    )
    for name, (c, r, lab, t1) in data.items():
        report(name, c, r, lab, t1, decision)
    if not args.dry_run:
        OUTPUT.write_text(
            decision.to_json(
                fitted_on=args.train.name,
                target_precision=args.precision,
                label="an expected phrase in the first three answers",
            ),
            encoding="utf-8",
        )
        print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
