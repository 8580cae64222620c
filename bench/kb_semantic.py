"""The semantic second stage (knowledge/qa/semantic.py), measured beside keyword-only.

For each installed bundled encoder: install size, licence, import + load time and the
memory it adds (in a fresh process), passage embedding rate (what an import pays),
per-question latency of the stage (query embedding + rerank), and quality: the keyword
stage's top RERANK candidates reordered by sentence similarity, scored as
../shared/eval/README.md says (documents only; a hit needs `answered` true), beside the
keyword-only figures of the same run. The rerank's depth and weight are chosen on the
training part of our bank (bench/data/kb_bank_train.jsonl) only; dev and the held-out
parts report.

Rows per set: keyword-only with no gate (the ranking alone), with the service's coverage
rule, with the learned decision (knowledge/qa/decision.py), and with that decision refitted
as bench/kb_fit_decision.py does (which reproduces the shipped one); then per encoder the
same on the reranked order (the gates taken on the keyword hits, as the service would keep
them), the decision refitted on the reranked hits, and refitted with the similarity
evidence (`similarity_evidence`) as three more features. Refits use the training part and
the shipped decision's target precision; the other sets only report.

    python bench/kb_semantic.py [--encoder use e5] [--scale 100000] [--verbose]

--scale N also measures, in a child process over N stored passages (copies of the
corpus, as bench/kb_perf.py builds them), `ask` latency keyword-only and with the
semantic stage, and that process's peak memory with N stored vectors.
Run it where the encoder packages are installed (they are optional dependencies).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))  # kb_fit_decision's own imports

from bench.kb_eval import SHARED, SHOWN_CHARS, Case, contains_any, load_cases  # noqa: E402
from knowledge.normalize import canonical, display_punctuation  # noqa: E402
from knowledge.qa.index import Hit, IndexEntry  # noqa: E402
from knowledge.qa.semantic import (  # noqa: E402
    ENCODERS,
    ENV,
    RERANK_DEPTH,
    W_SEMANTIC,
    Scored,
    SemanticReranker,
    passage_text,
    semantic_enabled,
    similarity_evidence,
)
from knowledge.qa.service import MIN_COVERAGE, QUERY_CHARS, KnowledgeBase  # noqa: E402
from knowledge.qa.tokenize import tokenize  # noqa: E402
from storage.db import open_database  # noqa: E402

BANK = ROOT / "bench" / "data"
TRAIN = BANK / "kb_bank_train.jsonl"
SETS = (
    SHARED / "eval" / "kb_dev.jsonl",
    BANK / "kb_heldout.jsonl",
    TRAIN,
    BANK / "kb_bank_heldout.jsonl",
)
DEPTHS = (10, 20, 30, 50)
WEIGHTS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
MAX_DEPTH = max(DEPTHS)
_HAS_WORD = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")


# --- the keyword stage, as KnowledgeBase.ask runs it ------------------------------------


@dataclass
class Asked:
    case: Case
    text: str  # the canonical question the keyword stage ranked
    hits: list[Hit] = field(default_factory=list)
    has_terms: bool = False


def keyword_hits(kb: KnowledgeBase, case: Case, depth: int) -> Asked:
    text = canonical(case.q[: QUERY_CHARS * 4])[:QUERY_CHARS]
    asked = Asked(case, text)
    if not _HAS_WORD.search(text):
        return asked
    index = kb._index
    text = index.as_meant(text)
    terms = tokenize(text)
    asked.text = text
    asked.has_terms = bool(terms)
    asked.hits = index.search(terms, text, k=depth, docs_only=True)
    return asked


def coverage_rule(hits: Sequence[Hit]) -> bool:
    return bool(hits) and hits[0].coverage >= MIN_COVERAGE and hits[0].corroborated


def learned_rule() -> Callable[[Sequence[Hit]], bool] | None:
    try:
        from knowledge.qa.decision import shipped_decision

        return shipped_decision().answers
    except (ImportError, OSError, ValueError, KeyError):
        return None


# --- scoring ----------------------------------------------------------------------------


@dataclass
class Score:
    top1: int = 0
    top3: int = 0
    in_scope: int = 0
    answered: int = 0
    out_scope: int = 0
    declined: int = 0

    def add(self, case: Case, answered: bool, texts: Sequence[str]) -> None:
        shown = [display_punctuation(t)[:SHOWN_CHARS] for t in texts[:3]]
        if not case.expect:
            self.out_scope += 1
            self.declined += not answered
            return
        self.in_scope += 1
        self.answered += answered
        self.top1 += answered and bool(shown) and contains_any(shown[0], case.expect)
        self.top3 += answered and any(contains_any(t, case.expect) for t in shown)

    def figures(self) -> tuple[float, float, float, float]:
        n, m = max(self.in_scope, 1), max(self.out_scope, 1)
        return self.top1 / n, self.top3 / n, self.answered / n, self.declined / m

    def line(self, gated: bool = True) -> str:
        t1, t3, a, d = self.figures()
        tail = f"  answered {a:.2f}  declined {d:.2f}" if gated else "  (no gate)"
        return f"top-1 {t1:.2f}  top-3 {t3:.2f}{tail}"


Gate = Callable[[Asked, Sequence[Hit]], bool]


def evaluate(asked: Sequence[Asked], order: Callable[[Asked], list[Hit]], gate: Gate) -> Score:
    s = Score()
    for a in asked:
        ranked = order(a)
        s.add(a.case, gate(a, ranked), [h.entry.text for h in ranked[:3]])
    return s


# --- encoder facts ----------------------------------------------------------------------

PROBE = """
import json, sys, time
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
sys.path.insert(0, {root!r})
import numpy
before = rss()
t0 = time.perf_counter()
from knowledge.qa.semantic import SemanticReranker
r = SemanticReranker(encoder_name={name!r})
r.embed_query("电动车可以在楼道里充电吗")
print(json.dumps({{"load_s": time.perf_counter() - t0, "rss_mib": rss() - before}}))
"""


def install_size(package: str) -> float:
    files = metadata.files(package) or []
    return sum((f.size or 0) for f in files) / 2**20


def licence(package: str) -> str:
    meta = metadata.metadata(package)
    return meta.get("License-Expression") or meta.get("License") or "?"


def probe(name: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(root=str(ROOT), name=name)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the run ----------------------------------------------------------------------------


async def open_corpus(tmp: Path) -> KnowledgeBase:
    conn = await open_database(tmp / "sem.db")
    # Keyword only: this bench embeds and reranks the candidates itself.
    kb = await KnowledgeBase.open(conn, load_faq=False, semantic=None)
    for f in sorted(p for p in (SHARED / "corpus").iterdir() if p.is_file()):
        await kb.import_path(f)
    return kb


def items(ranked: Sequence[Scored[Hit]]) -> list[Hit]:
    return [s.item for s in ranked]


@dataclass
class EncoderRun:
    """One encoder's vectors for every candidate passage and every question."""

    reranker: SemanticReranker
    passages: np.ndarray  # float16 rows, by `row`
    row: dict[int, int]
    queries: dict[int, np.ndarray]  # by id(Asked)
    embed_rate: float  # passages a second
    stage_ms: list[float]  # query embedding + rerank, per question

    def rerank(self, a: Asked, depth: int, weight: float) -> list[Scored[Hit]]:
        if not a.hits:
            return []
        self.reranker.depth, self.reranker.weight = depth, weight
        hits = a.hits[:depth]
        v = self.passages[[self.row[h.entry.passage_id] for h in hits]]
        return self.reranker.rerank(self.queries[id(a)], hits, v) + [
            Scored(h, 0.0, 0.0, 0.0) for h in a.hits[depth:]
        ]


def embed_all(enc: str, entries: dict[int, IndexEntry], asked: list[Asked]) -> EncoderRun:
    reranker = SemanticReranker(encoder_name=enc)
    ids = sorted(entries)
    texts = [passage_text(entries[i].text, entries[i].source) for i in ids]
    t0 = time.perf_counter()
    vecs = reranker.embed_passages(texts)
    rate = len(texts) / (time.perf_counter() - t0)
    run = EncoderRun(reranker, vecs, {pid: r for r, pid in enumerate(ids)}, {}, rate, [])
    for a in asked:
        t = time.perf_counter()
        run.queries[id(a)] = reranker.embed_query(a.text)
        run.rerank(a, RERANK_DEPTH, W_SEMANTIC)
        run.stage_ms.append((time.perf_counter() - t) * 1000)
    return run


def choose_depth_weight(
    run: EncoderRun, train: list[Asked], gate: Gate, verbose: bool
) -> tuple[int, float]:
    """Best gated top-1 + top-3 on the training part (ties: the shallower, lighter)."""
    best = (-1.0, RERANK_DEPTH, W_SEMANTIC)
    for depth in DEPTHS:
        for w in WEIGHTS:
            s = evaluate(
                train, lambda a, d=depth, w=w: [x.item for x in run.rerank(a, d, w)], gate
            )
            t1, t3, _, _ = s.figures()
            if verbose:
                print(f"    train: depth {depth:>2} weight {w:<4}  top-1 {t1:.3f} top-3 {t3:.3f}")
            if t1 + t3 > best[0] + 1e-9:
                best = (t1 + t3, depth, w)
    return best[1], best[2]


def refit_decision(
    asked: dict[str, list[Asked]],
    ranked: Callable[[Asked], list[Scored[Hit]]],
    with_similarity: bool,
    precision: float,
) -> Gate:
    """The learned decision refitted, as bench/kb_fit_decision.py does (label: a right
    passage in the first three shown; threshold for `precision` on train), on the
    reranked hits, optionally with the similarity evidence as extra features."""
    from kb_fit_decision import fit_logistic, threshold_for

    from knowledge.qa.decision import features

    def x_of(a: Asked) -> list[float] | None:
        r = ranked(a)
        if not r or not a.has_terms:
            return None
        x = features([s.item for s in r[:3]])
        return x + similarity_evidence(r) if with_similarity else x

    xs, ys = [], []
    for a in asked[TRAIN.name]:
        x = x_of(a)
        if x is None:
            continue
        shown = [display_punctuation(s.item.entry.text)[:SHOWN_CHARS] for s in ranked(a)[:3]]
        xs.append(x)
        ys.append(
            float(bool(a.case.expect) and any(contains_any(t, a.case.expect) for t in shown))
        )
    xm = np.array(xs)
    mean, scale = xm.mean(axis=0), xm.std(axis=0) + 1e-9
    w, b = fit_logistic((xm - mean) / scale, np.array(ys))

    def prob(x: list[float]) -> float:
        z = float(((np.array(x) - mean) / scale) @ w + b)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

    threshold = threshold_for(np.array([prob(x) for x in xs]), np.array(ys), precision)

    def gate(a: Asked, hits: Sequence[Hit]) -> bool:
        x = x_of(a)
        return x is not None and prob(x) >= threshold

    return gate


def main_quality(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        kb = asyncio.run(open_corpus(Path(tmp)))
        asked: dict[str, list[Asked]] = {}
        for path in SETS:
            if path.exists():
                asked[path.name] = [keyword_hits(kb, c, MAX_DEPTH) for c in load_cases(path)]
        passage_count = kb.passage_count()
    every = [a for rows in asked.values() for a in rows]
    entries = {h.entry.passage_id: h.entry for a in every for h in a.hits}
    print(
        f"corpus: {passage_count} passages ({len(entries)} among some question's keyword "
        f"top {MAX_DEPTH}); depth and weight chosen on {TRAIN.name} only"
    )
    learned = learned_rule()
    precision = target_precision()
    gates: dict[str, Gate] = {
        "no gate": lambda a, hits: bool(hits),
        "coverage rule": lambda a, hits: a.has_terms and coverage_rule(a.hits),
    }
    if learned is not None:
        gates["learned decision"] = lambda a, hits: a.has_terms and learned(a.hits[:3])
    choose_by = gates["learned decision" if learned is not None else "coverage rule"]

    def keyword(a: Asked) -> list[Scored[Hit]]:
        return [Scored(h, h.score, 1.0, 0.0) for h in a.hits]

    table: dict[str, list[tuple[str, Score, bool]]] = {name: [] for name in asked}

    def add_rows(label: str, ranked: Callable[[Asked], list[Scored[Hit]]], refit: bool) -> None:
        rows = dict(gates)
        if refit and learned is not None:
            rows["decision refit"] = refit_decision(asked, ranked, False, precision)
            if label != "keyword-only":
                rows["refit + similarity"] = refit_decision(asked, ranked, True, precision)
        for name, qs in asked.items():
            for g, gate in rows.items():
                s = evaluate(qs, lambda a: items(ranked(a)), gate)
                table[name].append((f"{label}, {g}", s, g != "no gate"))

    add_rows("keyword-only", keyword, refit=True)
    facts = []
    for enc in args.encoder:
        cls = ENCODERS[enc]
        if not semantic_enabled(enc):
            print(f"{enc}: {cls.package} not installed (or {ENV}=off); skipped")
            continue
        p = probe(enc)
        run = embed_all(enc, entries, every)
        depth, weight = choose_depth_weight(run, asked[TRAIN.name], choose_by, args.verbose)
        add_rows(f"+ {enc} rerank", lambda a, r=run, d=depth, w=weight: r.rerank(a, d, w), True)
        facts.append(
            f"{enc}: {cls.package} {metadata.version(cls.package)} ({licence(cls.package)}), "
            f"installed {install_size(cls.package):.0f} MB; fresh process import + load + "
            f"1st query {p['load_s']:.2f} s, +{p['rss_mib']:.0f} MiB RSS; passages embedded "
            f"at {run.embed_rate:.0f}/s; stage per question (embed + rerank "
            f"{RERANK_DEPTH}) p50 {statistics.median(run.stage_ms):.2f} ms, p99 "
            f"{pct(run.stage_ms, 0.99):.2f} ms; chosen on train: depth {depth}, "
            f"weight {weight}"
        )
    print()
    for line in facts:
        print(line)
    print(
        "\nrows: 'no gate' = ranking alone; 'coverage rule' / 'learned decision' = the "
        "service's gates taken on the keyword hits; 'decision refit' = the learned "
        f"decision refitted on train for precision {precision:.2f} on the rows' own "
        "ranking; '+ similarity' = the same with the similarity evidence as features"
    )
    for name, rows in table.items():
        n_in = sum(1 for a in asked[name] if a.case.expect)
        tag = " (chosen on)" if name == TRAIN.name else ""
        print(f"\n{name}: {len(asked[name])} questions, {n_in} in scope{tag}")
        for label, s, gated in rows:
            print(f"  {label:<42} {s.line(gated)}")


def target_precision() -> float:
    from importlib import resources

    try:
        path = resources.files("knowledge.qa") / "data" / "decision.json"
        return float(json.loads(path.read_text(encoding="utf-8"))["target_precision"])
    except (OSError, KeyError, ValueError):
        return 0.8


# --- scale ------------------------------------------------------------------------------

SCALE_CHILD = "--scale-child"


def _memory() -> tuple[float, float]:
    """(current, peak) resident memory of this process, MiB."""
    status = Path("/proc/self/status").read_text().splitlines()
    rss = next((int(x.split()[1]) for x in status if x.startswith("VmRSS:")), 0)
    hwm = next((int(x.split()[1]) for x in status if x.startswith("VmHWM:")), 0)
    return rss / 1024, hwm / 1024


async def scale_child(size: int, enc: str, db: Path) -> None:
    """In its own process: open a `size`-passage knowledge base (its index already saved
    beside the database, as after any earlier start), time ask() keyword-only; then give
    every passage a stored float16 vector (copies of the unique passages' vectors, as the
    database would hold them) and time the keyword stage's top RERANK_DEPTH plus the
    semantic rerank, each part on its own too."""
    conn = await open_database(db)
    # Keyword only (the stage is timed below, on vectors given to every passage): a
    # background embedder filling 10k passages would skew both timings.
    kb = await KnowledgeBase.open(conn, load_faq=False, semantic=None)
    questions = [c.q for p in SETS if p.exists() for c in load_cases(p)][:600]
    for q in questions[:50]:
        kb.ask(q, k=3)
    plain = []
    for q in questions:
        t = time.perf_counter()
        kb.ask(q, k=3)
        plain.append((time.perf_counter() - t) * 1000)
    keyword_rss, keyword_peak = _memory()
    reranker = SemanticReranker(encoder_name=enc)
    entries = kb._index.entries
    unique: dict[str, int] = {}
    for e in entries:
        unique.setdefault(passage_text(e.text, e.source), len(unique))
    t0 = time.perf_counter()
    uvecs = reranker.embed_passages(list(unique))
    embed_s = time.perf_counter() - t0
    # One float16 row per stored passage, as loaded from the database at start.
    matrix = uvecs[[unique[passage_text(e.text, e.source)] for e in entries]].copy()
    del uvecs
    row = {e.passage_id: i for i, e in enumerate(entries)}
    staged, search_ms, embed_ms, rerank_ms = [], [], [], []
    for q in questions:
        t = time.perf_counter()
        asked = keyword_hits(kb, Case("", q, [], ""), RERANK_DEPTH)
        t1 = time.perf_counter()
        qv = reranker.embed_query(asked.text)
        t2 = time.perf_counter()
        if asked.hits:
            v = matrix[[row[h.entry.passage_id] for h in asked.hits]]
            reranker.rerank(qv, asked.hits, v)
        t3 = time.perf_counter()
        staged.append((t3 - t) * 1000)
        search_ms.append((t1 - t) * 1000)
        embed_ms.append((t2 - t1) * 1000)
        rerank_ms.append((t3 - t2) * 1000)
    rss, peak = _memory()
    out = {
        "passages": len(entries),
        "vectors_mib": matrix.nbytes / 2**20,
        "unique_embed_per_s": len(unique) / embed_s,
        "keyword_rss": keyword_rss,
        "keyword_peak": keyword_peak,
        "rss": rss,
        "peak": peak,
    }
    for name, values in (
        ("plain", plain),
        ("staged", staged),
        ("search", search_ms),
        ("embed", embed_ms),
        ("rerank", rerank_ms),
    ):
        out[f"{name}_p50"] = statistics.median(values)
        out[f"{name}_p99"] = pct(values, 0.99)
    print(json.dumps(out))
    await conn.close()


WARM_OPEN = """
import asyncio, sys
sys.path.insert(0, {root!r})
from knowledge.qa.service import KnowledgeBase
from storage.db import open_database
async def main():
    conn = await open_database({db!r})
    try:
        await KnowledgeBase.open(conn, load_faq=False)
    finally:
        await conn.close()
asyncio.run(main())
"""


def main_scale(sizes: Sequence[int], encoders: Sequence[str]) -> None:
    from bench.kb_perf import build_db

    # The database is built and warmed keyword only (no background embedding of 10k
    # passages in the builder or the warm start); the child embeds what it measures.
    semantic_setting = os.environ.get(ENV)
    os.environ[ENV] = "off"

    files = sorted(p for p in (SHARED / "corpus").iterdir() if p.is_file())
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            db = Path(tmp) / f"kb_{size}.db"
            asyncio.run(build_db(db, files, size))
            # A first start builds and saves the index; the measured start loads it.
            subprocess.run(
                [sys.executable, "-c", WARM_OPEN.format(root=str(ROOT), db=str(db))],
                check=True,
                timeout=1800,
            )
            for enc in encoders:
                if semantic_setting is not None and semantic_setting.lower() in ("off", "0"):
                    continue
                out = subprocess.run(
                    [sys.executable, __file__, SCALE_CHILD, str(size), enc, str(db)],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=1800,
                ).stdout
                r = json.loads(out.strip().splitlines()[-1])
                print(
                    f"\n{r['passages']} passages, {enc}:\n"
                    f"  ask() keyword-only          p50 {r['plain_p50']:6.2f} ms  "
                    f"p99 {r['plain_p99']:6.2f} ms\n"
                    f"  keyword top {RERANK_DEPTH} + rerank     p50 {r['staged_p50']:6.2f} ms  "
                    f"p99 {r['staged_p99']:6.2f} ms\n"
                    f"    of which search(k={RERANK_DEPTH})   p50 {r['search_p50']:6.2f} ms  "
                    f"p99 {r['search_p99']:6.2f} ms\n"
                    f"    query embedding           p50 {r['embed_p50']:6.2f} ms  "
                    f"p99 {r['embed_p99']:6.2f} ms\n"
                    f"    rerank ({RERANK_DEPTH} rows)          p50 {r['rerank_p50']:6.2f} ms  "
                    f"p99 {r['rerank_p99']:6.2f} ms\n"
                    f"  memory: keyword-only RSS {r['keyword_rss']:.0f} MiB (peak "
                    f"{r['keyword_peak']:.0f}); with encoder + {r['vectors_mib']:.0f} MiB of "
                    f"float16 vectors RSS {r['rss']:.0f} MiB (peak {r['peak']:.0f}); passages "
                    f"embedded at {r['unique_embed_per_s']:.0f}/s"
                )


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == SCALE_CHILD:
        asyncio.run(scale_child(int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--encoder", nargs="+", default=list(ENCODERS), choices=list(ENCODERS))
    parser.add_argument("--scale", type=int, nargs="*", default=[], help="passages, e.g. 100000")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print the training grid")
    args = parser.parse_args()
    if not args.no_quality:
        main_quality(args)
    if args.scale:
        main_scale(args.scale, args.encoder)


if __name__ == "__main__":
    main()
