"""The life of a resident's question: asked → answered, declined, handed to staff → resolved
with an FAQ answer or dismissed. Handlers call this; they never set a status themselves.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, timedelta
from enum import Enum, StrEnum

import aiosqlite

from knowledge.qa.chat_acts import ChatAct, chat_act, tells_of_problem
from knowledge.qa.privacy import redact
from knowledge.qa.service import KnowledgeBase, SearchResult
from storage import kb_questions_repo as repo
from storage import staff_repo
from storage.clock import to_local, utc_now
from storage.db import DatabaseHandle
from storage.kb_questions_repo import Question

MAX_STORED_QUESTION = 4096  # Telegram itself caps a message at 4096 characters
MAX_RESULTS = 10  # how far 其他答案 may page
MAX_FAQ_ANSWER = 400
# Passages offered to staff to pick from, for a question or for their search words.
MAX_CANDIDATES = 5
# The same question again from the same person in the same chat within this time is the
# same question: it gets the same answer and does not queue a second time for staff.
REPEAT_WINDOW = timedelta(hours=24)
HUMAN_WORDS = frozenset(
    {"转人工", "人工", "找人工", "人工客服", "人工服务", "找工作人员", "转人工服务"}
)


class QuestionStatus(StrEnum):
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    HANDOFF = "handoff"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


OPEN = frozenset({QuestionStatus.UNANSWERED.value, QuestionStatus.HANDOFF.value})


class Outcome(Enum):
    ANSWERED = "answered"  # a confident answer
    SUGGESTED = "suggested"  # declined, a related passage shown as 仅供参考
    DECLINED = "declined"  # declined, nothing shown
    NOISE = "noise"  # no words at all (emoji, punctuation): not a question, not stored
    HUMAN = "human"  # the resident typed 转人工 instead of a question
    # No question, not stored: thanks, a greeting, 我要报修, a question after their own
    # report (knowledge/qa/chat_acts.py); `Asked.act` says which.
    ACT = "act"


# What a reply may offer besides the answer's own buttons: a main-menu entry's key.
OFFER_COMPLAINT = "complain"


@dataclass(frozen=True)
class Asked:
    outcome: Outcome
    question_id: int | None = None
    result: SearchResult | None = None
    # A main-menu entry the reply also offers (OFFER_*): the complaint flow under a
    # declined message that tells of a problem.
    offer: str | None = None
    act: ChatAct | None = None  # for Outcome.ACT


@dataclass(frozen=True)
class Taught:
    """A question staff answered by picking a passage (QuestionService.answer_with_passage)."""

    question: Question
    passage: SearchResult


class HandOff(Enum):
    DONE = "done"
    ALREADY = "already"
    NOTHING = "nothing"  # no recent question to hand over


@dataclass(frozen=True)
class HandOffResult:
    status: HandOff
    question: Question | None = None


_WORDS = re.compile(r"[\w\u3400-\u9fff]")


def has_words(text: str) -> bool:
    """Letters, digits or Chinese characters: emoji, stickers' alt text, punctuation are not."""
    return any(_WORDS.match(ch) and unicodedata.category(ch)[0] in "LN" for ch in text)


class QuestionService:
    def __init__(self, database: DatabaseHandle, kb: KnowledgeBase) -> None:
        self._database = database
        self.kb = kb

    @property
    def _db(self) -> aiosqlite.Connection:
        return self._database.conn

    async def ask(self, text: str, *, user_id: int | None, chat_id: int, chat_type: str) -> Asked:
        question = text.strip()[:MAX_STORED_QUESTION]
        if question.strip(" 。.!！~～") in HUMAN_WORDS:
            return Asked(Outcome.HUMAN)
        if not has_words(question):
            return Asked(Outcome.NOISE)
        act = chat_act(question)
        if act is not None:
            return Asked(Outcome.ACT, act=act)
        answer = self.kb.ask(question, k=1)
        top = (
            answer.results[0] if (answer.answered or answer.suggested) and answer.results else None
        )
        answered = answer.answered and top is not None
        if not answered:
            # Asked again while the first is still waiting for staff: the same item, not
            # a second one in their queue.
            latest = await repo.latest_question(self._db, user_id=user_id, chat_id=chat_id)
            if (
                latest is not None
                and latest.question == question
                and latest.status in OPEN
                and _recent(latest)
            ):
                return self._decided(latest.id, answered, top, question)
        qid = await repo.record_question(
            self._db,
            user_id=user_id,
            chat_id=chat_id,
            chat_type=chat_type,
            question=question,
            answered=answered,
            top_passage=top.passage_id if top else None,
            top_score=top.score if top else None,
            top_source=top.source if top else None,
        )
        return self._decided(qid, answered, top, question)

    @staticmethod
    def _decided(qid: int, answered: bool, top: SearchResult | None, question: str) -> Asked:
        if answered and top is not None:
            return Asked(Outcome.ANSWERED, qid, top)
        offer = OFFER_COMPLAINT if tells_of_problem(question) else None
        if top is None:
            return Asked(Outcome.DECLINED, qid, offer=offer)
        return Asked(Outcome.SUGGESTED, qid, top, offer=offer)

    async def get(self, question_id: int) -> Question | None:
        return await repo.get_question(self._db, question_id)

    async def in_chat(self, question_id: int, chat_id: int) -> Question | None:
        """The question, if it was asked in this chat (buttons are only shown there)."""
        record = await repo.get_question(self._db, question_id)
        return record if record is not None and record.chat_id == chat_id else None

    def offered(self, record: Question, passage_id: int) -> bool:
        """Whether this passage was (or would be) shown as an answer to the question.

        A plain decline showed no passage, and so offered no 👍/👎 or 其他答案.
        """
        if record.top_passage is None:
            return False
        if passage_id == record.top_passage:
            return True
        results = self.kb.ask(record.question, k=MAX_RESULTS).results
        return any(r.passage_id == passage_id for r in results)

    def nth_answer(self, record: Question, rank: int) -> SearchResult | None:
        """The answer at `rank` (0 = first) for 其他答案, or None past the last."""
        if record.top_passage is None or not 1 <= rank < MAX_RESULTS:
            return None
        results = self.kb.ask(record.question, k=rank + 1).results
        return results[rank] if len(results) > rank else None

    async def feedback(
        self, record: Question, user_id: int, passage_id: int, helpful: bool
    ) -> None:
        await repo.record_feedback(self._db, record.id, user_id, passage_id, helpful)

    async def hand_off(self, record: Question) -> bool:
        """Pass a question to staff; False when it already was (or is closed)."""
        return await repo.hand_off(self._db, record.id)

    async def hand_off_latest(self, *, user_id: int | None, chat_id: int) -> HandOffResult:
        """A resident typed 转人工: their latest question in this chat goes to staff."""
        latest = await repo.latest_question(self._db, user_id=user_id, chat_id=chat_id)
        if latest is not None and latest.status == QuestionStatus.HANDOFF.value:
            return HandOffResult(HandOff.ALREADY, latest)
        if latest is None or latest.status not in (
            QuestionStatus.ANSWERED.value,
            QuestionStatus.UNANSWERED.value,
        ):
            return HandOffResult(HandOff.NOTHING)
        await repo.hand_off(self._db, latest.id)
        return HandOffResult(HandOff.DONE, latest)

    async def open_questions(self, limit: int = 10) -> list[Question]:
        return await repo.open_questions(self._db, limit=limit)

    async def count_open(self) -> int:
        return await repo.count_open(self._db)

    async def open_question(self, question_id: int) -> Question | None:
        record = await repo.get_question(self._db, question_id)
        return record if record is not None and record.status in OPEN else None

    async def answer_with_faq(
        self, question_id: int, answer: str, *, staff_id: int
    ) -> Question | None:
        """Staff answered: the question (redacted) and answer become an FAQ entry and the
        question is resolved. None when it was closed meanwhile."""
        record = await self.open_question(question_id)
        if record is None:
            return None
        faq_id = await self.kb.add_faq(faq_question(record.question), answer, created_by=staff_id)
        await repo.close_question(
            self._db,
            question_id,
            staff_id=staff_id,
            status=QuestionStatus.RESOLVED.value,
            faq_passage=faq_id,
        )
        await staff_repo.record_audit(
            self._db, staff_id, "kb.faq_from_question", str(question_id), answer[:100]
        )
        return record

    def candidates(self, text: str, k: int = MAX_CANDIDATES) -> list[SearchResult]:
        """The keyword ranking's best passages for `text`, answered or not: what staff
        choose from when they teach the bot a question (and what their search finds)."""
        return self.kb.ask(text, k=k).results

    async def answer_with_passage(
        self, question_id: int, passage_id: int, *, staff_id: int
    ) -> Taught | None:
        """Staff picked the passage that answers the question: the question (redacted)
        becomes another phrasing of it, the question is resolved. None when the question
        was closed meanwhile or the passage is gone."""
        record = await self.open_question(question_id)
        if record is None or await self.kb.passage(passage_id) is None:
            return None
        # Claim the question first: of two staff picking at once, one teaches.
        if not await repo.close_question(
            self._db, question_id, staff_id=staff_id, status=QuestionStatus.RESOLVED.value
        ):
            return None
        passage = await self.kb.teach(
            passage_id, faq_question(record.question), question_id=question_id, created_by=staff_id
        )
        if passage is None:
            passage = await self.kb.passage(passage_id)
        if passage is None:
            return None
        await staff_repo.record_audit(
            self._db, staff_id, "kb.teach", str(question_id), f"passage {passage_id}"
        )
        return Taught(record, passage)

    async def dismiss(self, question_id: int, *, staff_id: int) -> bool:
        closed = await repo.close_question(
            self._db, question_id, staff_id=staff_id, status=QuestionStatus.DISMISSED.value
        )
        if closed:
            await staff_repo.record_audit(self._db, staff_id, "kb.dismiss", str(question_id))
        return closed


def faq_question(question: str) -> str:
    """The resident's question as an FAQ key: personal details out, never empty."""
    return redact(question) or "（居民提问）"


def _recent(record: Question) -> bool:
    return utc_now() - to_local(record.asked_at, UTC) < REPEAT_WINDOW
