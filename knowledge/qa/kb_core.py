"""What every part of the knowledge base shares: the connection, the passages' index
entries, the index built from them and saved beside the database, the write lock, the
import worker and the semantic stage's vectors.

`KnowledgeBase` (knowledge/qa/service.py) composes the parts built over this core:
opening (kb_opening.py), documents (kb_documents.py), answers (kb_answers.py) and
teaching (kb_teaching.py).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from knowledge.isolated import IsolatedWorker
from knowledge.qa import index_cache
from knowledge.qa.index import IndexEntry, SearchIndex
from knowledge.qa.preparation import WARMUP
from knowledge.qa.semantic import SemanticReranker
from knowledge.qa.tokenize import tokenizer_fingerprint
from knowledge.qa.vectors import PassageVectors, VectorFiller
from knowledge.upload_limits import MAX_WORKER_MEMORY_BYTES
from storage import kb_repo


def index_entry(p: kb_repo.StoredPassage, taught: Sequence[str] = ()) -> IndexEntry:
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


async def taught_tokens(conn: aiosqlite.Connection) -> dict[int, list[str]]:
    """The tokens of the phrasings staff taught (KnowledgeBase.teach), by passage."""
    taught: dict[int, list[str]] = {}
    for phrasing in await kb_repo.load_phrasings(conn):
        taught.setdefault(phrasing.passage_id, []).append(phrasing.tokens)
    return taught


class KnowledgeBaseCore:
    """The state the knowledge base's parts (opening, documents, answers, teaching) work
    over, and the index rebuild every write ends with."""

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

    def passage_count(self) -> int:
        return len(self._index)
