"""The second half of ranking: re-score the best candidates, in order, lazily.

The best RERANK_DEPTH candidates by whole-passage score are re-scored by their best
sentence (proximity) and by whether they give the kind of answer the question asks for;
the rest follow in score order, sorted only as far as the hits asked for need (at 100k
passages a full sort of every candidate was half of a query's time). The best distinct
of them are taken by knowledge/qa/candidates.py; each hit there carries the evidence the
answer/decline decision reads (knowledge/qa/decision.py), computed here.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from knowledge.qa.intents import Intent, answer_cues
from knowledge.qa.postings import IndexEntry
from knowledge.qa.query import Concept
from knowledge.qa.tokenize import synonyms

COVERAGE_FLOOR = 0.2
# Best-sentence re-ranking of the top candidates: how many, and the share of the coverage
# factor the best sentence's coverage takes.
RERANK_DEPTH = 40
W_PROXIMITY = 0.5
# A concept with at least this share of the question's weight is one of its main concepts
# (see SearchIndex._corroborated).
MAIN_CONCEPT_SHARE = 0.12
# Two passages sharing this share of their character bigrams are one text for display.
NEAR_DUPLICATE = 0.8
_SENTENCE_END = re.compile(r"[。！？；;!?\n]")
# The candidates after the re-ranked ones are put in order this many at a time.
ORDER_CHUNK = 64


@lru_cache(maxsize=1)
def variants() -> dict[str, tuple[str, ...]]:
    """Canonical word → the variants folded to it, to find it in unfolded text."""
    table: dict[str, list[str]] = {}
    for variant, word in synonyms().items():
        table.setdefault(word, []).append(variant)
    return {word: tuple(forms) for word, forms in table.items()}


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
    # False for a candidate taken only to be reordered by the semantic stage: its
    # evidence above (from `corroborated` on) is not computed yet
    # (knowledge/qa/candidates.py, `QueryContext.evidenced`).
    evidenced: bool = True


def corroborated(entry: IndexEntry, concepts: Sequence[Concept]) -> bool:
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


def rerank(
    entries: Sequence[IndexEntry],
    candidates: npt.NDArray[np.intp],
    score: npt.NDArray[np.float32],
    base: npt.NDArray[np.float32],
    coverage: npt.NDArray[np.float32],
    concepts: Sequence[Concept],
    total_weight: float,
    intents: tuple[Intent, ...],
    w_intent: float,
    text_ids: npt.NDArray[np.int32] | None = None,
) -> Iterator[int]:
    """Candidates best first, lazily; the top RERANK_DEPTH re-scored by their best sentence.

    A passage that names the question's terms in one sentence answers it better than
    one that mentions them 300 characters apart, so the coverage factor of the best
    candidates mixes whole-passage coverage with the coverage of its best sentence
    (heading terms count in every sentence). Sentences are found in the passage's
    canonical text, where the question's words (and their expansions, parts and
    synonym variants) are looked up as substrings: this follows real sentence ends
    rather than a fixed token count, and also finds a word inside a longer one
    (改造 in 改造项目). Single characters are matched only as tokens (heading).
    A candidate that also gives the kind of answer the question asks for (`intents`:
    a place, a time, a rule...) gains `w_intent` (index.W_INTENT) per answer type.
    Candidates past the re-ranked ones are sorted only as far as they are read, and
    with `text_ids` (the number of each passage's text, when some repeat) only the first
    of each text in this order is yielded: the caller takes each text once, and at
    100k passages made of copies it otherwise read ~8,000 candidates for 50 texts.
    """
    take = min(candidates.size, RERANK_DEPTH)
    top = candidates[np.argpartition(-score[candidates], take - 1)[:take]]
    top = top[np.argsort(-score[top], kind="stable")]
    # The others, still in index order (as np.setdiff1d gave them), for _in_order.
    rest = candidates[~np.isin(candidates, top, assume_unique=True)]
    if text_ids is not None:
        rest = _first_of_each_text(rest, top, score, text_ids)
    if total_weight <= 0 or len(concepts) < 2:
        yield from top.tolist()
        yield from _in_order(rest, score)
        return
    lookup: dict[str, tuple[int, float]] = {}
    for ci, concept in enumerate(concepts):
        options = [(term, factor) for term, factor, _ in concept.alts]
        options += [(term, share) for term, _, share, _ in concept.parts]
        for term, factor in options:
            value = factor * concept.weight
            if lookup.get(term, (0, -1.0))[1] < value:
                lookup[term] = (ci, value)
    forms = variants()
    text_lookup: dict[str, tuple[int, float]] = {}
    for term, found in lookup.items():
        for form in (term, *forms.get(term, ())):
            if len(form) > 1 and text_lookup.get(form, (0, -1.0))[1] < found[1]:
                text_lookup[form] = found
    # Longest first, so that 绿化带 is found as itself rather than as 绿化.
    pattern = re.compile(
        "|".join(map(re.escape, sorted(text_lookup, key=len, reverse=True))) or "(?!)"
    )
    # Copies of one passage (a document imported twice) are read once.
    read: dict[tuple[tuple[str, ...], str], tuple[float, int]] = {}
    for i in top.tolist():
        entry = entries[i]
        key = (entry.head, entry.bigram_text)
        known = read.get(key)
        if known is None:
            known = read[key] = (
                _best_sentence(entry, lookup, text_lookup, pattern, len(concepts)),
                answer_cues(entry.bigram_text, intents),
            )
        best, cues = known
        window = best / total_weight
        mixed = COVERAGE_FLOOR + (1 - W_PROXIMITY) * coverage[i] + W_PROXIMITY * window
        score[i] = base[i] * mixed * (1 + w_intent * cues)
    top = top[np.argsort(-score[top], kind="stable")]
    yield from top.tolist()
    yield from _in_order(rest, score)


def _first_of_each_text(
    rest: npt.NDArray[np.intp],
    top: npt.NDArray[np.intp],
    score: npt.NDArray[np.float32],
    text_ids: npt.NDArray[np.int32],
) -> npt.NDArray[np.intp]:
    """`rest` (ascending) without the passages whose text is in `top` or comes earlier in
    `_in_order`'s order (higher score, or the same score and a lower index)."""
    texts = text_ids[rest]
    values = score[rest]
    size = int(text_ids.size)
    best = np.full(size, -np.inf, dtype=np.float32)
    np.maximum.at(best, texts, values)
    at_best = values == best[texts]
    first = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, texts[at_best], rest[at_best])
    keep = rest == first[texts]
    taken = np.zeros(size, dtype=bool)
    taken[text_ids[top]] = True
    keep &= ~taken[texts]
    kept: npt.NDArray[np.intp] = rest[keep]
    return kept


def _in_order(rest: npt.NDArray[np.intp], score: npt.NDArray[np.float32]) -> Iterator[int]:
    """`rest` (ascending indices) by descending score, ties in index order, as a stable
    argsort of all of them would give, but sorting ORDER_CHUNK (plus ties) at a time:
    the caller usually stops after a few."""
    values = -score[rest]
    while rest.size:
        if rest.size <= ORDER_CHUNK:
            yield from rest[np.argsort(values, kind="stable")].tolist()
            return
        bound = np.partition(values, ORDER_CHUNK - 1)[ORDER_CHUNK - 1]
        # Everything scoring at least the chunk's last value, ties included, so that the
        # next chunk starts strictly below it and index order among equals is kept.
        head = values <= bound
        chosen = rest[head]
        yield from chosen[np.argsort(values[head], kind="stable")].tolist()
        rest, values = rest[~head], values[~head]


def _concept_words(concept: Concept) -> list[str]:
    """The resident's word, its expansions and sub-words (not the lexicon's neighbours)."""
    return [a[0] for a in concept.alts[: concept.lexicon_from]] + [p[0] for p in concept.parts]


def named_shares(hit: Hit, concepts: Sequence[Concept], total: float) -> Hit:
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


def unmatched_share(concepts: Sequence[Concept], total: float) -> float:
    """Share of the question's weight on concepts not one passage names (no postings)."""
    if total <= 0:
        return 0.0
    missing = sum(
        c.weight for c in concepts if all(key < 0 for _, _, key in c.alts) and not c.parts
    )
    return missing / total


def gram_set(text: str) -> set[str]:
    """The text's character bigrams (the near-duplicate test's unit)."""
    return {text[i : i + 2] for i in range(len(text) - 1)}


def overlap(a: set[str], b: set[str]) -> float:
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
