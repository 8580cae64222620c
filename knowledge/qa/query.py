"""Reading a question into weighted concepts: the first half of ranking.

The question's tokens become concepts (a term, its synonym expansions, the everyday-word
lexicon's document terms, its dictionary sub-words), each weighed by how rare it is in the
passages, how specific it is in general Chinese, and whether the documents use it at all;
jieba's HMM fragments and the lexicon's everyday phrases are sorted out first. Scoring
(knowledge/qa/index.py) and the re-ranking of the best candidates
(knowledge/qa/rerank.py) work on these concepts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from knowledge.qa.postings import Postings
from knowledge.qa.privacy import redact
from knowledge.qa.tokenize import (
    expansions,
    general_idf,
    lexicon,
    stopwords,
    word_boundaries,
)

SINGLE_CHAR_WEIGHT = 0.35
# Query-side expansions (knowledge/data/synonyms.txt `=>` lines) count this much of the
# resident's own word.
W_EXPANSION = 0.7
# Everyday phrases of knowledge/data/lexicon.txt found in the question (for words the
# documents never use): their document terms count this much for ranking, and
# LEXICON_TRUST of that toward the confidence that decides answer or decline.
W_LEXICON = 0.5
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
_CJK_WORD = re.compile(r"[\u3400-\u9fff]+")

# Clauses of a question; one that only introduces the resident or greets is left out.
_CLAUSE_END = re.compile(r"[，,。.!！？?；;~～…]+")
# A question word: the clause asks something (吗, 怎么, 几, 多少, 有没有 …).
ASKING = re.compile(
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
        if _INTRODUCTION.search(clause) and not ASKING.search(clause):
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
def lexicon_pattern() -> re.Pattern[str]:
    """Longest-first alternation of the lexicon's phrases, to find them in a question."""
    keys = sorted(lexicon(), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, keys)) or "(?!)")


def lexicon_phrases(query_text: str) -> list[str]:
    """Lexicon phrases in the question that start and end on jieba's word boundaries
    (挨家问 in 会挨家问吗, 养狗 in 小区里养狗, but not 电瓶 inside 电瓶车)."""
    found = list(lexicon_pattern().finditer(query_text))
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


@dataclass(frozen=True)
class Concept:
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


class QueryReader:
    """Question terms → concepts, against one index's vocabulary and word postings."""

    def __init__(self, vocab: Mapping[str, int], words: Postings) -> None:
        self.vocab = vocab
        self.words = words
        # Whether question words are weighed by their general-language rarity too (see
        # GENERAL_LOW); SearchIndex.general_rarity sets it per search.
        self.general_rarity = False

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
        phrases = [p for p in lexicon_phrases(query_text) if p not in terms]
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

    def concepts(self, terms: Sequence[str], query_text: str = "") -> list[Concept]:
        """Question terms → concepts: the term itself plus its expansions, with weights."""
        concepts: list[Concept] = []
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
                Concept(term, weight * short, short, alts, parts.get(term, []), lexicon_from)
            )
        return concepts
