"""Homophone typos of pinyin input: corrected when unambiguous, ordinary words left alone."""

from __future__ import annotations

import json
from importlib import resources

from knowledge.normalize import canonical
from knowledge.qa.index import IndexEntry, SearchIndex
from knowledge.qa.tokenize import general_idf, tokenize
from knowledge.qa.typos import TypoCorrector, readings

PASSAGES = [
    ("消防设施", "定期检查室内消火栓、灭火器，保证消防栓有水。"),
    ("加装电梯", "既有住宅加装电梯属于完善类改造，需征得本单元业主同意。"),
    ("楼长", "每栋住宅明确1名楼长，负责楼道巡查。"),
    ("秸秆", "实施农作物秸秆全面禁烧。"),
    ("验收", "改造完成后组织竣工验收，邀请居民代表参加。"),
    ("水管", "维修改造小区内的供水管道和水管。"),
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


def _is_word(word: str) -> bool:
    return general_idf(word) is not None


def test_readings_are_toneless_and_keep_heteronyms() -> None:
    assert readings("梯") == ("ti",)
    assert "zhang" in readings("长")
    assert "chang" in readings("长")
    assert readings("a") == ("",)


def test_one_wrong_character_of_the_right_sound_is_corrected() -> None:
    index = _index()
    for typed, meant in [
        ("加装电体算哪一类", "电梯"),
        ("消防拴被车挡住了", "消火栓"),  # 消防栓, folded to the documents' word
        ("每栋楼有没有楼张", "楼长"),
        ("地里的结杆能烧不", "秸"),  # 秸秆 or 秸杆 (a lexicon word for it)
        ("改好了艳收能参加不", "验收"),
    ]:
        fixed, fixes = index.typos.correct(canonical(typed))
        assert fixes, typed
        assert any(meant in token for token in tokenize(fixed)), (typed, fixed)


def test_ordinary_words_and_question_words_are_left_alone() -> None:
    index = _index()
    for question in [
        "楼道灯坏了谁管",  # 谁管 must not become 水管: question words are never replaced
        "我们小区要改造得多少人同意",  # 人同 is no word; 同意 is
        "改造之前要不要先成立业委会",
        "装了电梯挡着楼下光线咋办",  # 光线 is a real word (not 光纤)
        "维修资金花完了以后咋整",
        "",
        "🙂🙂🙂",
    ]:
        text = canonical(question)
        assert index.typos.correct(text) == (text, []), question


def test_the_corrected_word_reaches_its_passage() -> None:
    index = _index()
    text = index.as_meant(canonical("消防拴没水谁管"))
    hits = index.search(tokenize(text), text, k=1)
    assert hits
    assert "消火栓" in hits[0].entry.text


def test_only_one_character_may_differ() -> None:
    corrector = TypoCorrector([], ["验收"], _is_word)
    assert corrector.correct("艳收") == ("验收", [("艳收", "验收")])
    # Both characters different (same sound): too far from what was typed.
    assert corrector.correct("严受") == ("严受", [])


def test_faq_phrasings_are_almost_never_touched() -> None:
    # The built-in FAQ's phrasings are ordinary resident questions without typos: the
    # corrector must leave nearly all of them as they are.
    index = _index()
    path = resources.files("knowledge.qa") / "data" / "faq.json"
    items = json.loads(path.read_text(encoding="utf-8"))
    questions = [q for item in items for q in item["questions"]]
    touched = [q for q in questions if index.typos.correct(canonical(q))[1]]
    assert len(questions) > 200
    assert len(touched) <= len(questions) // 50, touched
