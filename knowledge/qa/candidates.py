"""The keyword stage's candidates: the best passages, each text once, with the evidence the
answer/decline decision reads computed only for the hits it reads.

Two costs grow with the number of candidates taken, and the semantic stage
(knowledge/qa/semantic.py) takes 50 where the keyword path shows 3:

* the near-duplicate test (scraped files repeat sub-documents with small edits, so a
  passage whose character bigrams mostly repeat a chosen one is skipped) compares every
  candidate with every chosen one: ~1,200 bigram-set intersections for 50;
* the evidence (`QueryContext.evidenced`: corroboration, the question's weight its
  heading and text name, the answer types it gives) looks through each passage's terms.

At 10k passages these were ~9 of a 50-candidate search's ~10 ms. So a `Pool` checks and
evidences only its first `checked` hits, exactly as the keyword path's k are; the rest are
the next distinct texts in keyword order, taken by their score alone, which is all the
semantic stage reads of them. Its reordering then goes through `Pool.first_distinct`,
which tests only the few hits it puts first against the checked ones and each other, and
evidences them: the same near-duplicate rule, paid for the hits that are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from knowledge.qa.intents import Intent, answer_cues
from knowledge.qa.postings import IndexEntry
from knowledge.qa.query import Concept
from knowledge.qa.rerank import (
    NEAR_DUPLICATE,
    Hit,
    QueryEvidence,
    corroborated,
    gram_set,
    named_shares,
    overlap,
)

__all__ = ["Pool", "QueryContext", "collect", "text_ids"]


@dataclass(frozen=True)
class QueryContext:
    """What a hit's evidence is computed from: the question's concepts and answer types."""

    concepts: tuple[Concept, ...] = ()
    total_weight: float = 0.0
    intents: tuple[Intent, ...] = ()
    query: QueryEvidence = field(default_factory=QueryEvidence)

    def evidenced(self, hit: Hit) -> Hit:
        """The hit with its evidence (itself when it has it already)."""
        if hit.evidenced:
            return hit
        given = answer_cues(hit.entry.bigram_text, self.intents) / max(len(self.intents), 1)
        return named_shares(
            replace(
                hit,
                evidenced=True,
                corroborated=corroborated(hit.entry, self.concepts),
                query=self.query,
                cues=given,
            ),
            self.concepts,
            self.total_weight,
        )


class Pool:
    """Candidates best first (keyword order). The first `checked` passed the
    near-duplicate test and carry their evidence; the others are distinct texts, not yet
    tested against near-duplicates, without evidence (`Hit.evidenced` False)."""

    def __init__(
        self,
        hits: list[Hit],
        checked: int,
        context: QueryContext,
        grams: list[set[str]],
    ) -> None:
        self.hits = hits
        self.checked = checked
        self.context = context
        self._grams = grams  # of the checked hits, for `first_distinct`

    def first_distinct(self, order: Sequence[Hit], need: int) -> list[tuple[int, Hit]]:
        """The first `need` hits of `order` (this pool's hits reordered) that pass the
        near-duplicate test against the checked hits and the ones kept before them, as
        (position in `order`, the hit with its evidence)."""
        checked = {id(h) for h in self.hits[: self.checked]}
        kept: list[tuple[int, Hit]] = []
        grams: list[set[str]] = []
        for position, hit in enumerate(order):
            if len(kept) >= need:
                break
            if id(hit) not in checked:
                mine = gram_set(hit.entry.text)
                others = (*self._grams, *grams)
                if any(overlap(mine, other) >= NEAR_DUPLICATE for other in others):
                    continue
                grams.append(mine)
            kept.append((position, self.context.evidenced(hit)))
        return kept

    def demoted(self, refuse: Callable[[Hit], bool]) -> Pool:
        """This pool with the hits `refuse` marks moved after all the others (kept in
        their order): hits that move up into the first `checked` pass the near-duplicate
        test against those before them and get their evidence."""
        verdicts = [refuse(h) for h in self.hits]
        if not any(verdicts):
            return self
        order = [i for i, r in enumerate(verdicts) if not r] + [
            i for i, r in enumerate(verdicts) if r
        ]
        hits: list[Hit] = []
        grams: list[set[str]] = []
        for position in order:
            hit = self.hits[position]
            if len(hits) < self.checked:
                if position < self.checked:
                    grams.append(self._grams[position])
                else:
                    mine = gram_set(hit.entry.text)
                    if any(overlap(mine, other) >= NEAR_DUPLICATE for other in grams):
                        continue
                    grams.append(mine)
                    hit = self.context.evidenced(hit)
            hits.append(hit)
        return Pool(hits, min(self.checked, len(hits)), self.context, grams)


def collect(
    entries: Sequence[IndexEntry],
    order: Iterable[int],
    score: npt.NDArray[np.float32],
    coverage: npt.NDArray[np.float32],
    loose: npt.NDArray[np.float32],
    context: QueryContext,
    *,
    depth: int,
    checked: int,
) -> Pool:
    """The best `depth` hits of `order`, each text once; the first `checked` (at most
    `depth`) also pass the near-duplicate test and get their evidence."""
    hits: list[Hit] = []
    seen: set[str] = set()
    grams: list[set[str]] = []
    for i in order:
        entry = entries[i]
        if entry.text in seen:
            continue
        seen.add(entry.text)
        if len(hits) < checked:
            mine = gram_set(entry.text)
            if any(overlap(mine, other) >= NEAR_DUPLICATE for other in grams):
                continue
            grams.append(mine)
        hits.append(
            Hit(
                entry,
                float(score[i]),
                float(coverage[i]),
                loose_coverage=float(loose[i]),
                evidenced=False,
            )
        )
        if len(hits) >= depth:
            break
    head = min(checked, len(hits))
    hits[:head] = [context.evidenced(h) for h in hits[:head]]
    return Pool(hits, head, context, grams)


def text_ids(entries: Sequence[IndexEntry]) -> npt.NDArray[np.int32] | None:
    """Each passage's text as a number, equal for equal texts; None when no text repeats
    (a document imported twice, scraped pages repeating a notice: search takes each text
    once, and skips the repeats in bulk with these)."""
    numbers: dict[str, int] = {}
    ids = np.fromiter(
        (numbers.setdefault(e.text, len(numbers)) for e in entries), np.int32, len(entries)
    )
    return ids if len(numbers) < len(entries) else None
