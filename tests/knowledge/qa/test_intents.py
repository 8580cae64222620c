"""Answer types: what a question asks for, and passages that give it win close calls."""

from __future__ import annotations

import pytest

import knowledge.qa.index as index_module
from knowledge.normalize import canonical
from knowledge.qa.intents import answer_cues, asked_intents
from tests.knowledge.qa.test_index import _ask, _index


def _names(question: str) -> set[str]:
    return {intent.name for intent in asked_intents(canonical(question))}


def test_question_words_name_the_answer_type() -> None:
    assert _names("有害垃圾收走以后送到哪里处理") == {"where"}
    assert _names("小区没物业,改完以后谁来管") == {"who"}
    assert _names("电瓶车能在楼道充电不") == {"may I"}
    assert _names("改造方案要公示几天") == {"when"}
    assert _names("業委會成員裡黨員要佔多少") == {"how much"}
    assert _names("查出来消防隐患不改咋办") == {"what now"}
    assert _names("憑啥要交物業費?") == {"why"}
    assert _names("四定模式是什么意思") == {"what is"}
    assert _names("物業公司裡面要建黨組織嗎?") == {"must I"}
    assert _names("剩菜剩饭要不要单独分出来") == {"must I"}
    assert _names("改造之前一定得先成立业委会吗") == {"must I"}
    # A plain statement asks for nothing in particular.
    assert _names("楼道里堆满了杂物") == set()
    assert _names("") == set()


def test_passage_cues_are_counted_per_asked_type() -> None:
    where_who = asked_intents(canonical("垃圾送到哪里,谁负责"))
    assert answer_cues("由收集单位负责运送至暂存点", where_who) == 2
    assert answer_cues("垃圾分类工作意义重大", where_who) == 0
    assert answer_cues("由收集单位负责运送至暂存点", ()) == 0


SYSTEM = "有害垃圾收运后统一处理,纳入危险废物处理体系。"
PLACE = "有害垃圾收运后运送至暂存点统一处理。"


def _waste_index():  # type: ignore[no-untyped-def]
    return _index(("", SYSTEM), ("", PLACE), ("", "小区道路硬化,增设路灯。"))


def test_passage_giving_the_asked_answer_type_wins_a_close_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both passages name 有害垃圾, 收运 and 处理; only one says where the waste goes.
    question = "有害垃圾收走以后送到哪里处理"
    assert _ask(_waste_index(), question)[0].entry.text == PLACE
    # The words alone slightly prefer the other passage: the answer type decides.
    monkeypatch.setattr(index_module, "W_INTENT", 0.0)
    assert _ask(_waste_index(), question)[0].entry.text == SYSTEM


def test_answer_type_does_not_reorder_when_nothing_is_asked() -> None:
    # Without a question word, the cue words in a passage (送至, 暂存点) earn nothing.
    assert _ask(_waste_index(), "有害垃圾收走以后处理")[0].entry.text == SYSTEM


def test_the_boost_never_brings_in_an_unmatched_passage() -> None:
    index = _index(
        ("", "电动自行车严禁在楼道内充电。"), ("", "严禁在公共区域堆放杂物,不得占用通道。")
    )
    hits = _ask(index, "电瓶车能在楼道充电不")
    assert hits[0].entry.text.startswith("电动自行车")
    assert all("充电" in h.entry.text or "楼道" in h.entry.text for h in hits)


def test_obligation_question_prefers_the_passage_that_states_the_duty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "要…吗" asks whether something is required: the passage that says 要求 / 原则 answers.
    described = "物业服务企业建立党组织,组织党员开展活动。"
    required = "要求具备条件的物业服务企业成立党组织。"
    question = "物业公司里面要建党组织吗"
    assert _ask(_index(("", described), ("", required)), question)[0].entry.text == required
    monkeypatch.setattr(index_module, "W_INTENT", 0.0)
    assert _ask(_index(("", described), ("", required)), question)[0].entry.text == described
