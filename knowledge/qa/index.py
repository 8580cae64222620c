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
  they give the kind of answer the question asks for (knowledge/intents.py).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from knowledge.normalize import drop_phrase_classifiers
from knowledge.qa.intents import Intent, answer_cues, asked_intents
from knowledge.qa.privacy import redact
from knowledge.qa.tokenize import (
    expansions,
    general_idf,
    lexicon,
    stopwords,
    synonyms,
    word_boundaries,
)
from knowledge.qa.typos import TypoCorrector

K1 = 0.8
B = 0.3
W_HEAD = 0.75
W_BIGRAM = 0.6
COVERAGE_FLOOR = 0.2
SINGLE_CHAR_WEIGHT = 0.35
# Query-side expansions (knowledge/data/synonyms.txt `=>` lines) count this much of the
# resident's own word.
W_EXPANSION = 0.7
# Everyday phrases of knowledge/data/lexicon.txt found in the question (for words the
# documents never use): their document terms count this much for ranking, and
# LEXICON_TRUST of that toward the confidence that decides answer or decline.
W_LEXICON = 0.5
LEXICON_TRUST = 0.0
# Weight of a question word absent from every passage, as a share of the top idf:
# scaled by its general-language rarity (-log frequency in jieba's dictionary) between
# UNKNOWN_GEN_LOW (common chatter) and UNKNOWN_GEN_LOW + UNKNOWN_GEN_SPAN (specific).
UNKNOWN_GEN_LOW = 8.5
UNKNOWN_GEN_SPAN = 4.5
UNKNOWN_MIN_SHARE = 0.15
# General-language rarity of a question word the documents do use: a word common in
# everyday Chinese (我家, 老是, 由谁来, 小区) says less about the topic than a specific
# one (电梯, 灭火器, 家禽), whatever its document frequency. Rarity is jieba's -log
# frequency of the word, but no more than that of its rarest character plus
# GENERAL_CHAR_BONUS: the dictionary's rare entries built of everyday characters (由谁来,
# 过水: a few counts each) are chatter and fragments, not specific words. The word's
# weight is scaled by (rarity - GENERAL_LOW) / GENERAL_SPAN, clipped to
# [GENERAL_FLOOR, 1]; words jieba does not know take their rarest character's rarity.
GENERAL_LOW = 7.5
GENERAL_SPAN = 2.5
GENERAL_FLOOR = 0.3
GENERAL_CHAR_BONUS = 1.0
# Best-sentence re-ranking of the top candidates: how many, and the share of the coverage
# factor the best sentence's coverage takes.
RERANK_DEPTH = 40
W_PROXIMITY = 0.5
# Among those candidates, a passage that gives the kind of answer the question asks for
# (a place for 哪里, a rule for 能…吗: knowledge/intents.py) scores this much more per
# answer type given.
W_INTENT = 0.2
# A concept with at least this share of the question's weight is one of its main concepts
# (see SearchIndex._corroborated).
MAIN_CONCEPT_SHARE = 0.12
# Two passages sharing this share of their character bigrams are one text for display.
NEAR_DUPLICATE = 0.8
_SENTENCE_END = re.compile(r"[。！？；;!?\n]")
_CJK_WORD = re.compile(r"[\u3400-\u9fff]+")


# Clauses of a question; one that only introduces the resident or greets is left out.
_CLAUSE_END = re.compile(r"[，,。.!！？?；;~～…]+")
_ASKING = re.compile(
    r"[吗呢么啥嘛怎咋能哪谁几否]|可以|多少|要不要|有没有|行不行|算不算|管不管|是不是|为什么|如何"
)
_GREETING = re.compile(
    r"^(?:你好|您好|请问(?:一下|下)?|麻烦(?:问下|问一下|问问|您)?|打扰(?:一下)?了?|"
    r"谢谢(?:你|您)?|急|在吗|哈|啊|呀|[\u4e00-\u9fff]{0,4}同志好|大家好)+"
)
_INTRODUCTION = re.compile(
    r"^(?:(?:我|俺|本人)(?:是|叫|姓|住|家住|在)|姓|住)|电话|手机|身份证|尾号|微信"
)
# Inside a clause that also asks: an address (我住2期18号楼) and a contact label whose
# number privacy.redact took out.
_ADDRESS_SPAN = re.compile(
    r"(?:我|俺)?家?住(?:在)?[\u4e00-\u9fff]{0,6}?(?:\d+(?:期|号楼|栋|幢|单元|室|号|楼))+"
    r"|(?:电话|手机号?|微信号?|联系方式)(?:是|:)?$"
)


def question_only(text: str) -> str:
    """The question without the resident's self-introduction, contact details and
    greetings ("我是3号楼502的张秀英，电话138…，电瓶车能在楼道充电吗" → "电瓶车能在楼道充电吗"):
    a name, a room number or a phone number is no topic, and as words the documents never
    use they sank the question's coverage. A clause is left out when, after
    knowledge/qa/privacy.py's redaction, it is empty, only a greeting, or an introduction
    that asks nothing; the text is kept whole when nothing would remain."""
    kept: list[str] = []
    for clause in _CLAUSE_END.split(redact(text)):
        clause = _ADDRESS_SPAN.sub("", _GREETING.sub("", clause.strip()))
        if not _CJK_WORD.search(clause):
            continue
        if _INTRODUCTION.search(clause) and not _ASKING.search(clause):
            continue
        kept.append(clause)
    return "，".join(kept) if kept else text


@lru_cache(maxsize=65536)
def general_share(term: str) -> float:
    """Share of its corpus weight a question word keeps for its general-language rarity
    (see GENERAL_LOW); 1 for numbers and latin words, which jieba's dictionary lacks."""
    chars = [general_idf(ch) for ch in term if _CJK_WORD.fullmatch(ch)]
    if not chars:
        return 1.0
    by_char = max((c for c in chars if c is not None), default=GENERAL_LOW + GENERAL_SPAN)
    word = general_idf(term)
    rarity = (
        by_char + GENERAL_CHAR_BONUS if word is None else min(word, by_char + GENERAL_CHAR_BONUS)
    )
    return min(max((rarity - GENERAL_LOW) / GENERAL_SPAN, GENERAL_FLOOR), 1.0)


@lru_cache(maxsize=1)
def _lexicon_pattern() -> re.Pattern[str]:
    """Longest-first alternation of the lexicon's phrases, to find them in a question."""
    keys = sorted(lexicon(), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, keys)) or "(?!)")


def _lexicon_phrases(query_text: str) -> list[str]:
    """Lexicon phrases in the question that start and end on jieba's word boundaries
    (挨家问 in 会挨家问吗, 养狗 in 小区里养狗, but not 电瓶 inside 电瓶车)."""
    found = list(_lexicon_pattern().finditer(query_text))
    if not found:
        return []
    bounds = word_boundaries(query_text)
    return [m.group() for m in found if m.start() in bounds and m.end() in bounds]


def _straddles(term: str, phrase: str, text: str) -> bool:
    """Whether `term` overlaps one end of `phrase` where both occur in `text`."""
    for k in range(1, min(len(term), len(phrase))):
        if term[-k:] == phrase[:k] and term + phrase[k:] in text:
            return True
        if phrase[-k:] == term[:k] and phrase + term[k:] in text:
            return True
    return False


@lru_cache(maxsize=1)
def _variants() -> dict[str, tuple[str, ...]]:
    """Canonical word → the variants folded to it, to find it in unfolded text."""
    table: dict[str, list[str]] = {}
    for variant, word in synonyms().items():
        table.setdefault(word, []).append(variant)
    return {word: tuple(forms) for word, forms in table.items()}


@dataclass(frozen=True)
class IndexEntry:
    passage_id: int
    kind: str
    text: str
    source: str
    body: tuple[str, ...]
    head: tuple[str, ...]
    bigram_text: str


@dataclass(frozen=True)
class _Concept:
    """One question term with its alternatives: (term, factor, vocab key)."""

    term: str
    weight: float
    short: float
    alts: list[tuple[str, float, int]]
    # Dictionary sub-words of the term also in the question (水电改造 → 水电, 改造):
    # (sub-word, vocab key, share of the term's characters, own BM25 weight).
    parts: list[tuple[str, int, float, float]]
    # alts[lexicon_from:] come from the everyday-word lexicon (W_LEXICON).
    lexicon_from: int


@dataclass(frozen=True)
class QueryEvidence:
    """What the question itself tells the answer/decline decision (knowledge/decision.py)."""

    # Question concepts after folding, and how many answer types it asks for (intents).
    concepts: int = 0
    intents: int = 0
    # Share of the question's weight on words no passage uses at all (驾照 in a question
    # about driving licences): a key noun the documents never name.
    unmatched: float = 0.0


@dataclass(frozen=True)
class Hit:
    entry: IndexEntry
    score: float
    # Share of the question this passage covers, counting only evidence trusted to decide
    # answer vs decline (lexicon matches excluded, see LEXICON_TRUST).
    coverage: float
    # The passage names at least two of the question's concepts (or it has one main one);
    # see SearchIndex._corroborated.
    corroborated: bool = True
    # Evidence for the learned decision (knowledge/decision.py): coverage counting the
    # everyday-word lexicon's matches in full; the question's weight named in the
    # passage's heading and anywhere in it; the share of asked answer types it gives.
    loose_coverage: float = 0.0
    head_share: float = 0.0
    named_share: float = 0.0
    cues: float = 0.0
    # The largest share of the question's weight on one concept the passage does not name
    # (its key noun left unanswered, as 物业费 by a passage on 物业 考核).
    missing_max: float = 0.0
    query: QueryEvidence = QueryEvidence()


_EMPTY_DOCS = np.zeros(0, dtype=np.int32)
_EMPTY_VALS = np.zeros(0, dtype=np.float32)


class _Postings:
    """CSR postings keyed by int64 term keys, kept sorted for `np.searchsorted` lookup.

    For term key t at position i of `keys`, docs[indptr[i]:indptr[i+1]] are the passages
    containing it and vals the BM25-saturated term frequencies.
    """

    def __init__(
        self,
        n_docs: int,
        term_keys: npt.NDArray[np.int64],
        doc_ids: npt.NDArray[np.int64],
        weights: npt.NDArray[np.float64],
    ) -> None:
        n = max(n_docs, 1)
        self.unknown_idf = float(math.log(1 + (n_docs + 0.5) / 0.5))
        lengths = np.bincount(doc_ids, weights=weights, minlength=n).astype(np.float32)
        if term_keys.size == 0:
            self.keys = np.zeros(0, dtype=np.int64)
            self.indptr = np.zeros(1, dtype=np.int64)
            self.docs, self.vals = _EMPTY_DOCS, _EMPTY_VALS
            self.idf = np.zeros(0, dtype=np.float32)
            return
        combined = term_keys * n + doc_ids
        uniq, inverse = np.unique(combined, return_inverse=True)
        tf = np.bincount(inverse, weights=weights)
        term_of = uniq // n
        self.docs = (uniq % n).astype(np.int32)
        starts = np.flatnonzero(np.r_[True, term_of[1:] != term_of[:-1]])
        self.keys = term_of[starts]
        self.indptr = np.r_[starts, uniq.size].astype(np.int64)
        avg = float(lengths[:n_docs].mean()) if n_docs else 1.0
        norm = K1 * (1 - B + B * lengths[self.docs] / max(avg, 1e-6))
        self.vals = (tf * (K1 + 1) / (tf + norm)).astype(np.float32)
        df = np.diff(self.indptr).astype(np.float64)
        self.idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)

    def postings(self, key: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32], float]:
        """(docs, saturated tf, idf) of a term key; idf -1 when the term is unknown."""
        i = int(np.searchsorted(self.keys, key))
        if i >= self.keys.size or int(self.keys[i]) != key:
            return _EMPTY_DOCS, _EMPTY_VALS, -1.0
        start, end = int(self.indptr[i]), int(self.indptr[i + 1])
        return self.docs[start:end], self.vals[start:end], float(self.idf[i])


def _word_postings(
    entries: Sequence[IndexEntry],
) -> tuple[dict[str, int], _Postings]:
    vocab: dict[str, int] = {}
    get = vocab.setdefault
    tids: list[int] = []
    dids: list[int] = []
    weights: list[float] = []
    for doc, e in enumerate(entries):
        tids.extend(get(t, len(vocab)) for t in e.body)
        tids.extend(get(t, len(vocab)) for t in e.head)
        dids.extend([doc] * (len(e.body) + len(e.head)))
        weights.extend([1.0] * len(e.body))
        weights.extend([W_HEAD] * len(e.head))
    postings = _Postings(
        len(entries),
        np.asarray(tids, dtype=np.int64),
        np.asarray(dids, dtype=np.int64),
        np.asarray(weights, dtype=np.float64),
    )
    return vocab, postings


def bigram_keys(text: str) -> npt.NDArray[np.int64]:
    """CJK character bigrams as int64 keys (code point pairs), no Python-level loop."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    if codes.size < 2:
        return np.zeros(0, dtype=np.int64)
    cjk = (codes >= 0x3400) & (codes <= 0x9FFF)
    ok = cjk[:-1] & cjk[1:]
    return (codes[:-1] << 21 | codes[1:])[ok]


def _bigram_postings(entries: Sequence[IndexEntry]) -> _Postings:
    # One concatenated string ("\n"-separated, so no bigram spans two passages) turned into
    # code points by numpy: ~50x faster and far smaller than Python bigram strings.
    joined = "\n".join(e.bigram_text for e in entries)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter((len(e.bigram_text) + 1 for e in entries), np.int64, len(entries))
    doc_of_char = np.repeat(np.arange(len(entries), dtype=np.int64), lengths)[: codes.size]
    if codes.size < 2:
        empty = np.zeros(0, dtype=np.int64)
        return _Postings(len(entries), empty, empty, np.zeros(0, dtype=np.float64))
    cjk = (codes >= 0x3400) & (codes <= 0x9FFF)
    ok = cjk[:-1] & cjk[1:]
    keys = (codes[:-1] << 21 | codes[1:])[ok]
    docs = doc_of_char[:-1][ok]
    return _Postings(len(entries), keys, docs, np.ones(keys.size, dtype=np.float64))


class SearchIndex:
    # Whether question words are weighed by their general-language rarity too (see
    # GENERAL_LOW). Off: measured on all four sets it moved the held-out parts by -0.01 to
    # +0.03 top-1 and took one dev question from right to wrong (bench/kb_eval.py scores
    # it as its own row), so it is kept as a measured option, not the default.
    general_rarity = False
    # Today's reading of a question before issue 11 (no personal-detail removal); the
    # bench switches it on to score today's ranking beside the current one.
    legacy_reading = False

    def __init__(self, entries: Sequence[IndexEntry]) -> None:
        self.entries = list(entries)
        self.vocab, self.words = _word_postings(self.entries)
        self.bigrams = _bigram_postings(self.entries)
        self.is_faq = np.array([e.kind == "faq" for e in self.entries], dtype=bool)
        # Built with the index (off the event loop), not on the first question.
        self.typos = self._typo_corrector()

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

    def _split_fragments(self, terms: Sequence[str]) -> list[str]:
        """Break jieba's HMM fragments of colloquial speech into their characters.

        A two- or three-character "word" that neither the documents nor jieba's dictionary
        know (要建, 改完) is often a mis-cut of a function word and a verb: when some of its
        characters are verbs with formal expansions (建 → 建设/成立, 改 → 改造), those
        stand for it; a fragment without such a character stays as it is.
        """
        stop = stopwords()
        table = expansions()
        out: list[str] = []
        for term in terms:
            if (
                len(term) in (2, 3)
                and _CJK_WORD.fullmatch(term)
                and term not in self.vocab
                and term not in table
                and general_idf(term) is None
            ):
                verbs = [ch for ch in term if ch in table and ch not in stop]
                out.extend(verbs or [term])
            else:
                out.append(term)
        return out

    def _with_phrases(
        self, terms: Sequence[str], query_text: str
    ) -> tuple[list[str], dict[str, list[str]]]:
        """Add the lexicon's everyday phrases found in the question (挨家问, 拆了重盖).

        A phrase stands for the pieces jieba cut it into that the documents do not know
        (挨家 + 问); pieces the documents use (停车 in 停车难) stay terms of their own.
        Returns the terms and, for each phrase, the pieces it replaced.
        """
        phrases = [p for p in _lexicon_phrases(query_text) if p not in terms]
        replaced: dict[str, list[str]] = {p: [] for p in phrases}
        kept: list[str] = []
        for term in terms:
            owner = next((p for p in phrases if term in p), None)
            if owner is None and general_idf(term) is None:
                # An HMM fragment jieba glued across the phrase's edge (里养 in 里养狗).
                owner = next((p for p in phrases if _straddles(term, p, query_text)), None)
            if owner is None or term in self.vocab:
                kept.append(term)
            else:
                replaced[owner].append(term)
        return kept + phrases, replaced

    def _general(self, term: str) -> float:
        return general_share(term) if self.general_rarity else 1.0

    def _unknown_weight(self, term: str) -> float:
        """Weight of a word the documents never use.

        A specific dictionary word (驾照, 疫苗) weighs as much as the rarest document
        word, so that leaving it unmatched keeps coverage low; common chatter (前面) and
        HMM fragments (mis-cuts, typos: 树乱, 电体) weigh little.
        """
        gen = general_idf(term)
        rarity = 0.0 if gen is None else (gen - UNKNOWN_GEN_LOW) / UNKNOWN_GEN_SPAN
        return self.words.unknown_idf * min(max(rarity, UNKNOWN_MIN_SHARE), 1.0)

    def _concepts(self, terms: Sequence[str], query_text: str = "") -> list[_Concept]:
        """Question terms → concepts: the term itself plus its expansions, with weights."""
        concepts: list[_Concept] = []
        table = expansions()
        everyday = lexicon()
        terms, replaced = self._with_phrases(terms, query_text)
        unique = list(dict.fromkeys(self._split_fragments(terms)))
        # The tokenizer emits a long word's dictionary sub-words too (for recall); for
        # coverage they are parts of that word, not concepts of their own, or 绿化带 +
        # 绿化 would count twice.
        owner: dict[str, str] = {}
        for term in unique:
            longer = [w for w in unique if len(w) > len(term) and term in w]
            if longer:
                owner[term] = max(longer, key=len)
        parts: dict[str, list[tuple[str, int, float, float]]] = {}
        for term, whole in owner.items():
            key = self.vocab.get(term, -1)
            idf = self.words.postings(key)[2]
            if idf > 0:
                short = SINGLE_CHAR_WEIGHT if len(term) == 1 else 1.0
                short *= self._general(term)
                share = len(term) / len(whole)
                parts.setdefault(whole, []).append((term, key, share, idf * short))
        for term in unique:
            if term in owner:
                continue
            alts: list[tuple[str, float, int]] = []
            key = self.vocab.get(term, -1)
            _, _, idf = self.words.postings(key)
            alts.append((term, 1.0, key))
            for extra in table.get(term, ()):
                if extra not in unique:
                    alts.append((extra, W_EXPANSION, self.vocab.get(extra, -1)))
            have = {alt[0] for alt in alts}
            lexicon_from = len(alts)
            # Only for words the documents do not use: where they do, their own word is
            # better evidence than the lexicon's looser neighbours.
            for extra in everyday.get(term, ()) if idf < 0 else ():
                if extra not in unique and extra not in have:
                    alts.append((extra, W_LEXICON, self.vocab.get(extra, -1)))
            short = SINGLE_CHAR_WEIGHT if len(term) == 1 else 1.0
            if idf >= 0:
                short *= self._general(term)
                weight = idf
            else:
                # A word the documents never use; a lexicon phrase weighs at least as
                # much as the pieces it stands for (快递柜 as 快递), or finding it would
                # make an off-topic question look covered.
                weight = max(self._unknown_weight(t) for t in (term, *replaced.get(term, ())))
                formal = [self.words.postings(k)[2] * f for _, f, k in alts[1:lexicon_from]]
                if any(w > 0 for w in formal):
                    # A colloquial word with formal expansions (谁来管, 没物业): the formal
                    # terms stand for it, so it weighs as the best of them.
                    weight = max(formal)
                for _, _, _, part_weight in parts.get(term, ()):
                    weight = max(weight, part_weight)
            concepts.append(
                _Concept(term, weight * short, short, alts, parts.get(term, []), lexicon_from)
            )
        return concepts

    def search(
        self, terms: Sequence[str], query_text: str, *, k: int, docs_only: bool = False
    ) -> list[Hit]:
        """Rank passages for query `terms` (tokenised) and `query_text` (canonical)."""
        n = len(self.entries)
        if n == 0 or (not terms and not query_text):
            return []
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
            return []
        intents = asked_intents(query_text)
        order = self._rerank(candidates, score, base, coverage, concepts, total_weight, intents)
        hits = self._distinct(order, score, confidence, k, coverage)
        query = QueryEvidence(
            concepts=len(concepts),
            intents=len(intents),
            unmatched=_unmatched_share(concepts, total_weight),
        )
        return [
            _named_shares(
                replace(
                    h,
                    corroborated=self._corroborated(h.entry, concepts),
                    query=query,
                    cues=answer_cues(h.entry.bigram_text, intents) / max(len(intents), 1),
                ),
                concepts,
                total_weight,
            )
            for h in hits
        ]

    @staticmethod
    def _corroborated(entry: IndexEntry, concepts: Sequence[_Concept]) -> bool:
        """Whether the passage names at least two of the question's concepts.

        An off-topic question often shares one salient word with some passage (快递 in a
        list of community services, 专家 in a school plan) and little else, which can be
        enough coverage by weight. A question with two or more main concepts (each at least
        MAIN_CONCEPT_SHARE of the question's weight) is answered only from a passage that
        names two of its concepts, counting the resident's words, their expansions and
        sub-words, not the looser lexicon neighbours. Any concept counts toward the two:
        in a small knowledge base a word in every passage (电动自行车) weighs next to
        nothing, yet naming it still ties the passage to the question.
        """
        total = sum(c.weight for c in concepts)
        main = [c for c in concepts if total > 0 and c.weight >= MAIN_CONCEPT_SHARE * total]
        if len(main) < 2:
            return True
        tokens = set(entry.body) | set(entry.head)
        named = 0
        for concept in concepts:
            words = [a[0] for a in concept.alts[: concept.lexicon_from]]
            words += [p[0] for p in concept.parts]
            named += any(w in tokens for w in words)
        return named >= 2

    def _rerank(
        self,
        candidates: npt.NDArray[np.intp],
        score: npt.NDArray[np.float32],
        base: npt.NDArray[np.float32],
        coverage: npt.NDArray[np.float32],
        concepts: Sequence[_Concept],
        total_weight: float,
        intents: tuple[Intent, ...],
    ) -> list[int]:
        """Candidates best first; the top RERANK_DEPTH re-scored by their best sentence.

        A passage that names the question's terms in one sentence answers it better than
        one that mentions them 300 characters apart, so the coverage factor of the best
        candidates mixes whole-passage coverage with the coverage of its best sentence
        (heading terms count in every sentence). Sentences are found in the passage's
        canonical text, where the question's words (and their expansions, parts and
        synonym variants) are looked up as substrings: this follows real sentence ends
        rather than a fixed token count, and also finds a word inside a longer one
        (改造 in 改造项目). Single characters are matched only as tokens (heading).
        A candidate that also gives the kind of answer the question asks for (`intents`:
        a place, a time, a rule...) gains W_INTENT per answer type.
        """
        take = min(candidates.size, RERANK_DEPTH)
        top = candidates[np.argpartition(-score[candidates], take - 1)[:take]]
        top = top[np.argsort(-score[top], kind="stable")]
        rest = np.setdiff1d(candidates, top, assume_unique=True)
        rest = rest[np.argsort(-score[rest], kind="stable")]
        if total_weight <= 0 or len(concepts) < 2:
            return [int(i) for i in top] + [int(i) for i in rest]
        lookup: dict[str, tuple[int, float]] = {}
        for ci, concept in enumerate(concepts):
            options = [(term, factor) for term, factor, _ in concept.alts]
            options += [(term, share) for term, _, share, _ in concept.parts]
            for term, factor in options:
                value = factor * concept.weight
                if lookup.get(term, (0, -1.0))[1] < value:
                    lookup[term] = (ci, value)
        variants = _variants()
        text_lookup: dict[str, tuple[int, float]] = {}
        for term, found in lookup.items():
            for form in (term, *variants.get(term, ())):
                if len(form) > 1 and text_lookup.get(form, (0, -1.0))[1] < found[1]:
                    text_lookup[form] = found
        # Longest first, so that 绿化带 is found as itself rather than as 绿化.
        pattern = re.compile(
            "|".join(map(re.escape, sorted(text_lookup, key=len, reverse=True))) or "(?!)"
        )
        for i in top.tolist():
            entry = self.entries[i]
            best = _best_sentence(entry, lookup, text_lookup, pattern, len(concepts))
            window = best / total_weight
            mixed = COVERAGE_FLOOR + (1 - W_PROXIMITY) * coverage[i] + W_PROXIMITY * window
            score[i] = base[i] * mixed * (1 + W_INTENT * answer_cues(entry.bigram_text, intents))
        top = top[np.argsort(-score[top], kind="stable")]
        return [int(i) for i in top] + [int(i) for i in rest]

    def _distinct(
        self,
        order: Sequence[int],
        score: npt.NDArray[np.float32],
        coverage: npt.NDArray[np.float32],
        k: int,
        loose: npt.NDArray[np.float32] | None = None,
    ) -> list[Hit]:
        """Best k hits, each text shown once.

        Scraped files repeat whole sub-documents with small edits (and a document may be
        imported twice under different names): a passage whose character bigrams mostly
        repeat an already chosen one is skipped, so near-copies do not fill every slot.
        """
        hits: list[Hit] = []
        seen: set[str] = set()
        grams: list[set[str]] = []
        for i in order:
            entry = self.entries[i]
            if entry.text in seen:
                continue
            seen.add(entry.text)
            mine = _gram_set(entry.text)
            if any(_overlap(mine, other) >= NEAR_DUPLICATE for other in grams):
                continue
            grams.append(mine)
            wide = float(coverage[i] if loose is None else loose[i])
            hits.append(Hit(entry, float(score[i]), float(coverage[i]), loose_coverage=wide))
            if len(hits) >= k:
                break
        return hits


def _concept_words(concept: _Concept) -> list[str]:
    """The resident's word, its expansions and sub-words (not the lexicon's neighbours)."""
    return [a[0] for a in concept.alts[: concept.lexicon_from]] + [p[0] for p in concept.parts]


def _named_shares(hit: Hit, concepts: Sequence[_Concept], total: float) -> Hit:
    """The hit with the shares of the question's weight whose concepts its heading and
    its text name, and the largest concept it leaves unnamed."""
    entry = hit.entry
    if total <= 0:
        return hit
    head = set(entry.head)
    tokens = head | set(entry.body)
    in_head = in_text = missing = 0.0
    for concept in concepts:
        words = _concept_words(concept)
        in_head += concept.weight * any(w in head for w in words)
        if any(w in tokens for w in words):
            in_text += concept.weight
        else:
            missing = max(missing, concept.weight)
    return replace(
        hit, head_share=in_head / total, named_share=in_text / total, missing_max=missing / total
    )


def _unmatched_share(concepts: Sequence[_Concept], total: float) -> float:
    """Share of the question's weight on concepts not one passage names (no postings)."""
    if total <= 0:
        return 0.0
    missing = sum(
        c.weight for c in concepts if all(key < 0 for _, _, key in c.alts) and not c.parts
    )
    return missing / total


def _gram_set(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _overlap(a: set[str], b: set[str]) -> float:
    """Share of the smaller set found in the other one."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _best_sentence(
    entry: IndexEntry,
    lookup: dict[str, tuple[int, float]],
    text_lookup: dict[str, tuple[int, float]],
    pattern: re.Pattern[str],
    n: int,
) -> float:
    """Largest concept weight covered by heading terms plus one sentence of the text."""
    best = [0.0] * n
    for term in entry.head:
        found = lookup.get(term)
        if found is not None and found[1] > best[found[0]]:
            best[found[0]] = found[1]
    text = entry.bigram_text
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    sentences: dict[int, list[float]] = {}
    for m in pattern.finditer(text):
        ci, value = text_lookup[m.group()]
        k = bisect_right(ends, m.start())
        local = sentences.get(k)
        if local is None:
            local = sentences[k] = best.copy()
        if value > local[ci]:
            local[ci] = value
    return max(map(sum, sentences.values())) if sentences else sum(best)
