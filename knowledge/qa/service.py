"""The knowledge-base facade used by handlers and the CLI.

SQLite (storage/kb_repo.py) is the source of truth, including each passage's tokens; the
in-memory `SearchIndex` is rebuilt from those stored tokens (no jieba on restart) and
swapped in one assignment after every write, so `ask` never sees a half-built index.
CPU-heavy work (parsing, tokenising, building arrays) runs in `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import sys
from collections.abc import Awaitable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import aiosqlite

from knowledge.index import IndexEntry, SearchIndex
from knowledge.normalize import canonical, clean_display, display_punctuation
from knowledge.parsing import (
    MAX_PASSAGE_CHARS,
    KnowledgeImportError,
    ParsedDocument,
    parse_document,
    split_passages,
)
from knowledge.tokenize import init_tokenizer, tokenize, tokenizer_fingerprint
from storage import kb_repo
from storage.clock import now_iso

__all__ = [
    "Answer",
    "DocumentInfo",
    "ImportSummary",
    "KnowledgeBase",
    "KnowledgeImportError",
    "SearchResult",
]

logger = logging.getLogger(__name__)

FAQ_SOURCE = "社区常见问题"
# Ranking looks at the first QUERY_CHARS canonical characters of a question: residents'
# questions are short, and this bounds the cost of a pasted 50,000-character message.
QUERY_CHARS = 200
# A question is answered when the best passage covers at least this idf-weighted share of
# its informative terms (see knowledge/index.py). Coverage is a share, so the threshold
# means the same for a 5-passage FAQ and a 100k-passage library (raw BM25 does not). What
# keeps an out-of-scope question low is its key noun: a specific word no passage uses
# (驾照, 疫苗, 宽带) weighs as much as the rarest document word (see knowledge/index.py),
# while chatter, mis-cuts and colloquial words with formal expansions do not drag an
# in-scope question down. On the dev set out-of-scope questions reach 0.36 (one, whose
# noun appears in a list, 0.65); every right top-1 answer has at least 0.49.
MIN_COVERAGE = 0.4
# Below MIN_COVERAGE but at least this, the bot still declines (and records the question
# for staff) yet shows the best passage, marked "仅供参考": a resident's paraphrase can
# miss a document's wording while its first passage is still the right one. Both answer
# and suggestion need a passage that names two of the question's concepts
# (Hit.corroborated); nonsense and off-topic questions get the plain decline. Measured on
# the 158 dev + held-out questions, documents only: of 25 out-of-scope questions 1 is
# answered, 5 get a suggestion, 19 the plain decline (coverage alone: 5 / 9 / 11); of
# the 88 in-scope ones whose first passage is right, 74 are answered and 4 suggested
# (coverage alone: 77 / 5).
SUGGEST_COVERAGE = 0.25
_HAS_WORD = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")


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


def _source(title: str, path: tuple[str, ...]) -> str:
    head = f"《{title}》"
    return f"{head} {' › '.join(path)}" if path else head


def _terms(text: str) -> str:
    return " ".join(tokenize(canonical(text)))


def _index_terms(body: str, head: str, bigram: str, heads: dict[str, str]) -> tuple[str, str, str]:
    """(tokens, head_tokens, bigram_text) of a passage from the raw text they come from.

    The one derivation used at import and when re-tokenising after a tokenizer change.
    `heads` memoises heading terms: every passage of a section shares its heading.
    """
    if head not in heads:
        heads[head] = _terms(head)
    return _terms(body), heads[head], canonical(bigram)


def _new_passage(
    text: str,
    source: str,
    *,
    body: str,
    head: str,
    bigram: str,
    heads: dict[str, str],
    full_text: str | None = None,
) -> kb_repo.NewPassage:
    tokens, head_tokens, bigram_text = _index_terms(body, head, bigram, heads)
    return kb_repo.NewPassage(
        text=text,
        source=source,
        tokens=tokens,
        head_tokens=head_tokens,
        bigram_text=bigram_text,
        full_text=full_text,
        body_source=body,
        head_source=head,
        bigram_source=bigram,
    )


def build_document_sections(parsed: ParsedDocument) -> list[kb_repo.NewSection]:
    """Parsed document → sections with passages and their stored tokens (CPU heavy)."""
    sections: list[kb_repo.NewSection] = []
    heads: dict[str, str] = {}
    for section in parsed.sections:
        path = section.heading_path
        head_text = " ".join(path if parsed.has_subdocs else (parsed.title, *path))
        source = _source(parsed.title, path)
        last_heading = path[-1] if path else ""
        passages = [
            _new_passage(
                chunk, source, body=chunk, head=head_text, bigram=last_heading + chunk, heads=heads
            )
            for chunk in split_passages(section.text)
        ]
        if passages:
            sections.append(kb_repo.NewSection(path, section.text, passages))
    return sections


def build_faq_passage(
    questions: list[str], answer: str, source: str = FAQ_SOURCE
) -> kb_repo.NewPassage:
    answer = clean_display(answer).strip()
    questions = [clean_display(q).strip() for q in questions if q.strip()]
    return _new_passage(
        answer[:MAX_PASSAGE_CHARS],
        source,
        body=answer,
        head=" ".join(questions),
        bigram="".join(questions) + answer,
        heads={},
        full_text=answer,
    )


def _entry(p: kb_repo.StoredPassage) -> IndexEntry:
    # Interning shares one string object per distinct term across all passages, which
    # keeps a 100k-passage index in memory affordable.
    return IndexEntry(
        passage_id=p.id,
        kind=p.kind,
        text=p.text,
        source=p.source,
        body=tuple(map(sys.intern, p.tokens.split())),
        head=tuple(map(sys.intern, p.head_tokens.split())),
        bigram_text=p.bigram_text,
    )


def _faq_file() -> Path | None:
    path = Path(str(resources.files("knowledge") / "data" / "faq.json"))
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

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._entries: dict[int, IndexEntry] = {}
        self._doc_passages: dict[int, list[int]] = {}
        self._index = SearchIndex([])
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, conn: aiosqlite.Connection, *, load_faq: bool = True) -> KnowledgeBase:
        kb = cls(conn)
        # jieba's dictionary load and the index load are independent: overlap them.
        jieba_ready = asyncio.ensure_future(asyncio.to_thread(init_tokenizer))
        # Both wait for jieba only when they have something to tokenise; in the steady
        # state jieba's dictionary load overlaps the index load below.
        await kb._retokenize_if_needed(jieba_ready)
        if load_faq:
            await kb._seed_bundled_faq(jieba_ready)
        stored = await kb_repo.load_passages(conn)
        entries = await asyncio.to_thread(lambda: [_entry(p) for p in stored])
        for p, e in zip(stored, entries, strict=True):
            kb._entries[p.id] = e
            if p.doc_id is not None:
                kb._doc_passages.setdefault(p.doc_id, []).append(p.id)
        await kb._rebuild()
        await jieba_ready
        return kb

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
            lambda: [(s.id, *_index_terms(s.body, s.head, s.bigram, heads)) for s in sources]
        )
        await kb_repo.update_index_terms(self._conn, rows, fingerprint=current)
        if stored is not None:
            logger.info("Tokenizer changed: re-tokenised %d passages", len(rows))

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
        entries = list(self._entries.values())
        self._index = await asyncio.to_thread(SearchIndex, entries)

    # --- documents ------------------------------------------------------------------

    async def import_bytes(self, filename: str, data: bytes) -> ImportSummary:
        name = Path(filename).name or "未命名"

        def prepare() -> tuple[ParsedDocument, list[kb_repo.NewSection]]:
            parsed = parse_document(name, data)
            return parsed, build_document_sections(parsed)

        parsed, sections = await asyncio.to_thread(prepare)
        if not sections:
            raise KnowledgeImportError("文件里没有可导入的文字。")
        async with self._write_lock:
            doc_id, replaced = await kb_repo.replace_document(
                self._conn,
                filename=name,
                title=parsed.title,
                sha256=hashlib.sha256(data).hexdigest(),
                imported_at=now_iso(),
                sections=sections,
            )
            for old in replaced:
                for pid in self._doc_passages.pop(old, []):
                    self._entries.pop(pid, None)
            stored = await kb_repo.passages_of_document(self._conn, doc_id)
            for p in stored:
                self._entries[p.id] = _entry(p)
            self._doc_passages[doc_id] = [p.id for p in stored]
            await self._rebuild()
        return ImportSummary(
            doc_id=doc_id,
            title=parsed.title,
            filename=name,
            sections=len(sections),
            passages=len(stored),
            replaced=bool(replaced),
        )

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
            for pid in self._doc_passages.pop(doc_id, []):
                self._entries.pop(pid, None)
            if removed:
                await self._rebuild()
        return removed

    # --- questions ------------------------------------------------------------------

    def ask(self, question: str, *, k: int = 3, docs_only: bool = False) -> Answer:
        # Canonicalise a bounded prefix first: OpenCC and NFKC on 50,000 characters is
        # wasted work when only QUERY_CHARS of the result are ranked.
        text = canonical(question[: QUERY_CHARS * 4])[:QUERY_CHARS]
        if not _HAS_WORD.search(text):
            return Answer(question, False, [])
        index = self._index
        text = index.as_meant(text)
        terms = tokenize(text)
        hits = index.search(terms, text, k=k, docs_only=docs_only)
        results = [
            SearchResult(
                h.entry.passage_id,
                display_punctuation(h.entry.text),
                h.entry.source,
                h.score,
                h.entry.kind,
            )
            for h in hits
        ]
        best = hits[0] if terms and hits else None
        answered = best is not None and best.coverage >= MIN_COVERAGE and best.corroborated
        suggested = (
            best is not None
            and not answered
            and best.corroborated
            and best.coverage >= SUGGEST_COVERAGE
        )
        return Answer(question, answered, results, suggested=suggested)

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
        return pid

    def passage_count(self) -> int:
        return len(self._index)
