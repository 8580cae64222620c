"""Opening the knowledge base: the index saved beside the database when it was built for
these passages, stored index terms re-derived after a tokenizer change, and the bundled
FAQ (knowledge/qa/data/faq.json) seeded when it changed. `KnowledgeBase.open`
(knowledge/qa/service.py) runs these before the bot serves."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable
from importlib import resources
from pathlib import Path

import aiosqlite

from knowledge.qa import index_cache
from knowledge.qa.kb_core import KnowledgeBaseCore
from knowledge.qa.kb_teaching import FAQ_SOURCE, build_faq_passage, phrasing_terms
from knowledge.qa.preparation import index_terms
from knowledge.qa.tokenize import tokenizer_fingerprint
from storage import kb_repo
from storage.clock import now_iso

logger = logging.getLogger(__name__)


async def database_file(conn: aiosqlite.Connection) -> str:
    """The database's file path, '' for an in-memory one."""
    async with conn.execute("PRAGMA database_list") as cur:
        for row in await cur.fetchall():
            if row[1] == "main":
                return str(row[2] or "")
    return ""


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


class KnowledgeBaseOpening(KnowledgeBaseCore):
    """The steps of `KnowledgeBase.open` that bring SQLite and the index up to date."""

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
