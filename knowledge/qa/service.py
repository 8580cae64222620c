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

`KnowledgeBase` is sliced by responsibility, one part per module, all over one shared
core (kb_core.py: connection, index entries, index rebuild, write lock, worker, vectors):
kb_opening.py (cached index, re-tokenising, bundled FAQ), kb_documents.py (import, list,
remove), kb_answers.py (ask, rank, stages) and kb_teaching.py (FAQ entries, taught
phrasings). This module composes them, opens the knowledge base, and re-exports the names
importers use, so they say `from knowledge.qa.service import ...`.
"""

from __future__ import annotations

import asyncio

import aiosqlite

from knowledge.qa.errors import KnowledgeImportError
from knowledge.qa.index import IndexEntry
from knowledge.qa.index_cache import cache_path
from knowledge.qa.kb_answers import QUERY_CHARS, Answer, SearchResult
from knowledge.qa.kb_core import index_entry, taught_tokens
from knowledge.qa.kb_documents import (
    IMPORT_INTERRUPTED,
    DocumentInfo,
    ImportSummary,
    KnowledgeBaseDocuments,
)
from knowledge.qa.kb_opening import KnowledgeBaseOpening, database_file
from knowledge.qa.kb_teaching import FAQ_SOURCE, KnowledgeBaseTeaching
from knowledge.qa.preparation import build_document_sections
from knowledge.qa.ranking import (
    MIN_COVERAGE,
    SUGGEST_COVERAGE,
    Ranking,
    Stages,
    semantic_decision,
)
from knowledge.qa.semantic import SemanticReranker
from knowledge.qa.tokenize import init_tokenizer
from storage import kb_repo

__all__ = [
    "FAQ_SOURCE",
    "IMPORT_INTERRUPTED",
    "MIN_COVERAGE",
    "QUERY_CHARS",
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

# `KnowledgeBase.open(semantic=...)`: the bundled encoder unless switched off.
_AUTO = "auto"


class KnowledgeBase(
    KnowledgeBaseOpening,
    KnowledgeBaseDocuments,
    KnowledgeBaseTeaching,
):
    """Documents and FAQ → passages → in-memory index → answers."""

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
        kb._cache = cache_path(await database_file(conn))
        if not await kb._load_cached():
            taught = await taught_tokens(conn)

            def entries_of(rows: list[kb_repo.StoredPassage]) -> list[IndexEntry]:
                return [index_entry(p, taught.get(p.id, ())) for p in rows]

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
