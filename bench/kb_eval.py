"""Knowledge-base retrieval evaluation, scored as ../shared/eval/README.md says.

Imports every corpus file into a fresh knowledge base, asks each question with
docs_only=True and reports top-1 / top-3 on in-scope questions and the share of
out-of-scope questions declined. In the same run it scores the plain baseline: BM25 over
jieba cut_for_search tokens of <=400-character paragraphs with a small stopword list.

    python -m bench.kb_eval [--eval PATH ...] [--corpus DIR] [--verbose] [--split]

By default it scores two sets: the shared development half (../shared/eval/kb_dev.jsonl,
the issue's target) and bench/data/kb_heldout.jsonl, 112 questions written for this
project by someone who saw only the corpus and the README's format, never our synonym
tables or FAQ: a check that what helps the first set is general.
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

from knowledge.normalize import compare_form  # noqa: E402
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
        return f"top-1 {t1:.2f}  top-3 {t3:.2f}  declined {d:.2f}  (in-scope answered {a:.2f})"


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


def score(
    cases: list[Case], answer: Callable[[str], tuple[bool, list[str]]], verbose: bool, label: str
) -> Score:
    s = Score()
    for c in cases:
        answered, texts = answer(c.q)
        if not c.expect:
            s.out_scope += 1
            s.declined += not answered
            if verbose and answered:
                print(f"  [{label}] NOT DECLINED {c.id} {c.q} → {texts[0][:60] if texts else ''}")
            continue
        s.in_scope += 1
        s.answered += answered
        hit1 = bool(texts) and contains_any(texts[0], c.expect)
        hit3 = any(contains_any(t, c.expect) for t in texts[:3])
        s.top1 += hit1
        s.top3 += hit3
        if verbose and (not hit1 or not answered):
            mark = "miss@3" if not hit3 else "miss@1"
            if hit1 and not answered:
                mark = "declined-but-right"
            print(f"  [{label}] {mark} {c.id} ({c.variant}) {c.q}  expect {c.expect}")
            for t in texts[:3]:
                print(f"        → {t[:70]}")
    return s


async def run(
    cases: list[Case], eval_name: str, files: list[Path], verbose: bool, split: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        conn = await open_database(Path(tmp) / "eval.db")
        try:
            kb = await KnowledgeBase.open(conn, load_faq=False)
            for f in files:
                await kb.import_path(f)

            def ours(q: str) -> tuple[bool, list[str]]:
                a = kb.ask(q, k=3, docs_only=True)
                return a.answered, [r.text for r in a.results]

            base = BaselineBM25(baseline_paragraphs(files))

            def baseline(q: str) -> tuple[bool, list[str]]:
                texts = base.search(q)
                return bool(texts), texts

            print(
                f"eval set: {eval_name}, {len(cases)} questions; corpus: {len(files)} "
                f"files, {kb.passage_count()} passages"
            )
            s_base = score(cases, baseline, False, "baseline")
            s_ours = score(cases, ours, verbose, "ours")
            print(f"baseline (plain BM25, cut_for_search, <=400-char paragraphs): {s_base.line()}")
            print(f"knowledge base (docs_only=True):                              {s_ours.line()}")
            if split:
                for half, part in (("odd", cases[1::2]), ("even", cases[0::2])):
                    print(
                        f"  {half} half ({len(part)} q): {score(part, ours, False, half).line()}"
                    )
        finally:
            await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--eval", type=Path, action="append", help="question set(s) to score")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--verbose", action="store_true", help="print per-question misses")
    parser.add_argument("--split", action="store_true", help="also score both halves")
    args = parser.parse_args()
    files = sorted(p for p in args.corpus.iterdir() if p.is_file())
    sets = args.eval or [
        p
        for p in (SHARED / "eval" / "kb_dev.jsonl", ROOT / "bench" / "data" / "kb_heldout.jsonl")
        if p.exists()
    ]
    for path in sets:
        asyncio.run(run(load_cases(path), path.name, files, args.verbose, args.split))


if __name__ == "__main__":
    main()
