"""Normalisation and segmentation: pure functions, no database."""

from __future__ import annotations

import pytest

from knowledge.normalize import (
    canonical,
    chinese_to_int,
    clean_display,
    drop_phrase_classifiers,
)
from knowledge.qa.tokenize import char_bigrams, tokenize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("老舊小區水電改造", "老旧小区水电改造"),  # t2s
        ("2020年老舊小區(qū)水電改造", "2020年老旧小区水电改造"),  # pinyin annotation
        ("指導(dǎo)思想", "指导思想"),
        ("（一）指导思想", "(一)指导思想"),  # full-width brackets
        ("ＡＢＣ１２３", "ABC123"),  # full-width ASCII
        ("小\u200b区\ufffd改\x07造", "小区改造"),  # zero-width, replacement, control chars
        ("(三)规范收集运输", "(三)规范收集运输"),  # real parentheses stay
        ("①装修管理严重失控", "①装修管理严重失控"),  # circled numbers stay
    ],
)
def test_clean_display(raw: str, expected: str) -> None:
    assert clean_display(raw) == expected


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("三分之二以上业主同意", "2/3以上业主同意"),
        ("四分之三", "3/4"),
        ("百分之五十", "50%"),
        ("公示五个工作日", "公示5个工作日"),
        ("十二个月", "12个月"),
        ("双三分之二", "双2/3"),
        ("老舊小區", "老旧小区"),
        ("ＡＢＣ　１２３", "abc123"),
    ],
)
def test_canonical_forms_meet(left: str, right: str) -> None:
    assert canonical(left) == canonical(right)


@pytest.mark.parametrize(
    ("text", "value"),
    [("五", 5), ("十二", 12), ("二十五", 25), ("三百零五", 305), ("两万", 20000)],
)
def test_chinese_to_int(text: str, value: int) -> None:
    assert chinese_to_int(text) == value


def test_words_with_numerals_are_not_rewritten() -> None:
    assert "统一" in canonical("统一规划")
    assert "第一阶段" in canonical("第一阶段")


@pytest.mark.parametrize(
    ("variant", "canonical_word"),
    [
        ("电驴", "电动自行车"),
        ("电瓶车", "电动自行车"),
        ("业委会", "业主委员会"),
        ("老破小", "老旧小区"),
        ("违章搭建", "违法建设"),
        ("楼梯间", "楼道"),
    ],
)
def test_synonyms_fold_to_one_term(variant: str, canonical_word: str) -> None:
    assert canonical_word in tokenize(canonical(f"{variant}的问题"))


def test_colloquial_stopwords_dropped() -> None:
    terms = tokenize(canonical("我们小区能不能加装电梯啊"))
    assert "我们" not in terms
    assert "能不能" not in terms
    assert "啊" not in terms
    assert "加装电梯" in terms


def test_fractions_are_single_tokens() -> None:
    assert "2/3" in tokenize(canonical("需要三分之二业主同意"))


def test_char_bigrams() -> None:
    assert char_bigrams("电梯abc加装") == ["电梯", "加装"]


@pytest.mark.parametrize(
    ("spoken", "plain"),
    [
        ("能从家里扯根线下楼充电不", "能从家里扯线下楼充电不"),
        ("政府出不出点钱", "政府出不出钱"),
        ("想建个充电棚找谁说", "想建充电棚找谁说"),
        # Numbers and other classifiers are left alone.
        ("一个小区几个楼", "一个小区几个楼"),
        ("放几把椅子", "放几把椅子"),
        ("装个", "装个"),
    ],
)
def test_classifier_inside_a_verb_phrase_is_dropped(spoken: str, plain: str) -> None:
    assert drop_phrase_classifiers(canonical(spoken)) == canonical(plain)
