"""In-memory ranking over passages: BM25F (body + heading field) with a coverage factor.

Why in memory rather than SQLite FTS5: the knowledge base of one community is small
(hundreds to a few tens of thousands of passages), answers are needed on every group
message, and ranking needs things FTS5 does not give cheaply (a heading field weight, the
idf-weighted share of the question's terms a passage covers, a character-bigram typo
fallback, synonym folding done by our own tokenizer). Postings as numpy arrays built from
the tokens stored in SQLite answer in ~0.2 ms at 10k passages against ~1.6 ms measured for
FTS5 `bm25()` plus a second query for coverage, and the index rebuilds from stored tokens
without jieba, so a restart costs one SELECT and some array work. SQLite stays the source
of truth; the index is a derived structure swapped atomically after each write.

Scoring for a question with terms T (after stopwords and synonym folding):

* word score  = sum over t in T of idf(t) * sat(tf_body + W_HEAD * tf_head), BM25F style;
* bigram score = BM25 over CJK character bigrams, weight W_BIGRAM, so that typos
  (电体 → 电梯) and words jieba cut differently still earn partial credit;
* coverage    = idf-weighted share of T present in the passage (single characters count
  less); this, not the raw BM25 value, is what says whether the passage answers the
  question, so the final score is (word + bigram) * (COVERAGE_FLOOR + coverage) and the
  service declines when the best coverage is below its threshold;
* the best candidates are then re-scored by their best sentence (proximity) and by whether
  they give the kind of answer the question asks for (knowledge/intents.py);
* the best k are taken each text once, near-duplicates skipped, with the evidence the
  answer/decline decision reads; the semantic stage asks for a deeper `pool` instead, whose
  candidates past the first k carry only their score (knowledge/qa/candidates.py).

Split by responsibility: knowledge/qa/postings.py (the arrays), knowledge/qa/query.py
(question → weighted concepts), this module (scoring every passage), and
knowledge/qa/rerank.py (the best candidates re-scored) and knowledge/qa/candidates.py (the
best distinct k taken, with the evidence the answer/decline decision reads).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from knowledge.normalize import drop_phrase_classifiers
from knowledge.qa.candidates import Pool, QueryContext, collect, text_ids
from knowledge.qa.intents import asked_intents
from knowledge.qa.postings import (
    K1,
    W_HEAD,
    B,
    IndexEntry,
    Postings,
    bigram_keys,
    bigram_postings,
    word_postings,
)
from knowledge.qa.query import (
    GENERAL_CHAR_BONUS,
    GENERAL_FLOOR,
    GENERAL_LOW,
    GENERAL_SPAN,
    SINGLE_CHAR_WEIGHT,
    UNKNOWN_GEN_LOW,
    UNKNOWN_GEN_SPAN,
    UNKNOWN_MIN_SHARE,
    W_EXPANSION,
    W_LEXICON,
    Concept,
    QueryReader,
    general_share,
    question_only,
)
from knowledge.qa.query import lexicon_phrases as _lexicon_phrases
from knowledge.qa.rerank import (
    COVERAGE_FLOOR,
    MAIN_CONCEPT_SHARE,
    NEAR_DUPLICATE,
    RERANK_DEPTH,
    W_PROXIMITY,
    Hit,
    QueryEvidence,
    rerank,
    unmatched_share,
)
from knowledge.qa.tokenize import expansions, general_idf, lexicon, synonyms
from knowledge.qa.typos import TypoCorrector

__all__ = [
    "COVERAGE_FLOOR",
    "GENERAL_CHAR_BONUS",
    "GENERAL_FLOOR",
    "GENERAL_LOW",
    "GENERAL_SPAN",
    "K1",
    "MAIN_CONCEPT_SHARE",
    "NEAR_DUPLICATE",
    "RERANK_DEPTH",
    "SINGLE_CHAR_WEIGHT",
    "UNKNOWN_GEN_LOW",
    "UNKNOWN_GEN_SPAN",
    "UNKNOWN_MIN_SHARE",
    "W_EXPANSION",
    "W_HEAD",
    "W_LEXICON",
    "W_PROXIMITY",
    "B",
    "Hit",
    "IndexEntry",
    "Pool",
    "QueryEvidence",
    "SearchIndex",
    "_lexicon_phrases",
    "bigram_keys",
    "general_share",
    "question_only",
]

W_BIGRAM = 0.6
# Everyday phrases of knowledge/data/lexicon.txt (W_LEXICON in knowledge/qa/query.py)
# count LEXICON_TRUST of their ranking weight toward the confidence that decides answer or
# decline.
LEXICON_TRUST = 0.0
# Among the re-ranked candidates (knowledge/qa/rerank.py), a passage that gives the kind
# of answer the question asks for (a place for 哪里, a rule for 能…吗:
# knowledge/intents.py) scores this much more per answer type given.
W_INTENT = 0.2


class SearchIndex:
    # Whether question words are weighed by their general-language rarity too (see
    # GENERAL_LOW). Off: measured on all four sets it moved the held-out parts by -0.01 to
    # +0.03 top-1 and took one dev question from right to wrong (bench/kb_eval.py scores
    # it as its own row), so it is kept as a measured option, not the default.
    general_rarity = False
    # Today's reading of a question before issue 11 (no personal-detail removal); the
    # bench switches it on to score today's ranking beside the current one.
    legacy_reading = False

    def __init__(
        self,
        entries: Sequence[IndexEntry],
        *,
        arrays: Mapping[str, npt.NDArray[np.generic]] | None = None,
        vocab: dict[str, int] | None = None,
    ) -> None:
        """Build the postings from `entries`, or take them as saved by `to_arrays`
        (knowledge/qa/index_cache.py) for these same entries."""
        self.entries = list(entries)
        if arrays is None or vocab is None:
            self.vocab, self.words = word_postings(self.entries)
            self.bigrams = bigram_postings(self.entries)
        else:
            self.vocab = vocab
            self.words = Postings.from_arrays(arrays, "w_")
            self.bigrams = Postings.from_arrays(arrays, "b_")
        self.is_faq = np.array([e.kind == "faq" for e in self.entries], dtype=bool)
        self.has_faq = bool(self.is_faq.any())  # read for every question: derived once
        self.text_ids = text_ids(self.entries)
        self._reader = QueryReader(self.vocab, self.words)
        # Built with the index (off the event loop), not on the first question. Not for
        # the empty placeholder a knowledge base holds until it opens: building needs
        # jieba's dictionary, which then loads in the background (KnowledgeBase.open).
        self._typos = self._typo_corrector() if self.entries else None

    @property
    def typos(self) -> TypoCorrector:
        if self._typos is None:
            self._typos = self._typo_corrector()
        return self._typos

    def to_arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        """The postings as plain arrays, for the index file saved beside the database."""
        return {**self.words.to_arrays("w_"), **self.bigrams.to_arrays("b_")}

    def __len__(self) -> int:
        return len(self.entries)

    def _typo_corrector(self) -> TypoCorrector:
        """Homophone typo correction against the passages' words and our own tables."""

        def is_word(word: str) -> bool:
            return general_idf(word) is not None

        ours: set[str] = set(expansions()) | set(lexicon())
        for variant, word in synonyms().items():
            ours.update((variant, word))
        targets = ours | {w for w in self.vocab if is_word(w)}
        df = np.diff(self.words.indptr)

        def frequency(word: str) -> float:
            # Passages containing the word first, general-language commonness second.
            i = int(np.searchsorted(self.words.keys, self.vocab.get(word, -1)))
            found = i < self.words.keys.size and int(self.words.keys[i]) == self.vocab.get(word)
            gen = general_idf(word)
            return (float(df[i]) if found else 0.0) * 100.0 - (30.0 if gen is None else gen)

        return TypoCorrector(self.vocab, targets, is_word, frequency)

    def as_meant(self, query_text: str) -> str:
        """A canonical question read as the words meant: the resident's personal details
        and greetings left out, a homophone typo corrected (消防拴 → 消防栓), a classifier
        inside a verb phrase dropped (扯根线 → 扯线)."""
        text = query_text if self.legacy_reading else question_only(query_text)
        return drop_phrase_classifiers(self.typos.correct(text)[0])

    def _concepts(self, terms: Sequence[str], query_text: str = "") -> list[Concept]:
        """Question terms → concepts (knowledge/qa/query.py)."""
        self._reader.general_rarity = self.general_rarity
        return self._reader.concepts(terms, query_text)

    # The query reader's steps, as tests of the ranking call them.
    def _split_fragments(self, terms: Sequence[str]) -> list[str]:
        return self._reader._split_fragments(terms)

    def _unknown_weight(self, term: str) -> float:
        return self._reader._unknown_weight(term)

    def search(
        self, terms: Sequence[str], query_text: str, *, k: int, docs_only: bool = False
    ) -> list[Hit]:
        """Rank passages for query `terms` (tokenised) and `query_text` (canonical): the
        best k, each text once, with their evidence."""
        return self.pool(terms, query_text, depth=k, checked=k, docs_only=docs_only).hits

    def pool(
        self,
        terms: Sequence[str],
        query_text: str,
        *,
        depth: int,
        checked: int,
        docs_only: bool = False,
    ) -> Pool:
        """The best `depth` candidates in keyword order, each text once; the first
        `checked` are exactly `search(k=checked)`'s hits, the others carry only their
        score and coverage (knowledge/qa/candidates.py: what the semantic stage needs of
        them, without the per-candidate costs)."""
        n = len(self.entries)
        if n == 0 or (not terms and not query_text):
            return Pool([], 0, QueryContext(), [])
        word_score = np.zeros(n, dtype=np.float32)
        covered = np.zeros(n, dtype=np.float32)
        # Coverage for the answer-or-decline decision: lexicon matches count only
        # LEXICON_TRUST (none) of their ranking weight there. The lexicon reorders
        # passages the question already reaches; a loose paraphrase alone (宽带 → 通信
        # 管线) is no reason to answer a question the bot would otherwise hand to staff.
        trusted = np.zeros(n, dtype=np.float32)
        concepts = self._concepts(terms, query_text)
        total_weight = float(sum(c.weight for c in concepts))
        for concept in concepts:
            if len(concept.alts) == 1 and not concept.parts:
                docs, vals, idf = self.words.postings(concept.alts[0][2])
                if idf > 0:
                    word_score[docs] += concept.weight * vals
                    covered[docs] += concept.weight
                    trusted[docs] += concept.weight
                continue
            best_cov = np.zeros(n, dtype=np.float32)
            best_trust = np.zeros(n, dtype=np.float32)
            best_score = np.zeros(n, dtype=np.float32)
            for j, (_, factor, key) in enumerate(concept.alts):
                docs, vals, idf = self.words.postings(key)
                if idf <= 0:
                    continue
                best_cov[docs] = np.maximum(best_cov[docs], factor)
                trust = factor * (LEXICON_TRUST if j >= concept.lexicon_from else 1.0)
                best_trust[docs] = np.maximum(best_trust[docs], trust)
                gain = factor * idf * concept.short * vals
                best_score[docs] = np.maximum(best_score[docs], gain)
            if concept.parts:
                share = np.zeros(n, dtype=np.float32)
                for _, key, part_share, part_weight in concept.parts:
                    docs, vals, _ = self.words.postings(key)
                    share[docs] += part_share
                    word_score[docs] += part_weight * vals
                best_cov = np.maximum(best_cov, np.minimum(share, 1.0))
                best_trust = np.maximum(best_trust, np.minimum(share, 1.0))
            word_score += best_score
            covered += concept.weight * best_cov
            trusted += concept.weight * best_trust
        bigram_score = np.zeros(n, dtype=np.float32)
        for gram in dict.fromkeys(bigram_keys(query_text).tolist()):
            docs, vals, idf = self.bigrams.postings(gram)
            if idf > 0:
                bigram_score[docs] += idf * vals
        coverage = covered / total_weight if total_weight > 0 else covered
        confidence = trusted / total_weight if total_weight > 0 else trusted
        base = word_score + W_BIGRAM * bigram_score
        score = base * (COVERAGE_FLOOR + coverage)
        if docs_only:
            score[self.is_faq] = 0.0
        candidates = np.flatnonzero(score > 0)
        if candidates.size == 0:
            return Pool([], 0, QueryContext(), [])
        intents = asked_intents(query_text)
        order = rerank(
            self.entries,
            candidates,
            score,
            base,
            coverage,
            concepts,
            total_weight,
            intents,
            W_INTENT,
            self.text_ids,
        )
        context = QueryContext(
            concepts=tuple(concepts),
            total_weight=total_weight,
            intents=intents,
            query=QueryEvidence(
                concepts=len(concepts),
                intents=len(intents),
                unmatched=unmatched_share(concepts, total_weight),
            ),
        )
        return collect(
            self.entries,
            order,
            score,
            confidence,
            coverage,
            context,
            depth=depth,
            checked=min(checked, depth),
        )
