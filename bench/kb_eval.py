"""Knowledge-base retrieval evaluation, scored as ../shared/eval/README.md says.

Imports every corpus file into a fresh knowledge base, asks each question with
docs_only=True and reports, per set, top-1 / top-3 (a hit needs `answered` true and an
expected phrase in the first / first three answers, each cut to the 400 characters a
resident sees), the share of in-scope questions answered and of out-of-scope ones
declined. Each set is scored in the same run by: the plain baseline (BM25 over jieba
cut_for_search tokens of <=400-character paragraphs, small stopword list); today's
ranking with the service's coverage rule; the current ranking with that rule (what
`KnowledgeBase.ask` does); the current ranking with the learned decision
(knowledge/qa/decision.py, refitted by bench/kb_fit_decision.py); and the same with the
general-language rarity weighting switched on (SearchIndex.general_rarity, off by default).
Every row above asks docs-only. The last rows score the bot as deployed: the bundled FAQ
(knowledge/qa/data/faq.json) seeded beside the documents and `KnowledgeBase.ask(q, k=3)`
(FAQ entries compete), with the semantic stage when it is on and keyword only. There a
hit still needs an expected phrase, which our FAQ answers rarely carry: an FAQ answer to
an in-scope question counts as a miss in top-1 / top-3 but as answered; the row adds the
share of in-scope questions answered from the FAQ.

    python bench/kb_eval.py [--eval PATH ...] [--corpus DIR] [--verbose] [--split]

Default sets: ../shared/eval/kb_dev.jsonl (the shared development half, tuned on);
bench/data/kb_heldout.jsonl (112 questions written from the corpus and the README's
format only, never tuned on); our question bank's two parts, split by topic:
bench/data/kb_bank_train.jsonl (the learned decision is fitted on it,
bench/kb_fit_decision.py) and bench/data/kb_bank_heldout.jsonl (never tuned on).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.normalize import compare_form, display_punctuation  # noqa: E402
from knowledge.qa.index import Hit  # noqa: E402
from knowledge.qa.semantic import ENV, SemanticReranker, semantic_enabled  # noqa: E402
from knowledge.qa.service import KnowledgeBase  # noqa: E402
from storage.db import open_database  # noqa: E402

SHARED = ROOT.parent / "shared"


@dataclass(frozen=True)
class Case:
    id: str
    q: str
    expect: list[str]
    variant: str


@dataclass
class Score:
    top1: int = 0
    top3: int = 0
    in_scope: int = 0
    declined: int = 0
    out_scope: int = 0
    answered: int = 0

    def line(self) -> str:
        t1 = self.top1 / max(self.in_scope, 1)
        t3 = self.top3 / max(self.in_scope, 1)
        d = self.declined / max(self.out_scope, 1)
        a = self.answered / max(self.in_scope, 1)
        return (
            f"top-1 {t1:.2f}  top-3 {t3:.2f}  in-scope answered {a:.2f}  "
            f"out-of-scope declined {d:.2f}"
        )


def load_cases(path: Path) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            o = json.loads(line)
            cases.append(Case(o["id"], o["q"], list(o["expect_any"]), o.get("variant", "")))
    return cases


def contains_any(text: str, phrases: Sequence[str]) -> bool:
    t = compare_form(text)
    return any(compare_form(p) in t for p in phrases)


# --- plain baseline ---------------------------------------------------------------------

_BASE_STOP = set(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "吗",
        "呢",
        "吧",
        "啊",
        "我",
        "我们",
        "你",
        "要",
        "有",
        "怎么",
        "什么",
        "哪",
        "谁",
        "吗?",
        "?",
    ]
)


class BaselineBM25:
    """BM25 over jieba.cut_for_search tokens of <=400-char paragraphs, pure-Python dicts."""

    def __init__(self, paragraphs: list[str]) -> None:
        import jieba

        jieba.setLogLevel(60)
        self._cut = jieba.cut_for_search
        self.paras = paragraphs
        self.docs = [Counter(self._tok(p)) for p in paragraphs]
        self.lens = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.lens) / max(len(self.lens), 1)
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.post: dict[str, list[int]] = {}
        for i, d in enumerate(self.docs):
            for t in d:
                self.post.setdefault(t, []).append(i)

    def _tok(self, text: str) -> list[str]:
        return [
            t
            for t in self._cut(text)
            if t.strip() and t not in _BASE_STOP and not re.fullmatch(r"\W+", t)
        ]

    def search(self, q: str, k: int = 3) -> list[str]:
        scores: dict[int, float] = {}
        for t in set(self._tok(q)):
            for i in self.post.get(t, []):
                tf = self.docs[i][t]
                norm = 1.2 * (0.25 + 0.75 * self.lens[i] / self.avg)
                scores[i] = scores.get(i, 0.0) + self.idf[t] * tf * 2.2 / (tf + norm)
        best = sorted(scores, key=lambda i: -scores[i])[:k]
        return [self.paras[i] for i in best]


def baseline_paragraphs(files: list[Path]) -> list[str]:
    paras: list[str] = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            while line:
                paras.append(line[:400])
                line = line[400:]
    return paras


# --- scoring ----------------------------------------------------------------------------

# What the resident sees of an answer (README: at most 400 characters).
SHOWN_CHARS = 400


def score(
    cases: list[Case], answer: Callable[[str], tuple[bool, list[str]]], verbose: bool, label: str
) -> Score:
    """Scored as the README says: an in-scope hit needs `answered` true and an expected
    phrase in the first (top-1) or first three (top-3) shown answers; a declined question
    is a miss whatever ranked first. An out-of-scope hit is a decline."""
    s = Score()
    for c in cases:
        answered, texts = answer(c.q)
        texts = [t[:SHOWN_CHARS] for t in texts]
        if not c.expect:
            s.out_scope += 1
            s.declined += not answered
            if verbose and answered:
                print(f"  [{label}] NOT DECLINED {c.id} {c.q} → {texts[0][:60] if texts else ''}")
            continue
        s.in_scope += 1
        s.answered += answered
        right1 = bool(texts) and contains_any(texts[0], c.expect)
        right3 = any(contains_any(t, c.expect) for t in texts[:3])
        s.top1 += answered and right1
        s.top3 += answered and right3
        if verbose and not (answered and right1):
            mark = "miss@3" if not right3 else "miss@1"
            if right1 and not answered:
                mark = "declined-but-right"
            print(f"  [{label}] {mark} {c.id} ({c.variant}) {c.q}  expect {c.expect}")
            for t in texts[:3]:
                print(f"        → {t[:70]}")
    return s


def search_hits(kb: KnowledgeBase, question: str, k: int = 3) -> tuple[list[Hit], bool]:
    """The keyword hits `KnowledgeBase.ask(question, docs_only=True)` ranks (keyword
    only), and whether the question had any terms, so that the learned decision can be
    applied to exactly the ranking the service shows."""
    found = kb.stages(question, k=k, docs_only=True)
    return found.keyword[:k], found.has_terms


def _learned_decision() -> Callable[[KnowledgeBase, str], tuple[bool, list[str]]] | None:
    """The learned answer/decline decision (knowledge/qa/decision.py) applied to the
    ranking `KnowledgeBase.ask` produces; None while no decision is shipped."""
    try:
        from knowledge.qa.decision import shipped_decision

        decision = shipped_decision()
    except (ImportError, OSError, ValueError, KeyError):
        return None

    def answer(kb: KnowledgeBase, q: str) -> tuple[bool, list[str]]:
        hits, has_terms = search_hits(kb, q)
        answered = has_terms and decision.answers(hits)
        return answered, [display_punctuation(h.entry.text) for h in hits]

    return answer


def print_halves(cases: list[Case], fn: Callable[[str], tuple[bool, list[str]]]) -> None:
    """--split: the same row over each half of the set (odd and even questions)."""
    for half, part in (("odd", cases[1::2]), ("even", cases[0::2])):
        print(f"    {half} half ({len(part)} q): {score(part, fn, False, half).line()}")


async def run(
    cases: list[Case], eval_name: str, files: list[Path], verbose: bool, split: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        conn = await open_database(Path(tmp) / "eval.db")
        semantic: KnowledgeBase | None = None
        deployed: KnowledgeBase | None = None
        deployed_sem: KnowledgeBase | None = None
        try:
            kb = await KnowledgeBase.open(conn, load_faq=False, semantic=None)
            for f in files:
                await kb.import_path(f)
            if semantic_enabled():
                # The same database with the semantic stage on (its vectors embedded).
                semantic = await KnowledgeBase.open(
                    conn, load_faq=False, semantic=SemanticReranker()
                )
                await semantic.vectors_ready()
            # The bot as deployed: the same database with the bundled FAQ seeded, opened
            # last (the knowledge bases above keep their own docs-only index in memory).
            deployed = await KnowledgeBase.open(conn, load_faq=True, semantic=None)
            if semantic is not None:
                deployed_sem = await KnowledgeBase.open(
                    conn, load_faq=True, semantic=SemanticReranker()
                )
                await deployed_sem.vectors_ready()
            index = kb._index
            learned = _learned_decision()

            def ours(q: str) -> tuple[bool, list[str]]:
                a = kb.ask(q, k=3, docs_only=True)
                return a.answered, [r.text for r in a.results]

            def today(q: str) -> tuple[bool, list[str]]:
                # Today's reading and ranking (before issue 11) with the service's rule.
                index.legacy_reading = True
                try:
                    return ours(q)
                finally:
                    index.legacy_reading = False

            def rarity(q: str) -> tuple[bool, list[str]]:
                # The general-language rarity weighting, off by default (see index.py).
                index.general_rarity = True
                try:
                    return learned(kb, q) if learned is not None else ours(q)
                finally:
                    index.general_rarity = False

            base = BaselineBM25(baseline_paragraphs(files))

            def baseline(q: str) -> tuple[bool, list[str]]:
                texts = base.search(q)
                return bool(texts), texts

            print(
                f"eval set: {eval_name}, {len(cases)} questions "
                f"({sum(1 for c in cases if c.expect)} in scope); corpus: {len(files)} "
                f"files, {kb.passage_count()} passages"
            )
            rows: list[tuple[str, Callable[[str], tuple[bool, list[str]]]]] = [
                ("baseline (plain BM25, cut_for_search, <=400 chars)", baseline),
                ("today's ranking + coverage rule", today),
                ("ranking + coverage rule (KnowledgeBase.ask)", ours),
            ]
            if learned is not None:
                rows.append(("ranking + learned decision", lambda q: learned(kb, q)))
            rows.append(("  same, general-rarity weighting on", rarity))
            if semantic is not None:
                sem = semantic

                def with_semantic(q: str) -> tuple[bool, list[str]]:
                    a = sem.ask(q, k=3, docs_only=True)
                    return a.answered, [r.text for r in a.results]

                rows.append(("semantic stage on (KnowledgeBase.ask)", with_semantic))
            else:
                print(f"  (semantic stage not scored: {ENV}=off or encoder not installed)")
            from_faq: set[str] = set()

            def as_deployed(bot: KnowledgeBase) -> Callable[[str], tuple[bool, list[str]]]:
                def answer(q: str) -> tuple[bool, list[str]]:
                    a = bot.ask(q, k=3)
                    if a.answered and a.results and a.results[0].kind == "faq":
                        from_faq.add(q)
                    return a.answered, [r.text for r in a.results]

                return answer

            deployed_rows: list[tuple[str, Callable[[str], tuple[bool, list[str]]]]] = []
            if deployed_sem is not None:
                label = "as deployed: FAQ + documents (semantic)"
                deployed_rows.append((label, as_deployed(deployed_sem)))
            label = "as deployed: FAQ + documents (keyword only)"
            deployed_rows.append((label, as_deployed(deployed)))
            for label, fn in rows:
                s = score(cases, fn, verbose and fn is rows[-1][1], label)
                print(f"  {label:<52} {s.line()}")
                if split:
                    print_halves(cases, fn)
            print("  (as deployed: an FAQ answer is a miss in top-1/top-3, but answered)")
            for label, fn in deployed_rows:
                from_faq.clear()
                s = score(cases, fn, verbose, label)
                faq_share = sum(c.q in from_faq for c in cases if c.expect) / max(s.in_scope, 1)
                print(f"  {label:<52} {s.line()}  in-scope answered from FAQ {faq_share:.2f}")
                if split:
                    print_halves(cases, fn)
        finally:
            for opened in (semantic, deployed, deployed_sem):
                if opened is not None:
                    await opened.close()
            await conn.close()


BANK = ROOT / "bench" / "data"
DEFAULT_SETS = (
    SHARED / "eval" / "kb_dev.jsonl",
    BANK / "kb_heldout.jsonl",
    BANK / "kb_bank_train.jsonl",
    BANK / "kb_bank_heldout.jsonl",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval", type=Path, action="append", help="question set(s) to score")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--verbose", action="store_true", help="print per-question misses")
    parser.add_argument("--split", action="store_true", help="also score both halves")
    args = parser.parse_args()
    files = sorted(p for p in args.corpus.iterdir() if p.is_file())
    sets = args.eval or [p for p in DEFAULT_SETS if p.exists()]
    for path in sets:
        asyncio.run(run(load_cases(path), path.name, files, args.verbose, args.split))


if __name__ == "__main__":
    main()
