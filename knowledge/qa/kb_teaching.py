"""What staff teach the knowledge base: FAQ entries, and other phrasings of a passage's
question (their terms join the passage's heading field)."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace

from knowledge.normalize import canonical, clean_display
from knowledge.qa.index import question_only
from knowledge.qa.kb_answers import KnowledgeBaseAnswers, SearchResult
from knowledge.qa.kb_core import index_entry
from knowledge.qa.parsing import MAX_PASSAGE_CHARS
from knowledge.qa.preparation import new_passage
from knowledge.qa.tokenize import tokenize
from storage import kb_repo
from storage.clock import now_iso

FAQ_SOURCE = "社区常见问题"


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


def phrasing_terms(question: str) -> str:
    """Index terms of a taught phrasing: the question as the index reads a resident's
    (personal details and greetings out), tokenised like any heading."""
    return " ".join(tokenize(canonical(question_only(question))))


class KnowledgeBaseTeaching(KnowledgeBaseAnswers):
    """Staff's FAQ entries and taught phrasings, in SQLite and in the index."""

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
            self._entries[pid] = index_entry(
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
