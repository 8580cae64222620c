"""The knowledge-base facade used by handlers and the CLI.

SQLite (storage/kb_repo.py) is the source of truth, including each passage's tokens; the
in-memory `SearchIndex` is rebuilt from those stored tokens (no jieba on restart) and
swapped in one assignment after every write, so `ask` never sees a half-built index.
Parsing and tokenising an upload runs in a worker process (`knowledge/isolated.py`) under
a memory cap and a time limit: in a thread it held the GIL for seconds, and a hostile file
could take the whole machine. Building the index arrays runs in `asyncio.to_thread`.

With the semantic second stage on (knowledge/qa/semantic.py, RESIDENT_BOT_SEMANTIC), `ask`
reorders the keyword stage's first RERANK_DEPTH candidates by sentence similarity and
answers by the learned semantic decision (knowledge/qa/decision.py; the coverage rule
only keeps its confident first passage first); passage vectors are filled in the
background (knowledge/qa/vectors.py).
Off, or until the encoder and a candidate's vector are there, `ask` is the keyword path:
the keyword order and the coverage rule, exactly as before.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import sys
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import aiosqlite

from knowledge.isolated import (
    IsolatedWorker,
    WorkerMemoryError,
    WorkerStoppedError,
    WorkerTimeoutError,
)
from knowledge.normalize import canonical, clean_display, display_punctuation
from knowledge.qa import index_cache
from knowledge.qa.decision import shipped_semantic_decision
from knowledge.qa.errors import KnowledgeImportError
from knowledge.qa.index import IndexEntry, SearchIndex, question_only
from knowledge.qa.index_cache import cache_path
from knowledge.qa.parsing import MAX_PASSAGE_CHARS
from knowledge.qa.preparation import (
    WARMUP,
    PreparedDocument,
    build_document_sections,
    index_terms,
    load_chunk,
    new_passage,
    prepare_document,
)
from knowledge.qa.ranking import (
    MIN_COVERAGE,
    SUGGEST_COVERAGE,
    Ranking,
    Stages,
    keyword_decision,
    semantic_decision,
)
from knowledge.qa.semantic import SemanticReranker
from knowledge.qa.tokenize import init_tokenizer, tokenize, tokenizer_fingerprint
from knowledge.qa.vectors import PassageVectors, VectorFiller
from knowledge.upload_limits import (
    MAX_PARSE_SECONDS,
    MAX_UPLOAD_BYTES,
    MAX_WORKER_MEMORY_BYTES,
    OUT_OF_MEMORY,
    TOO_SLOW,
    upload_too_large,
)
from storage import kb_repo
from storage.clock import now_iso

__all__ = [
    "IMPORT_INTERRUPTED",
    "MIN_COVERAGE",
    "SUGGEST_COVERAGE",
    "Answer",
    "DocumentInfo",
    "ImportSummary",
    "KnowledgeBase",
    "KnowledgeImportError",
    "Ranking",
    "SearchResult",
    "Stages",
    "build_document_sections",
    "semantic_decision",
]

logger = logging.getLogger(__name__)

FAQ_SOURCE = "社区常见问题"
# Ranking looks at the first QUERY_CHARS canonical characters of a question: residents'
# questions are short, and this bounds the cost of a pasted 50,000-character message.
QUERY_CHARS = 200
_HAS_WORD = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")
IMPORT_INTERRUPTED = "机器人正在停止或重启，导入已中断，原有内容保持不变。请稍后重新发送该文件。"
IMPORT_CRASHED = "处理文件时出错，导入已中断，原有内容保持不变。请检查文件后重新导入。"


@dataclass(frozen=True)
class SearchResult:
    passage_id: int
    text: str
    source: str
    score: float
    kind: str


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    results: list[SearchResult]
    # Not answered, but results[0] comes close enough (SUGGEST_COVERAGE) to be shown as a
    # tentative "this may help"; never True when answered or when there are no results.
    suggested: bool = False


# `KnowledgeBase.open(semantic=...)`: the bundled encoder unless switched off.
_AUTO = "auto"


@dataclass(frozen=True)
class ImportSummary:
    doc_id: int
    title: str
    filename: str
    sections: int
    passages: int
    replaced: bool


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: int
    title: str
    filename: str
    sections: int
    passages: int
    imported_at: str


def build_faq_passage(
    questions: list[str], answer: str, source: str = FAQ_SOURCE
) -> kb_repo.NewPassage:
    answer = clean_display(answer).strip()
    questions = [clean_display(q).strip() for q in questions if q.strip()]
    return new_passage(
        answer[:MAX_PASSAGE_CHARS],
        source,
        body=answer,
        head=" ".join(questions),
        bigram="".join(questions) + answer,
        heads={},
        full_text=answer,
    )


def _entry(p: kb_repo.StoredPassage, taught: Sequence[str] = ()) -> IndexEntry:
    """The index entry of a stored passage; `taught` are the tokens of the phrasings
    staff taught it, which join its heading field (see KnowledgeBase.teach)."""
    # Interning shares one string object per distinct term across all passages, which
    # keeps a 100k-passage index in memory affordable.
    head = p.head_tokens.split()
    for tokens in taught:
        head.extend(tokens.split())
    return IndexEntry(
        passage_id=p.id,
        kind=p.kind,
        text=p.text,
        source=p.source,
        body=tuple(map(sys.intern, p.tokens.split())),
        head=tuple(map(sys.intern, head)),
        bigram_text=p.bigram_text,
    )


async def _taught_tokens(conn: aiosqlite.Connection) -> dict[int, list[str]]:
    """The tokens of the phrasings staff taught (KnowledgeBase.teach), by passage."""
    taught: dict[int, list[str]] = {}
    for phrasing in await kb_repo.load_phrasings(conn):
        taught.setdefault(phrasing.passage_id, []).append(phrasing.tokens)
    return taught


async def _database_file(conn: aiosqlite.Connection) -> str:
    """The database's file path, '' for an in-memory one."""
    async with conn.execute("PRAGMA database_list") as cur:
        for row in await cur.fetchall():
            if row[1] == "main":
                return str(row[2] or "")
    return ""


def phrasing_terms(question: str) -> str:
    """Index terms of a taught phrasing: the question as the index reads a resident's
    (personal details and greetings out), tokenised like any heading."""
    return " ".join(tokenize(canonical(question_only(question))))


def _faq_file() -> Path | None:
    path = Path(str(resources.files("knowledge.qa") / "data" / "faq.json"))
    return path if path.is_file() else None


def _load_faq_items(data: bytes) -> list[tuple[str, list[str], str, str]]:
    items: list[tuple[str, list[str], str, str]] = []
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        logger.exception("Bundled FAQ is not valid JSON; skipped")
        return items
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        questions = [q for q in item.get("questions", []) if isinstance(q, str) and q.strip()]
        answer = item.get("answer")
        if questions and isinstance(answer, str) and answer.strip():
            source = item.get("source")
            label = FAQ_SOURCE
            if isinstance(source, str) and source:
                # "社区常见问题 · 公示" as written, or "社区常见问题 · 《民法典》第278条".
                label = source if source.startswith(FAQ_SOURCE) else f"{FAQ_SOURCE} · {source}"
            items.append((str(item.get("id", "")), questions, answer, label))
    return items


class KnowledgeBase:
    """Documents and FAQ → passages → in-memory index → answers."""

    def __init__(
        self, conn: aiosqlite.Connection, reranker: SemanticReranker | None = None
    ) -> None:
        self._conn = conn
        self._entries: dict[int, IndexEntry] = {}
        # The semantic second stage (None: keyword only). Its passage vectors arrive in
        # the background (knowledge/qa/vectors.py); until the encoder is loaded and a
        # candidate has a vector, questions take the keyword path.
        self._reranker = reranker
        self._vectors = PassageVectors()
        self._filler = (
            None
            if reranker is None
            else VectorFiller(conn, reranker, self._vectors, wanted=self._entries.__contains__)
        )
        self._doc_passages: dict[int, list[int]] = {}
        self._index = SearchIndex([])
        self._write_lock = asyncio.Lock()
        # Parsing and tokenising uploads happens in this child process (started on the
        # first import, retired when idle); `close` kills it at once.
        self._worker = IsolatedWorker(max_memory_bytes=MAX_WORKER_MEMORY_BYTES, warmup=WARMUP)
        self._closing = False
        # The index file beside the database (knowledge/qa/index_cache.py); None when the
        # database is in memory.
        self._cache: Path | None = None

    @classmethod
    async def open(
        cls,
        conn: aiosqlite.Connection,
        *,
        load_faq: bool = True,
        semantic: SemanticReranker | str | None = _AUTO,
    ) -> KnowledgeBase:
        """Open the knowledge base over `conn`. `semantic`: the second stage's reranker,
        None for keyword only, or "auto": the bundled encoder unless RESIDENT_BOT_SEMANTIC
        is off (or its package missing). Its vectors load and fill in the background."""
        reranker = SemanticReranker.create() if isinstance(semantic, str) else semantic
        kb = cls(conn, reranker)
        # Documents a crash left half written or half removed (hidden, never searched).
        await kb_repo.purge_unfinished(conn)
        # jieba's dictionary load and the index load are independent: overlap them.
        jieba_ready = asyncio.ensure_future(asyncio.to_thread(init_tokenizer))
        # Both wait for jieba only when they have something to tokenise; in the steady
        # state jieba's dictionary load overlaps the index load below.
        await kb._retokenize_if_needed(jieba_ready)
        if load_faq:
            await kb._seed_bundled_faq(jieba_ready)
        kb._cache = cache_path(await _database_file(conn))
        if not await kb._load_cached():
            taught = await _taught_tokens(conn)

            def entries_of(rows: list[kb_repo.StoredPassage]) -> list[IndexEntry]:
                return [_entry(p, taught.get(p.id, ())) for p in rows]

            # A batch at a time: the rows' token strings are dropped as their entries are
            # made, instead of all 100k rows living through the whole build.
            async for stored in kb_repo.iter_passages(conn):
                entries = await asyncio.to_thread(entries_of, stored)
                for p, e in zip(stored, entries, strict=True):
                    kb._entries[p.id] = e
                    if p.doc_id is not None:
                        kb._doc_passages.setdefault(p.doc_id, []).append(p.id)
            await kb._rebuild()
        await jieba_ready
        if kb._filler is not None:
            kb._filler.kick()
        return kb

    @property
    def semantic(self) -> SemanticReranker | None:
        """The semantic stage's reranker, None when keyword only."""
        return self._reranker

    async def semantic_ready(self) -> None:
        """Wait until the semantic stage can run: stored vectors loaded, encoder loaded
        (returns at once when keyword only)."""
        if self._filler is not None:
            await self._filler.ready()

    async def vectors_ready(self) -> None:
        """Wait until every passage has its vector (the background embedding is done)."""
        if self._filler is not None:
            await self._filler.ready()
            await self._filler.idle()

    def vector_count(self) -> int:
        """Passages whose vector is in memory (0 when keyword only)."""
        return len(self._vectors)

    async def _cache_key(self) -> str:
        generation = await kb_repo.generation(self._conn)
        return f"{generation}|{tokenizer_fingerprint()}"

    async def _load_cached(self) -> bool:
        """Take the index saved beside the database if it was built for these passages."""
        if self._cache is None:
            return False
        path, key = self._cache, await self._cache_key()
        cached = await asyncio.to_thread(index_cache.load, path, key)
        if cached is None:
            return False
        for entry, doc_id in zip(cached.index.entries, cached.doc_ids, strict=True):
            self._entries[entry.passage_id] = entry
            if doc_id is not None:
                self._doc_passages.setdefault(doc_id, []).append(entry.passage_id)
        self._index = cached.index
        return True

    async def _retokenize_if_needed(self, jieba_ready: Awaitable[object]) -> None:
        """Re-derive stored index terms when the tokenizer (dictionary, stopwords,
        synonyms) changed since they were computed, so an upgrade never needs a re-import.
        """
        current = tokenizer_fingerprint()
        stored = await kb_repo.get_meta(self._conn, "tokenizer")
        if stored == current:
            return
        sources = await kb_repo.index_sources(self._conn)
        if sources:
            await jieba_ready
        heads: dict[str, str] = {}
        rows = await asyncio.to_thread(
            lambda: [(s.id, *index_terms(s.body, s.head, s.bigram, heads)) for s in sources]
        )
        phrasings = await kb_repo.load_phrasings(self._conn)
        if phrasings:
            await jieba_ready
        retaught = await asyncio.to_thread(
            lambda: [(p.id, phrasing_terms(p.text)) for p in phrasings]
        )
        await kb_repo.update_index_terms(self._conn, rows, fingerprint=current, phrasings=retaught)
        if stored is not None:
            logger.info(
                "Tokenizer changed: re-tokenised %d passages, %d taught phrasings",
                len(rows),
                len(retaught),
            )

    async def _seed_bundled_faq(self, jieba_ready: Awaitable[object]) -> None:
        path = _faq_file()
        if path is None:
            return
        data = await asyncio.to_thread(path.read_bytes)
        digest = hashlib.sha256(data).hexdigest()
        if await kb_repo.get_meta(self._conn, "bundled_faq_hash") == digest:
            return
        items = _load_faq_items(data)
        await jieba_ready
        passages = await asyncio.to_thread(
            lambda: [(build_faq_passage(qs, ans, src), key) for key, qs, ans, src in items]
        )
        await kb_repo.replace_bundled_faq(
            self._conn, passages, faq_hash=digest, created_at=now_iso()
        )
        logger.info("Seeded %d bundled FAQ entries", len(passages))

    async def _rebuild(self) -> None:
        """Build the index from the entries and save it beside the database (writes hold
        `_write_lock` or run before the bot serves, so the generation read here is the
        one these entries come from)."""
        entries = list(self._entries.values())
        key = await self._cache_key() if self._cache is not None else ""
        index = await asyncio.to_thread(SearchIndex, entries)
        self._index = index
        if self._cache is not None:
            doc_of = {pid: doc for doc, pids in self._doc_passages.items() for pid in pids}
            doc_ids = [doc_of.get(e.passage_id) for e in index.entries]
            await asyncio.to_thread(index_cache.save, self._cache, key, index, doc_ids)

    # --- documents ------------------------------------------------------------------

    async def import_bytes(self, filename: str, data: bytes) -> ImportSummary:
        """Parse and tokenise in the worker process, then write in short transactions.

        The document becomes searchable, and replaces an older version, only once it is
        completely written; a failure or shutdown part-way leaves the old version as it was.
        """
        name = Path(filename).name or "未命名"
        if len(data) > MAX_UPLOAD_BYTES:
            raise KnowledgeImportError(upload_too_large(len(data)))
        prepared = await self._prepare(name, data)
        sections: list[kb_repo.NewSection] = []
        for chunk in prepared.chunks:
            sections.extend(await asyncio.to_thread(load_chunk, chunk))
        async with self._write_lock:
            try:
                doc_id, replaced = await kb_repo.replace_document(
                    self._conn,
                    filename=name,
                    title=prepared.title,
                    sha256=prepared.sha256,
                    imported_at=now_iso(),
                    sections=sections,
                    keep_going=lambda: not self._closing,
                )
            except kb_repo.WriteAbandonedError:
                raise KnowledgeImportError(IMPORT_INTERRUPTED) from None
            stored = await kb_repo.passages_of_document(self._conn, doc_id)
            if not self._closing:  # the index dies with the process anyway
                # A replaced version's taught phrasings came over to this one (kb_repo).
                taught = await _taught_tokens(self._conn) if replaced else {}
                entries = await asyncio.to_thread(
                    lambda: [_entry(p, taught.get(p.id, ())) for p in stored]
                )
                for old in replaced:
                    self._forget_document(old)
                self._entries.update((e.passage_id, e) for e in entries)
                self._doc_passages[doc_id] = [p.id for p in stored]
                await self._rebuild()
                if self._filler is not None:
                    self._filler.kick()
        return ImportSummary(
            doc_id=doc_id,
            title=prepared.title,
            filename=name,
            sections=prepared.sections,
            passages=len(stored),
            replaced=bool(replaced),
        )

    async def _prepare(self, name: str, data: bytes) -> PreparedDocument:
        if self._closing:
            raise KnowledgeImportError(IMPORT_INTERRUPTED)
        try:
            return await self._worker.run(MAX_PARSE_SECONDS, prepare_document, name, data)
        except WorkerTimeoutError:
            raise KnowledgeImportError(TOO_SLOW.format(seconds=int(MAX_PARSE_SECONDS))) from None
        except WorkerMemoryError:
            raise KnowledgeImportError(OUT_OF_MEMORY) from None
        except WorkerStoppedError as exc:
            if self._closing or exc.deliberate:
                logger.info("Import of %r interrupted: the bot is stopping", name)
                raise KnowledgeImportError(IMPORT_INTERRUPTED) from None
            logger.exception("Import worker died while reading %r", name)
            raise KnowledgeImportError(IMPORT_CRASHED) from None
        except KnowledgeImportError:
            raise
        except Exception:
            logger.exception("Import worker failed on %r", name)
            raise KnowledgeImportError(IMPORT_CRASHED) from None

    def stop_imports(self) -> None:
        """Abort any import now: kill the worker process, stop writing between batches.

        Synchronous, so the composition root can call it from a signal handler before
        python-telegram-bot waits for running handlers to finish.
        """
        self._closing = True
        self._worker.kill()

    async def close(self) -> None:
        """Stop imports and embedding for good and reap the worker processes
        (post_shutdown)."""
        self._closing = True
        await self._worker.close()
        if self._filler is not None:
            await self._filler.close()

    async def import_path(self, path: str | Path) -> ImportSummary:
        target = Path(path)
        try:
            data = await asyncio.to_thread(target.read_bytes)
        except OSError as exc:
            raise KnowledgeImportError(f"无法读取文件「{target.name}」。") from exc
        return await self.import_bytes(target.name, data)

    async def list_documents(self) -> list[DocumentInfo]:
        return [
            DocumentInfo(r.id, r.title, r.filename, r.sections, r.passages, r.imported_at)
            for r in await kb_repo.list_documents(self._conn)
        ]

    async def remove_document(self, doc_id: int) -> bool:
        async with self._write_lock:
            removed = await kb_repo.delete_document(self._conn, doc_id)
            self._forget_document(doc_id)
            if removed:
                await self._rebuild()
        return removed

    def _forget_document(self, doc_id: int) -> None:
        """Drop a document's passages and their vectors from memory (the caller
        rebuilds the index)."""
        gone = self._doc_passages.pop(doc_id, [])
        for pid in gone:
            self._entries.pop(pid, None)
        self._vectors.discard(gone)

    # --- questions ------------------------------------------------------------------

    def ask(self, question: str, *, k: int = 3, docs_only: bool = False) -> Answer:
        ranking = self.rank(question, k=k, docs_only=docs_only)
        results = [
            SearchResult(
                h.entry.passage_id,
                display_punctuation(h.entry.text),
                h.entry.source,
                h.score,
                h.entry.kind,
            )
            for h in ranking.hits
        ]
        return Answer(question, ranking.answered, results, suggested=ranking.suggested)

    def rank(self, question: str, *, k: int = 3, docs_only: bool = False) -> Ranking:
        """The keyword stage, the semantic stage when it can run, and the decision."""
        found = self.stages(question, k=k, docs_only=docs_only)
        if found.reranked is None:
            return keyword_decision(found.keyword, found.has_terms, k)
        return semantic_decision(found.keyword, found.reranked, shipped_semantic_decision(), k)

    def stages(self, question: str, *, k: int = 3, docs_only: bool = False) -> Stages:
        """The candidates before any decision: the keyword stage's (k of them, or the
        semantic stage's depth once it can run) and the semantic stage's order, if it ran.

        The semantic stage runs once its encoder is loaded and at least one of the
        keyword stage's first `depth` candidates has its vector. It reorders a cheap pool
        (knowledge/qa/candidates.py): the keyword hits past the first k carry their score
        only (`Hit.evidenced` False); `reranked` holds the first of its order that the
        decision reads and the resident may see, near-duplicates skipped, with evidence."""
        # Canonicalise a bounded prefix first: OpenCC and NFKC on 50,000 characters is
        # wasted work when only QUERY_CHARS of the result are ranked.
        text = canonical(question[: QUERY_CHARS * 4])[:QUERY_CHARS]
        if not _HAS_WORD.search(text):
            return Stages(False, [])
        index = self._index
        text = index.as_meant(text)
        terms = tokenize(text)
        reranker = self._reranker
        if reranker is None or not reranker.loaded or not self._vectors or not terms:
            return Stages(bool(terms), index.search(terms, text, k=k, docs_only=docs_only))
        pool = index.pool(
            terms, text, depth=max(k, reranker.depth), checked=k, docs_only=docs_only
        )
        keyword = pool.hits
        ids = [h.entry.passage_id for h in keyword[: reranker.depth]]
        if not keyword or not self._vectors.coverage(ids):
            return Stages(True, keyword)
        ranked = reranker.rerank(text, keyword, self._vectors.gather(ids))
        # The decision reads the first three; the keyword-first floor shows the keyword
        # stage's first, then k of the others (decision.shown_order).
        shown = pool.first_distinct([s.item for s in ranked], max(k, 3) + 1)
        return Stages(True, keyword, [replace(ranked[i], item=hit) for i, hit in shown])

    async def section_text(self, passage_id: int) -> tuple[str, str] | None:
        found = await kb_repo.section_text(self._conn, passage_id)
        return None if found is None else (found.source, display_punctuation(found.text))

    async def add_faq(self, question: str, answer: str, *, created_by: int | None = None) -> int:
        if not question.strip() or not answer.strip():
            raise ValueError("question and answer must not be empty")
        passage = await asyncio.to_thread(build_faq_passage, [question], answer)
        async with self._write_lock:
            (pid,) = await kb_repo.insert_faq(
                self._conn,
                [(passage, None)],
                origin="staff",
                created_at=now_iso(),
                created_by=created_by,
            )
            self._entries[pid] = _entry(
                kb_repo.StoredPassage(
                    id=pid,
                    kind="faq",
                    doc_id=None,
                    text=passage.text,
                    source=passage.source,
                    tokens=passage.tokens,
                    head_tokens=passage.head_tokens,
                    bigram_text=passage.bigram_text,
                )
            )
            await self._rebuild()
        if self._filler is not None:
            self._filler.kick()
        return pid

    async def passage(self, passage_id: int) -> SearchResult | None:
        """A passage still in the knowledge base, as a search result (score 0)."""
        entry = self._entries.get(passage_id)
        if entry is None:
            return None
        return SearchResult(
            entry.passage_id, display_punctuation(entry.text), entry.source, 0.0, entry.kind
        )

    async def teach(
        self,
        passage_id: int,
        question: str,
        *,
        question_id: int | None = None,
        created_by: int | None = None,
    ) -> SearchResult | None:
        """Store `question` (personal details already removed) as another phrasing of the
        passage: its terms join the passage's heading field, in SQLite and in the index,
        so the same and similar questions find the passage from now on. None when the
        passage is gone or the question has no words."""
        terms = await asyncio.to_thread(phrasing_terms, question)
        if not terms:
            return None
        async with self._write_lock:
            entry = self._entries.get(passage_id)
            if entry is None:
                return None
            stored = await kb_repo.add_phrasing(
                self._conn,
                passage_id=passage_id,
                text=question,
                tokens=terms,
                question_id=question_id,
                created_by=created_by,
                created_at=now_iso(),
            )
            if stored is None:
                return None
            head = (*entry.head, *map(sys.intern, terms.split()))
            self._entries[passage_id] = replace(entry, head=head)
            await self._rebuild()
        return await self.passage(passage_id)

    def passage_count(self) -> int:
        return len(self._index)
