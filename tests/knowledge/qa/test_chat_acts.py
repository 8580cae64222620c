"""Messages that are no question (knowledge/qa/chat_acts.py) and those that still are."""

from __future__ import annotations

import pytest

from knowledge.qa.chat_acts import ChatAct, chat_act, looks_like_a_step_reply, tells_of_problem


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("谢谢", ChatAct.THANKS),
        ("謝謝您！！", ChatAct.THANKS),  # Traditional, full-width punctuation
        ("好的，谢谢你 🙏", ChatAct.THANKS),
        ("辛苦了", ChatAct.THANKS),
        ("感谢感谢", ChatAct.THANKS),
        ("不用了谢谢", ChatAct.THANKS),
        ("好的", ChatAct.ACK),
        ("OK👌", ChatAct.ACK),
        ("收到。", ChatAct.ACK),
        ("嗯嗯", ChatAct.ACK),
        ("知道了", ChatAct.ACK),
        ("在吗？", ChatAct.GREETING),
        ("在嗎", ChatAct.GREETING),
        ("您好啊", ChatAct.GREETING),
        ("早上好", ChatAct.GREETING),
        ("我要报修", ChatAct.REPORT),
        ("報修", ChatAct.REPORT),
        ("我想投诉", ChatAct.REPORT),
        ("我要反映问题", ChatAct.REPORT),
        ("我要投诉物业", ChatAct.REPORT),
        ("我想报修水管", ChatAct.REPORT),
        ("之前报的事有结果没", ChatAct.MY_TICKETS),
        ("我投诉的问题处理了吗？", ChatAct.MY_TICKETS),
        ("上次報修的怎麼還沒人來", ChatAct.MY_TICKETS),
        ("我的工单到哪一步了", ChatAct.MY_TICKETS),
    ],
)
def test_a_whole_message_is_an_act(text: str, act: ChatAct) -> None:
    assert chat_act(text) is act


@pytest.mark.parametrize(
    "text",
    [
        "谢谢，物业费怎么交",  # thanks around a question: still a question
        "你好电瓶车能在楼道充电吗",
        "好的那垃圾几点扔",
        "在吗 楼道灯坏了",
        "报修电话多少",
        "我要投诉物业有用吗",
        "我要投诉电话",
        "投诉物业有用吗",
        "投诉的处理流程是什么",  # about complaints in general, not their own
        "物业的处理结果不满意怎么办",
        "行不行",
        "好" * 40,  # long: a sentence, not an act
        "谢谢" * 200,
        "",
        "😀😀",
    ],
)
def test_questions_and_sentences_are_no_act(text: str) -> None:
    assert chat_act(text) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("在吗 楼道灯坏了", True),
        ("楼上天天半夜装修吵死了怎么办", True),
        ("下水道堵了", True),
        ("电瓶车能在楼道充电吗", False),
        ("垃圾几点可以扔", False),
    ],
)
def test_a_problem_is_told(text: str, problem: bool) -> None:
    assert tells_of_problem(text) is problem


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("选好了", True),
        ("同意", True),
        ("下一步！", True),
        ("供水和供电", True),
        ("垃圾几点扔", False),  # a question, answered even inside a flow
        ("电梯能不能装", False),
        ("？", False),
        ("我想问一下老旧小区改造的钱是谁出的", False),  # long
        ("", False),
    ],
)
def test_a_step_reply_is_short_and_asks_nothing(text: str, reply: bool) -> None:
    assert looks_like_a_step_reply(text) is reply
