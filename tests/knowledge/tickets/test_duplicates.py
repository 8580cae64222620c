"""Duplicate scoring and category suggestion over jieba terms."""

from __future__ import annotations

import pytest

from knowledge.tickets.categories import load_catalog
from knowledge.tickets.duplicates import (
    DEFAULT_THRESHOLD,
    best_keyword_match,
    score_candidates,
    similarity,
    terms,
)


def test_identical_text_scores_one() -> None:
    text = "3号楼楼道里停了很多电动车"
    assert similarity(terms(text), terms(text)) == pytest.approx(1.0)


def test_nothing_shared_scores_zero() -> None:
    assert similarity(terms("楼道电动车充电"), terms("广场舞音响太吵")) == 0.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("3号楼楼道里停了很多电动车还在充电", "三号楼楼道电瓶车堆满了在充电"),
        ("小区东门的路灯坏了好几天了", "东门路灯不亮，坏了"),
        ("楼上每天半夜装修很吵", "楼上半夜装修吵得睡不着"),
    ],
)
def test_same_problem_in_other_words_matches(a: str, b: str) -> None:
    assert similarity(terms(a), terms(b)) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("3号楼楼道里停了很多电动车", "楼下饭店油烟太大"),
        ("东门路灯坏了", "垃圾桶满了没人清理"),
    ],
)
def test_different_problems_do_not(a: str, b: str) -> None:
    assert similarity(terms(a), terms(b)) < DEFAULT_THRESHOLD


def test_candidates_best_first_above_threshold() -> None:
    found = score_candidates(
        "东门路灯坏了",
        [(1, "垃圾没人清"), (2, "东门路灯不亮坏了"), (3, "东门的路灯坏了")],
    )
    assert [s.item for s in found] == [3, 2]
    assert found[0].score >= found[1].score >= DEFAULT_THRESHOLD
    assert score_candidates("东门路灯坏了", [(1, "东门路灯坏了")], threshold=1.01) == []


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("楼道里有人给电瓶车充电，还私拉电线", "fire_hazard"),
        ("楼上半夜装修太吵了", "noise"),
        ("楼下烧烤店油烟熏得开不了窗", "cooking_fumes"),
        ("消防通道被私家车堵了", "fire_lane"),
        ("东门路灯坏了", "facility_damage"),
        ("今天天气不错", None),
    ],
)
def test_category_suggestion(text: str, key: str | None) -> None:
    catalog = load_catalog()
    pairs = [(c.key, c.keywords) for c in catalog.categories]
    assert best_keyword_match(text, pairs) == key
