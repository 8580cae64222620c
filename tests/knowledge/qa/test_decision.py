"""The learned answer/decline decision: clear and borderline cases, the shipped data, and a
question wrapped in personal details read like the bare question."""

from __future__ import annotations

from dataclasses import replace

import pytest

from knowledge.normalize import canonical
from knowledge.qa.decision import (
    FEATURES,
    FLOORS,
    SEMANTIC,
    SEMANTIC_FIT,
    Decision,
    features,
    semantic_features,
    shipped_decision,
    shipped_semantic_decision,
)
from knowledge.qa.index import Hit, IndexEntry, QueryEvidence, SearchIndex, question_only
from knowledge.qa.semantic import Scored
from knowledge.qa.service import semantic_decision
from knowledge.qa.tokenize import tokenize

PASSAGES = [
    (
        "楼道秩序",
        "在小区内合理设置停车、充电区域，引导居民自觉做到非机动车不上楼，严禁私拉电线为电瓶车充电。",
    ),
    (
        "消防设施",
        "排查老旧小区是否配备消防灭火器，已配置的灭火器是否能正常使用（指针在绿色范围内）。",
    ),
    ("加装电梯", "居民群众有出资意愿的，可加装电梯和设置门禁。"),
    ("垃圾分类", "居民小区按照可回收物、有害垃圾、其他垃圾进行分类。"),
    ("秸秆", "实施农作物秸秆全面禁烧。"),
]


def _index() -> SearchIndex:
    entries = [
        IndexEntry(
            passage_id=i,
            kind="doc",
            text=text,
            source=head,
            body=tuple(tokenize(canonical(text))),
            head=tuple(tokenize(canonical(head))),
            bigram_text=canonical(head + text),
        )
        for i, (head, text) in enumerate(PASSAGES)
    ]
    return SearchIndex(entries)


def _hit(coverage: float, *, corroborated: bool = True, named: float | None = None) -> Hit:
    entry = IndexEntry(0, "doc", "text", "source", ("a",), (), "text")
    return Hit(
        entry,
        score=10.0,
        coverage=coverage,
        corroborated=corroborated,
        loose_coverage=coverage,
        head_share=coverage / 2,
        named_share=coverage if named is None else named,
        query=QueryEvidence(concepts=3, intents=1, unmatched=1 - coverage),
    )


# Coverage, named share and corroboration count for answering; nothing else.
_TOY = Decision(
    weights=tuple(
        {"coverage": 3.0, "named_share": 1.0, "corroborated": 1.0}.get(name, 0.0)
        for name in FEATURES
    ),
    means=tuple(0.5 for _ in FEATURES),
    scales=tuple(1.0 for _ in FEATURES),
    bias=0.0,
    threshold=0.5,
)


def test_clear_cases() -> None:
    assert _TOY.answers([_hit(0.95)])
    assert not _TOY.answers([_hit(0.05, corroborated=False)])
    assert not _TOY.answers([])


def test_borderline_cases_move_with_the_evidence() -> None:
    # At the threshold the decision turns on the evidence, and monotonically so.
    low, mid, high = (_TOY.probability([_hit(c)]) for c in (0.3, 0.45, 0.6))
    assert low < mid < high
    assert not _TOY.answers([_hit(0.3)])
    assert _TOY.answers([_hit(0.6)])
    # The same coverage without corroboration falls below the threshold.
    assert _TOY.answers([_hit(0.45)]) != _TOY.answers([_hit(0.45, corroborated=False)])


def test_features_have_one_value_per_name() -> None:
    assert len(features([_hit(0.5), _hit(0.4)])) == len(FEATURES)


def test_shipped_decision_loads_and_round_trips() -> None:
    decision = shipped_decision()
    assert len(decision.weights) == len(FEATURES)
    assert 0.0 < decision.threshold < 1.0
    again = Decision.from_json(decision.to_json())
    assert again == decision


def test_refit_data_for_other_features_is_refused() -> None:
    text = _TOY.to_json().replace('"coverage"', '"something else"', 1)
    with pytest.raises(ValueError, match="refit"):
        Decision.from_json(text)


@pytest.mark.parametrize(
    ("wrapped", "bare"),
    [
        ("我是3号楼502的张秀英，电话13812345678，电瓶车能在楼道充电吗", "电瓶车能在楼道充电吗"),
        ("你好，我住幸福家园7栋2单元301，姓李，灭火器咋看还能不能用", "灭火器咋看还能不能用"),
        ("俺是东门社区的老刘，身份证尾号0412，地里的秸秆能烧吗？谢谢", "地里的秸秆能烧吗"),
    ],
)
def test_question_in_personal_details_is_read_like_the_bare_question(
    wrapped: str, bare: str
) -> None:
    index = _index()
    assert question_only(canonical(wrapped)) == canonical(bare)
    results = []
    for question in (wrapped, bare):
        text = index.as_meant(canonical(question))
        hits = index.search(tokenize(text), text, k=3)
        results.append(([h.entry.passage_id for h in hits], shipped_decision().answers(hits)))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "question",
    ["我是租户能装电梯吗", "加装电梯要我们自己出钱吗", "是不是要先成立业委会", "电梯"],
)
def test_questions_without_personal_details_are_kept(question: str) -> None:
    text = canonical(question)
    assert question_only(text) == text


# --- the semantic decision: keyword evidence of the reranked hits + similarity ----------

_SEM_TOY = Decision(
    weights=tuple(
        {"coverage": 1.0, "corroborated": 1.0, "similarity": 6.0}.get(name, 0.0)
        for name in SEMANTIC
    ),
    means=tuple(0.5 for _ in SEMANTIC),
    scales=tuple(1.0 for _ in SEMANTIC),
    bias=0.0,
    threshold=0.5,
    features=SEMANTIC,
)


def _ranked(similarity: float, coverage: float = 0.3) -> list[Scored[Hit]]:
    return [Scored(_hit(coverage), 1.0, 1.0, similarity), Scored(_hit(0.1), 0.0, 0.5, 0.1)]


def test_semantic_decision_clear_cases() -> None:
    # Close in meaning although few of its words match: answered.
    assert _SEM_TOY.answers_reranked(_ranked(0.8))
    # Far in meaning: declined, whatever words it shares.
    assert not _SEM_TOY.answers_reranked(_ranked(0.05, coverage=0.6))
    assert not _SEM_TOY.answers_reranked([])


def test_semantic_decision_borderline_turns_on_similarity() -> None:
    probs = [_SEM_TOY.probability_of(semantic_features(_ranked(s))) for s in (0.3, 0.4, 0.5)]
    assert probs[0] < probs[1] < probs[2]
    assert not _SEM_TOY.answers_reranked(_ranked(0.3))
    assert _SEM_TOY.answers_reranked(_ranked(0.5))


def _confident_and_other() -> tuple[Hit, Hit, Hit]:
    """A passage the coverage rule answers, and two others."""
    confident = _hit(0.9)

    def other(pid: int) -> Hit:
        return Hit(
            IndexEntry(pid, "doc", "other", "source", ("b",), (), "other"),
            score=5.0,
            coverage=0.2,
            corroborated=True,
            loose_coverage=0.2,
            head_share=0.1,
            named_share=0.2,
            query=QueryEvidence(concepts=3, intents=1, unmatched=0.8),
        )

    return confident, other(1), other(2)


@pytest.mark.parametrize(
    ("floor", "answered", "order"),
    [
        ("none", False, (2, 1, 0)),
        ("answer", True, (2, 1, 0)),
        ("keyword", True, (0, 1, 2)),
        ("keyword-order", False, (0, 1, 2)),
        ("keyword-first", False, (0, 2, 1)),
    ],
)
def test_the_floor_decides_what_the_coverage_rule_still_decides(
    floor: str, answered: bool, order: tuple[int, int, int]
) -> None:
    confident, second, third = _confident_and_other()
    # The rerank put another passage first and is far from sure of any.
    reranked = [
        Scored(third, 1.0, 0.5, 0.05),
        Scored(second, 0.5, 0.5, 0.05),
        Scored(confident, 0.0, 1.0, 0.04),
    ]
    hits = {0: confident, 1: second, 2: third}
    decision = replace(_SEM_TOY, floor=floor)
    ranking = semantic_decision([confident, second, third], reranked, decision, 3)
    # Only the floors that force the rule's answers answer an improbable question.
    assert ranking.answered is answered
    assert ranking.hits == [hits[i] for i in order]


@pytest.mark.parametrize("floor", ["keyword-order", "keyword-first"])
def test_a_probable_answer_keeps_the_rules_first_passage_first(floor: str) -> None:
    confident, second, third = _confident_and_other()
    reranked = [
        Scored(second, 1.0, 0.5, 0.9),
        Scored(confident, 0.5, 1.0, 0.8),
        Scored(third, 0.0, 0.5, 0.1),
    ]
    ranking = semantic_decision(
        [confident, second, third], reranked, replace(_SEM_TOY, floor=floor), 3
    )
    assert ranking.answered
    assert ranking.hits[0] is confident


def test_without_the_rule_every_floor_shows_the_reranked_order() -> None:
    unsure = replace(_hit(0.3), corroborated=False)
    _, second, third = _confident_and_other()
    reranked = [Scored(second, 1.0, 0.5, 0.9), Scored(unsure, 0.5, 1.0, 0.8)]
    for floor in FLOORS:
        ranking = semantic_decision(
            [unsure, second, third], reranked, replace(_SEM_TOY, floor=floor), 3
        )
        assert ranking.hits == [second, unsure]


def test_shipped_semantic_decision_loads() -> None:
    decision = shipped_semantic_decision()
    assert decision.features == SEMANTIC_FIT
    assert decision.floor in FLOORS
    assert 0.0 < decision.threshold <= 1.0
    assert Decision.from_json(decision.to_json(), SEMANTIC) == decision


def _subset(decision: Decision, names: tuple[str, ...]) -> Decision:
    """`decision` restricted to `names` (the dropped features' weights must be zero)."""
    keep = [decision.features.index(n) for n in names]
    return replace(
        decision,
        weights=tuple(decision.weights[i] for i in keep),
        means=tuple(decision.means[i] for i in keep),
        scales=tuple(decision.scales[i] for i in keep),
        features=names,
    )


def test_decision_on_a_feature_subset_reads_its_own_features() -> None:
    small = _subset(_SEM_TOY, ("coverage", "corroborated", "similarity"))
    for similarity in (0.05, 0.3, 0.5, 0.8):
        ranked = _ranked(similarity)
        full = _SEM_TOY.probability_of(semantic_features(ranked))
        assert small.probability_of(small.pick(semantic_features(ranked), SEMANTIC)) == (
            pytest.approx(full)
        )
        assert small.answers_reranked(ranked) == _SEM_TOY.answers_reranked(ranked)


def test_subset_decision_round_trips_and_bad_subsets_are_refused() -> None:
    small = _subset(_SEM_TOY, SEMANTIC_FIT)
    assert Decision.from_json(small.to_json(), SEMANTIC) == small
    # Out of order, repeated, unknown or no features: fitted on something else.
    for names in (
        tuple(reversed(SEMANTIC_FIT)),
        (*SEMANTIC_FIT, SEMANTIC_FIT[0]),
        ("coverage", "no such feature"),
        (),
    ):
        bad = replace(small, features=names)
        with pytest.raises(ValueError, match="refit"):
            Decision.from_json(bad.to_json(), SEMANTIC)
