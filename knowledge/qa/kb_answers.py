"""Answering a resident's question: the keyword stage, the semantic stage when it can
run, and the decision (knowledge/qa/ranking.py); a passage or its section by id."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from knowledge.normalize import canonical, display_punctuation
from knowledge.qa.decision import shipped_semantic_decision
from knowledge.qa.kb_core import KnowledgeBaseCore
from knowledge.qa.ranking import (
    FAQ_SPARE,
    Ranking,
    Stages,
    faq_refused_ids,
    keyword_decision,
    semantic_decision,
)
from knowledge.qa.tokenize import tokenize
from storage import kb_repo

# Ranking looks at the first QUERY_CHARS canonical characters of a question: residents'
# questions are short, and this bounds the cost of a pasted 50,000-character message.
QUERY_CHARS = 200
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


class KnowledgeBaseAnswers(KnowledgeBaseCore):
    """Questions → ranked passages → an answer, a suggestion or a decline."""

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
        decision reads and the resident may see, near-duplicates skipped, with evidence.
        Unless docs_only, FAQ entries whose own questions do not match the question are
        moved after the other candidates in both orders (knowledge/qa/ranking.py,
        FAQ_MATCH)."""
        # Canonicalise a bounded prefix first: OpenCC and NFKC on 50,000 characters is
        # wasted work when only QUERY_CHARS of the result are ranked.
        text = canonical(question[: QUERY_CHARS * 4])[:QUERY_CHARS]
        if not _HAS_WORD.search(text):
            return Stages(False, [])
        index = self._index
        text = index.as_meant(text)
        terms = tokenize(text)
        reranker = self._reranker
        faq = not docs_only and index.has_faq
        if reranker is None or not reranker.loaded or not self._vectors or not terms:
            if not faq or not terms:
                return Stages(bool(terms), index.search(terms, text, k=k, docs_only=docs_only))
            pool = index.pool(terms, text, depth=k + FAQ_SPARE, checked=k)
            refused = faq_refused_ids(pool)
            return Stages(True, pool.demoted(lambda h: h.entry.passage_id in refused).hits[:k])
        pool = index.pool(
            terms, text, depth=max(k, reranker.depth), checked=k, docs_only=docs_only
        )
        refused = faq_refused_ids(pool) if faq else frozenset()
        if refused:
            pool = pool.demoted(lambda h: h.entry.passage_id in refused)
        keyword = pool.hits
        ids = [h.entry.passage_id for h in keyword[: reranker.depth]]
        if not keyword or not self._vectors.coverage(ids):
            return Stages(True, keyword)
        ranked = reranker.rerank(text, keyword, self._vectors.gather(ids))
        if refused:  # stable: the refused entries last, each group in its reranked order
            ranked.sort(key=lambda s: s.item.entry.passage_id in refused)
        # The decision reads the first three; the keyword-first floor shows the keyword
        # stage's first, then k of the others (decision.shown_order).
        shown = pool.first_distinct([s.item for s in ranked], max(k, 3) + 1)
        return Stages(True, keyword, [replace(ranked[i], item=hit) for i, hit in shown])

    async def section_text(self, passage_id: int) -> tuple[str, str] | None:
        found = await kb_repo.section_text(self._conn, passage_id)
        return None if found is None else (found.source, display_punctuation(found.text))

    async def passage(self, passage_id: int) -> SearchResult | None:
        """A passage still in the knowledge base, as a search result (score 0)."""
        entry = self._entries.get(passage_id)
        if entry is None:
            return None
        return SearchResult(
            entry.passage_id, display_punctuation(entry.text), entry.source, 0.0, entry.kind
        )
