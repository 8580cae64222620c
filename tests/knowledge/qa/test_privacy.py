"""Personal details typed into a question never reach an FAQ entry made from it."""

from __future__ import annotations

import pytest

from knowledge.qa.privacy import redact
from knowledge.qa.questions import faq_question


@pytest.mark.parametrize(
    ("question", "gone"),
    [
        ("我是张三，电话13812345678，楼道能充电吗", ["张三", "13812345678"]),
        ("楼道能充电吗 138-1234-5678", ["138-1234-5678", "1234"]),
        ("我家3号楼2单元301漏水找谁", ["301", "3号楼"]),
        ("5-2-301的王阿姨让我问垃圾几点扔", ["5-2-301", "王阿姨"]),
        ("我叫李秀英，身份证110101195001011234，能领补贴吗", ["李秀英", "110101195001011234"]),
        ("座机010-87654321打不通，物业电话多少", ["87654321"]),
        ("刘师傅说电梯坏了，找谁修", ["刘师傅"]),
        ("邮箱 zhang.san@example.com 能收通知吗", ["example.com"]),
    ],
)
def test_personal_details_are_removed(question: str, gone: list[str]) -> None:
    cleaned = redact(question)
    for part in gone:
        assert part not in cleaned
    assert cleaned  # the question itself stays


@pytest.mark.parametrize(
    "question",
    [
        "电动车能在楼道充电吗",
        "老旧小区改造要多少人同意",
        "垃圾分类几点投放",
        "2024年的补贴标准是多少",
    ],
)
def test_questions_without_personal_details_are_unchanged(question: str) -> None:
    assert redact(question) == question


def test_a_question_of_nothing_but_details_still_has_a_key() -> None:
    assert faq_question("13812345678") == "（居民提问）"
