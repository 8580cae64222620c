"""The answer/decline decision over the ranked candidates, for both paths of
`KnowledgeBase.rank`: keyword only (the coverage rule) and with the semantic stage (the
learned decision of knowledge/qa/decision.py over the reranked candidates, with its floor).
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.qa.candidates import Pool
from knowledge.qa.decision import Decision, old_rule, shown_order
from knowledge.qa.index import Hit
from knowledge.qa.semantic import Scored

__all__ = [
    "FAQ_MATCH",
    "FAQ_SPARE",
    "MIN_COVERAGE",
    "SUGGEST_COVERAGE",
    "Ranking",
    "Stages",
    "faq_refused",
    "faq_refused_ids",
    "keyword_decision",
    "semantic_decision",
]

# A question is answered when the best passage covers at least this idf-weighted share of
# its informative terms (see knowledge/index.py). Coverage is a share, so the threshold
# means the same for a 5-passage FAQ and a 100k-passage library (raw BM25 does not). What
# keeps an out-of-scope question low is its key noun: a specific word no passage uses
# (驾照, 疫苗, 宽带) weighs as much as the rarest document word (see knowledge/index.py),
# while chatter, mis-cuts and colloquial words with formal expansions do not drag an
# in-scope question down. On the dev set out-of-scope questions reach 0.36 (one, whose
# noun appears in a list, 0.65); every right top-1 answer has at least 0.49.
MIN_COVERAGE = 0.4
# Below MIN_COVERAGE but at least this, the bot still declines (and records the question
# for staff) yet shows the best passage, marked "仅供参考": a resident's paraphrase can
# miss a document's wording while its first passage is still the right one. Both answer
# and suggestion need a passage that names two of the question's concepts
# (Hit.corroborated); nonsense and off-topic questions get the plain decline. Measured on
# the 158 dev + held-out questions, documents only: of 25 out-of-scope questions 1 is
# answered, 5 get a suggestion, 19 the plain decline (coverage alone: 5 / 9 / 11); of
# the 88 in-scope ones whose first passage is right, 74 are answered and 4 suggested
# (coverage alone: 77 / 5).
SUGGEST_COVERAGE = 0.25

# An FAQ entry (knowledge/qa/data/faq.json, or one staff wrote) answers a question only
# when its own questions (its heading field) name at least FAQ_MATCH of the question's
# weight (`Hit.head_share`); otherwise it is moved after the other candidates, so that
# the documents answer or the bot declines (it may still be listed, e.g. for staff to
# pick). Coverage alone let an entry's answer text and five concatenated phrasings cover
# everyday words (物业费, 孩子, 报警), and the semantic stage's similarity is inflated for
# FAQ passages (embedded with their questions), so out-of-scope questions got FAQ
# answers. Chosen on bench/data/kb_bank_train.jsonl with the four corpus files and the
# FAQ (bench/kb_eval.py, "as deployed"): out-of-scope declined 0.63 -> 0.80 with the
# semantic stage, 0.72 -> 0.80 keyword only (docs-only: 0.82), in-scope answered 0.93 ->
# 0.90; 0.6 and 0.7 decline one or two more there but lose more of the FAQ's own
# phrasings (a typo-corrected or re-cut question shares fewer words with its entry), as
# does also requiring the question's largest concept to be named.
FAQ_MATCH = 0.5
# Keyword only, the candidates taken past k so that demoted FAQ entries leave k others.
FAQ_SPARE = 10


def faq_refused(hit: Hit) -> bool:
    """Whether an evidenced hit is an FAQ entry whose questions do not match (FAQ_MATCH)."""
    return hit.entry.kind == "faq" and hit.head_share < FAQ_MATCH


def faq_refused_ids(pool: Pool) -> frozenset[int]:
    """The passage ids of the pool's FAQ entries whose questions do not match, judged once
    a question: both the keyword order and the reranked one move them last."""
    return frozenset(
        h.entry.passage_id
        for h in pool.hits
        if h.entry.kind == "faq" and faq_refused(pool.context.evidenced(h))
    )


@dataclass(frozen=True)
class Ranking:
    """What `KnowledgeBase.rank` found: the hits shown (best first, at most k), the
    decision, and the evidence behind it (benches refit the decision on it)."""

    hits: list[Hit]
    answered: bool
    suggested: bool
    has_terms: bool
    # The keyword stage's hits, as in `Stages`.
    keyword: list[Hit]
    # The semantic stage's first distinct hits, as in `Stages`; None when it did not run.
    reranked: list[Scored[Hit]] | None = None


@dataclass(frozen=True)
class Stages:
    """The candidates of `KnowledgeBase.stages`, before the answer/decline decision."""

    has_terms: bool
    # The keyword stage's hits, best first: k of them, or RERANK_DEPTH once the semantic
    # stage's encoder and vectors are loaded; hits past the first k then carry their
    # score and coverage but no evidence (`Hit.evidenced` False: knowledge/qa/candidates.py).
    keyword: list[Hit]
    # The first distinct hits of the semantic stage's order (enough for the decision and
    # the hits shown), near-duplicates skipped, each with its evidence; None when the
    # stage did not run.
    reranked: list[Scored[Hit]] | None = None


def semantic_decision(
    keyword: list[Hit], reranked: list[Scored[Hit]], decision: Decision, k: int
) -> Ranking:
    """The learned decision over the reranked candidates, with its floor (what the
    coverage rule on the keyword stage's first still decides: see
    knowledge/qa/decision.py, FLOORS)."""
    if decision.floor == "keyword" and old_rule(keyword[0]):
        # Confident by the coverage rule: today's answer, in today's order.
        return keyword_decision(keyword, True, k)
    shown = shown_order(keyword, [s.item for s in reranked], decision.floor)
    best = shown[0]
    # An FAQ entry whose own questions do not match is neither answered nor suggested.
    if faq_refused(best):
        return Ranking(shown[:k], False, False, True, keyword, reranked)
    answered = decision.forced(keyword) or decision.answers_reranked(reranked)
    suggested = not answered and best.corroborated and best.coverage >= SUGGEST_COVERAGE
    return Ranking(shown[:k], answered, suggested, True, keyword, reranked)


def keyword_decision(hits: list[Hit], has_terms: bool, k: int) -> Ranking:
    """The keyword-only path: the keyword order and the coverage rule (MIN_COVERAGE)."""
    best = hits[0] if has_terms and hits else None
    if best is not None and faq_refused(best):  # neither answered nor suggested
        return Ranking(hits[:k], False, False, has_terms, hits)
    answered = best is not None and best.coverage >= MIN_COVERAGE and best.corroborated
    suggested = (
        best is not None
        and not answered
        and best.corroborated
        and best.coverage >= SUGGEST_COVERAGE
    )
    return Ranking(hits[:k], answered, suggested, has_terms, hits)
