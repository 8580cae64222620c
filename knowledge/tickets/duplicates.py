"""Is a new complaint the same problem as an open one? Term similarity of descriptions.

The caller narrows candidates to open tickets of the same category at the same building or
location (storage does that); this module scores descriptions: cosine similarity of jieba
term counts (the knowledge base's tokenizer, so 电驴 and 电动自行车 are one term), with
character bigrams as a fallback for short or typo-ridden text. Pure functions.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from knowledge.normalize import canonical
from knowledge.qa.tokenize import char_bigrams, tokenize

# Two descriptions at or above this score are offered as "the same problem": tuned so that
# "3号楼楼道里停了很多电动车" and "三号楼楼道电瓶车堆满了" match and unrelated ones do not.
DEFAULT_THRESHOLD = 0.35
# Terms weigh more than bigrams: a shared word is stronger evidence than shared characters.
TERM_WEIGHT = 0.7

T = TypeVar("T")


@dataclass(frozen=True)
class Terms:
    words: Counter[str]
    bigrams: Counter[str]


@dataclass(frozen=True)
class Scored(Generic[T]):
    item: T
    score: float


def terms(text: str) -> Terms:
    normal = canonical(text)
    return Terms(Counter(tokenize(normal)), Counter(char_bigrams(normal)))


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[word] for word, count in a.items() if word in b)
    if not dot:
        return 0.0
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm


def similarity(a: Terms, b: Terms) -> float:
    """0 (nothing shared) to 1 (the same terms)."""
    return TERM_WEIGHT * cosine(a.words, b.words) + (1 - TERM_WEIGHT) * cosine(
        a.bigrams, b.bigrams
    )


def score_candidates(
    text: str,
    candidates: Iterable[tuple[T, str]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int | None = None,
) -> list[Scored[T]]:
    """Candidates `(item, description)` scoring at least `threshold`, best first."""
    mine = terms(text)
    scored = [Scored(item, round(similarity(mine, terms(desc)), 4)) for item, desc in candidates]
    found = sorted((s for s in scored if s.score >= threshold), key=lambda s: -s.score)
    return found[:limit] if limit is not None else found


def best_keyword_match(text: str, keywords: Sequence[tuple[str, Sequence[str]]]) -> str | None:
    """The key whose keywords occur most in `text` (longer keywords weigh more); a
    keyword counts when it is a term of the text or a substring of it. None when none."""
    normal = canonical(text)
    words = set(tokenize(normal))
    best, best_score = None, 0.0
    for key, words_of_key in keywords:
        score = sum(len(w) for w in words_of_key if w and (w in words or canonical(w) in normal))
        if score > best_score:
            best, best_score = key, score
    return best
