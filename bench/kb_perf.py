"""Knowledge-base performance: latency at 10k / 100k passages, import rate, cold start, RSS.

The corpus (../shared/corpus) is parsed and tokenised once; its passages are then stored
again under different file names/titles (with their stored tokens, as an import would)
until the database holds the target number of passages. Baseline for latency, in the same
run: the naive pure-Python dict BM25 from bench/kb_eval.py over the same passages.

The semantic stage (knowledge/qa/semantic.py, on by default) needs every passage's
sentence vector stored, as the bot's background embedder leaves them: the copies share
their texts, so each distinct embedded text is embedded once and its vector stored for
every copy. `ask` is timed keyword only (as with RESIDENT_BOT_SEMANTIC=off) and with the stage,
once its encoder and the stored vectors are loaded.

Cold starts run in a new process, twice per database: the first builds the index from
SQLite and saves it beside the database, the second (a restart, the steady state) loads
that file; keyword only, then both again with the stage on and the vectors stored. With
the stage on the first answer comes while the encoder still loads in its thread, so it is
keyword only (printed); the time until the stage is ready (stored vectors and encoder
loaded) and its first answer is printed beside it. Peak memory is the process's VmHWM of
each start, with the stage on once it is ready (vectors and encoder in memory). Issue
11's goals are printed beside the figures.

    python -m bench.kb_perf [--sizes 10000 100000] [--queries 600]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.kb_eval import SHARED, BaselineBM25, load_cases  # noqa: E402
from knowledge.qa.index_cache import cache_path  # noqa: E402
from knowledge.qa.parsing import parse_document  # noqa: E402
from knowledge.qa.semantic import ENV, SemanticReranker, passage_text, semantic_enabled  # noqa: E402
from knowledge.qa.service import KnowledgeBase, build_document_sections  # noqa: E402
from knowledge.qa.tokenize import tokenizer_fingerprint  # noqa: E402
from storage import kb_repo, kb_vectors_repo  # noqa: E402
from storage.db import open_database  # noqa: E402

COLD_START = """
import asyncio, json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from knowledge.qa.service import KnowledgeBase
from storage.db import open_database
QUESTION = "加装电梯要业主出钱吗"
def memory():
    found = dict()
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS:", "VmHWM:")):
            found[line.split(":")[0]] = int(line.split()[1])
    return found["VmRSS"], found["VmHWM"]
async def main():
    conn = await open_database({db!r})
    kb = None
    try:  # an unclosed aiosqlite connection would keep the process from exiting
        kb = await KnowledgeBase.open(conn, load_faq={faq!r})
        semantic_first = kb.stages(QUESTION).reranked is not None
        kb.ask(QUESTION)
        out = dict(cold_s=time.perf_counter() - t0, passages=kb.passage_count(),
                   semantic_first=semantic_first)
        out["rss"], out["hwm"] = memory()
        if kb.semantic is not None:
            await kb.semantic_ready()
            kb.ask(QUESTION)
            out["ready_s"] = time.perf_counter() - t0
            out["semantic_ready"] = kb.stages(QUESTION).reranked is not None
            out["vectors"] = kb.vector_count()
            out["ready_rss"], out["ready_hwm"] = memory()
        print(json.dumps(out))
    finally:
        if kb is not None:
            await kb.close()
        await conn.close()
asyncio.run(main())
"""


# Issue 11's goals: cold start to the first answer (s) and query p99 (ms) by passages
# (0: the built-in FAQ only), and peak memory at 100k passages (MiB).
COLD_GOAL = {0: 1.5, 10_000: 2.0, 100_000: 6.0}
P99_GOAL = {10_000: 5.0, 100_000: 20.0}
PEAK_GOAL_MIB = 1024


def goal(value: float, limit: float | None, unit: str) -> str:
    if limit is None:
        return ""
    return f" [goal <= {limit:g} {unit}: {'met' if value <= limit else 'MISSED'}]"


async def cold_start(db: Path, *, faq: bool = False, semantic: bool = False) -> dict[str, float]:
    """A new process opens the knowledge base and answers once: seconds, passages, RSS and
    peak RSS (KiB); with the stage on also when it was ready and the memory then."""
    env = {**os.environ, ENV: "on" if semantic else "off"}
    proc = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", COLD_START.format(root=str(ROOT), db=str(db), faq=faq)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env=env,
    )
    found: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return found


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def import_rate(files: list[Path], tmp: Path) -> tuple[int, float]:
    conn = await open_database(tmp / "import.db")
    kb = await KnowledgeBase.open(conn, load_faq=False)
    started = time.perf_counter()
    total = 0
    for f in files:
        total += (await kb.import_path(f)).passages
    elapsed = time.perf_counter() - started
    await conn.close()
    return total, elapsed


async def build_db(path: Path, files: list[Path], target: int) -> list[str]:
    """Store copies of the corpus until `target` passages; return the unique passage texts."""
    prepared = []
    for f in files:
        parsed = parse_document(f.name, f.read_bytes())
        prepared.append((f.name, parsed.title, build_document_sections(parsed)))
    conn = await open_database(path)
    count, copy = 0, 0
    texts = [p.text for _, _, secs in prepared for s in secs for p in s.passages]
    stamp = "2024-01-01T00:00:00+00:00"
    while count < target:
        for name, title, sections in prepared:
            if count >= target:
                break
            room = target - count
            trimmed = []
            for s in sections:
                if room <= 0:
                    break
                trimmed.append(replace(s, passages=list(s.passages)[:room]))
                room -= len(trimmed[-1].passages)
            await kb_repo.replace_document(
                conn,
                filename=f"copy{copy}_{name}",
                title=f"{title}#{copy}",
                sha256="-",
                imported_at=stamp,
                sections=trimmed,
            )
            count += sum(len(s.passages) for s in trimmed)
        copy += 1
    # Written like the running bot does, so the cold start measures a steady-state open
    # rather than the one-off re-tokenising of an upgrade.
    await kb_repo.update_index_terms(conn, [], fingerprint=tokenizer_fingerprint())
    await conn.close()
    return texts


def baseline_for(texts: list[str], size: int) -> BaselineBM25:
    """The naive dict BM25 over `size` passages (unique texts tokenised once, replicated)."""
    base = BaselineBM25(texts)
    copies = -(-size // len(texts))
    base.paras = (base.paras * copies)[:size]
    base.docs = (base.docs * copies)[:size]
    base.lens = (base.lens * copies)[:size]
    base.post = {}
    for i, d in enumerate(base.docs):
        for t in d:
            base.post.setdefault(t, []).append(i)
    return base


async def store_vectors(db: Path) -> tuple[int, int, float]:
    """Store every passage's vector, as the background embedder would: each distinct
    embedded text once, its vector for every copy. Returns (passages, distinct, s)."""
    t0 = time.perf_counter()
    reranker = SemanticReranker()
    conn = await open_database(db)
    try:
        todo = await kb_vectors_repo.missing_vectors(conn, reranker.fingerprint, limit=10**9)
        texts = [passage_text(p.text, p.source, p.questions) for p in todo]
        distinct = list(dict.fromkeys(texts))
        vectors = await asyncio.to_thread(reranker.embed_passages, distinct)
        row = {text: vectors[i].tobytes() for i, text in enumerate(distinct)}
        rows = [(p.id, row[t]) for p, t in zip(todo, texts, strict=True)]
        for start in range(0, len(rows), 5000):
            await kb_vectors_repo.store_vectors(
                conn, rows[start : start + 5000], reranker.fingerprint
            )
    finally:
        await conn.close()
    return len(todo), len(distinct), time.perf_counter() - t0


async def latencies(
    db: Path, questions: list[str], queries: list[str], *, semantic: bool
) -> tuple[list[float], int, float]:
    """`ask` times (ms) in this process, keyword only or with the stage ready; how many
    of the timed questions the stage reranked; KnowledgeBase.open's seconds."""
    conn = await open_database(db)
    t0 = time.perf_counter()
    kb = await KnowledgeBase.open(
        conn, load_faq=False, semantic=SemanticReranker() if semantic else None
    )
    load = time.perf_counter() - t0
    try:
        await kb.semantic_ready()
        for q in questions:  # warm-up
            kb.ask(q)
        times = []
        for q in queries:
            t = time.perf_counter()
            kb.ask(q, k=3)
            times.append((time.perf_counter() - t) * 1000)
        reranked = sum(kb.stages(q).reranked is not None for q in queries)
    finally:
        await kb.close()
        await conn.close()
    return times, reranked, load


def cold_line(label: str, found: dict[str, float], limit: float | None) -> str:
    first = "semantic stage" if found.get("semantic_first") else "keyword only"
    cold = found["cold_s"]
    line = f"  {label}: 1st answer {cold:.2f} s ({first}){goal(cold, limit, 's')}"
    if "ready_s" in found:
        ran = "reranked" if found.get("semantic_ready") else "NOT reranked"
        line += (
            f"; stage ready ({int(found['vectors'])} vectors + encoder loaded) and its 1st"
            f" answer ({ran}) at {found['ready_s']:.2f} s"
        )
    return line


async def faq_only_start(tmp: Path, semantic: bool) -> None:
    """Cold start of a bot with only the built-in FAQ (the first start seeds it)."""
    db = tmp / "faq_only.db"
    seeding = await cold_start(db, faq=True)
    if semantic:  # the FAQ's vectors, embedded by the bot's own background embedder
        conn = await open_database(db)
        kb = await KnowledgeBase.open(conn, load_faq=True)
        await kb.vectors_ready()
        await kb.close()
        await conn.close()
    plain = await cold_start(db, faq=True)
    print(
        f"built-in FAQ only ({int(plain['passages'])} passages): first start, seeding it:"
        f" {seeding['cold_s']:.2f} s"
    )
    print(cold_line("keyword only", plain, COLD_GOAL[0]))
    found: dict[str, float] = {"cold_s": plain["cold_s"], "peak_mib": plain["hwm"] / 1024}
    if semantic:
        on = await cold_start(db, faq=True, semantic=True)
        print(cold_line("semantic stage on", on, COLD_GOAL[0]))
        found.update(semantic_cold_s=on["cold_s"], semantic_ready_s=on["ready_s"])
        found["semantic_peak_mib"] = on["ready_hwm"] / 1024
    print(
        f"  memory: peak {plain['hwm'] / 1024:.0f} MiB keyword only"
        + (f", {found['semantic_peak_mib']:.0f} MiB with the stage" if semantic else "")
    )
    print(json.dumps({"passages": plain["passages"], "faq_only": True, **found}))


def latency_line(label: str, times: list[float], limit: float | None) -> str:
    p99 = pct(times, 0.99)
    return (
        f"  ask() {label:<22} p50 {statistics.median(times):6.2f} ms  p99 {p99:6.2f} ms"
        f"  ({len(times)} queries){goal(p99, limit, 'ms')}"
    )


async def run(sizes: list[int], n_queries: int) -> None:
    files = sorted(p for p in (SHARED / "corpus").iterdir() if p.is_file())
    questions = [c.q for c in load_cases(SHARED / "eval" / "kb_dev.jsonl")]
    queries = (questions * (n_queries // len(questions) + 1))[:n_queries]
    semantic = semantic_enabled()
    if not semantic:
        print(f"(semantic stage not measured: {ENV}=off or its encoder not installed)")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        total, elapsed = await import_rate(files, tmp)
        print(
            f"import: {total} passages from {len(files)} files in {elapsed:.2f} s "
            f"= {total / elapsed:.0f} passages/s (parse + tokenise + store + index swap)"
        )
        await faq_only_start(tmp, semantic)
        for size in sizes:
            db = tmp / f"kb_{size}.db"
            t0 = time.perf_counter()
            texts = await build_db(db, files, size)
            built = time.perf_counter() - t0
            # The first start builds the index from SQLite and saves it beside the
            # database (knowledge/qa/index_cache.py); every later start loads that file.
            first = await cold_start(db)
            cold = await cold_start(db)
            ours, _, load = await latencies(db, questions, queries, semantic=False)

            base = baseline_for(texts, size)
            naive = []
            for q in queries[: max(60, n_queries // 5)]:
                t = time.perf_counter()
                base.search(q)
                naive.append((time.perf_counter() - t) * 1000)
            peak = max(cold["hwm"], first["hwm"]) / 1024
            print(f"\n{int(cold['passages'])} passages (db built in {built:.1f} s)")
            print(latency_line("keyword only", ours, P99_GOAL.get(size)))
            found: dict[str, float] = {
                "passages": cold["passages"],
                "p50_ms": statistics.median(ours),
                "p99_ms": pct(ours, 0.99),
            }
            if semantic:
                stored, distinct, embed_s = await store_vectors(db)
                sem, reranked, _ = await latencies(db, questions, queries, semantic=True)
                # A building start with the stage (the index file gone), then a loading one.
                index_file = cache_path(str(db))
                assert index_file is not None
                index_file.unlink()
                building = await cold_start(db, semantic=True)
                on = await cold_start(db, semantic=True)
                print(latency_line("with the semantic stage", sem, P99_GOAL.get(size)))
                print(f"    ({reranked} of {len(queries)} questions reranked by the stage)")
                found.update(
                    semantic_p50_ms=statistics.median(sem), semantic_p99_ms=pct(sem, 0.99)
                )
                peak = max(peak, on["ready_hwm"] / 1024, building["ready_hwm"] / 1024)
            print(
                f"  baseline dict BM25 p50 {statistics.median(naive):6.2f} ms  "
                f"p99 {pct(naive, 0.99):6.2f} ms  ({len(naive)} queries)"
            )
            print(
                "  cold start (new process: imports + open DB + jieba + index + 1st answer),"
                f" with the saved index; building and saving it: {first['cold_s']:.2f} s;"
                f" in-process KnowledgeBase.open {load:.2f} s"
            )
            print(cold_line("keyword only", cold, COLD_GOAL.get(size)))
            found.update(cold_s=cold["cold_s"], cold_build_s=first["cold_s"])
            if semantic:
                print(cold_line("semantic stage on", on, COLD_GOAL.get(size)))
                print(
                    f"    ({stored} vectors stored beforehand: {distinct} distinct texts"
                    f" embedded, copies' vectors stored, in {embed_s:.1f} s; building and"
                    f" saving the index with the stage on: 1st answer {building['cold_s']:.2f} s,"
                    f" stage ready {building['ready_s']:.2f} s)"
                )
                found.update(semantic_cold_s=on["cold_s"], semantic_ready_s=on["ready_s"])
                found["semantic_cold_build_s"] = building["cold_s"]
            print(
                f"  memory: the loading start RSS {cold['rss'] / 1024:.0f} MiB, peak"
                f" {cold['hwm'] / 1024:.0f} MiB; the building start peak"
                f" {first['hwm'] / 1024:.0f} MiB"
                + (
                    f"; with the stage ready (vectors + encoder) RSS"
                    f" {on['ready_rss'] / 1024:.0f} MiB, peak {on['ready_hwm'] / 1024:.0f} MiB,"
                    f" the building start's peak {building['ready_hwm'] / 1024:.0f} MiB"
                    if semantic
                    else ""
                )
                + goal(peak, PEAK_GOAL_MIB if size >= 100_000 else None, "MiB")
            )
            found.update(
                rss_mib=cold["rss"] / 1024,
                peak_loaded_mib=cold["hwm"] / 1024,
                peak_build_mib=first["hwm"] / 1024,
                peak_mib=peak,
            )
            if semantic:
                found["semantic_peak_mib"] = on["ready_hwm"] / 1024
                found["semantic_peak_build_mib"] = building["ready_hwm"] / 1024
            print(json.dumps(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=600)
    args = parser.parse_args()
    asyncio.run(run(args.sizes, args.queries))


if __name__ == "__main__":
    main()
