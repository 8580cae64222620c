"""What kind of answer a question asks for, and the words by which a passage gives one.

Residents' questions carry their answer type in a few function words: 谁 asks for a
responsible party, 哪里 for a place, 多久 for a time, 多少 for a figure, 能…吗 for a rule,
要…吗 for a duty, 咋办 for a remedy. Among passages that match the question's topic about
equally well, the one that also states that kind of thing (负责/牵头, 暂存点/送至,
12月31日前, 2/3, 严禁/不得, 要求/原则, 约谈/举报) is more often the answer:
"有害垃圾送到哪里处理" is answered by the passage that names the 暂存点 and the 处置厂,
not by the one that only says a 处理体系 exists.

The patterns are general Chinese question and policy wording, matched on canonical text
(Simplified, half-width, Arabic numerals); `knowledge/index.py` applies them as a small
boost (W_INTENT) to its best candidates only, so they reorder close calls and never
bring in a passage the words did not find.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Intent:
    name: str
    # Found in the question: the question asks for this kind of answer.
    asks: re.Pattern[str]
    # Found in a passage: the passage gives that kind of answer.
    gives: re.Pattern[str]


def _intent(name: str, asks: str, gives: str) -> Intent:
    return Intent(name, re.compile(asks), re.compile(gives))


INTENTS: tuple[Intent, ...] = (
    _intent(
        "who",
        r"谁|哪个部门|哪个单位|哪家",
        r"负责|牵头|责任单位|承担|组织实施|主管",
    ),
    _intent(
        "where",
        r"哪里|哪儿|在哪|往哪|去哪|上哪|送到哪|哪扔",
        r"投放点|暂存点|收集点|处置中心|服务中心|处置厂|送至|运至|地点|场所|转运站|回收站",
    ),
    _intent(
        "when",
        r"什么时候|多久|几天|多长时间|何时|期限|截止|哪天",
        r"\d+(日|天|月|年|个工作日)|年底|以前|之前|期间|以内|定期",
    ),
    _intent(
        "how much",
        r"多少|几成|比例|百分之|几个|几类|几项|几级|几年",
        r"\d|%|以上|以下|不少于|不低于|不超过|[一二三四五六七八九十两]+(类|个|项|级)",
    ),
    _intent(
        "may I",
        r"能不能|可不可以|可以.*吗|行不行|让不让|允许|准不准|给不给|能.{0,12}[吗不]",
        r"严禁|禁止|不得|不准|杜绝|允许|鼓励|应当|必须|不予|可以",
    ),
    _intent(
        "must I",
        r"要不要|需不需要|用不用|非得|是不是要|[需得必]要?.{0,12}吗|要.{0,12}吗",
        r"必须|应当|应该|要求|一律|强制|严禁|不得|原则",
    ),
    _intent(
        "what now",
        r"咋办|怎么办|怎么处理|咋整|如何处理",
        r"报告|投诉|举报|处理|处罚|约谈|罚款|书面|申请",
    ),
    _intent(
        "why",
        r"为什么|为啥|凭啥|凭什么|什么原因|因为什么|干嘛要",
        r"为了|目的|意义|原因|旨在|确保|保障",
    ),
    _intent(
        "how to apply",
        r"怎么申请|如何申请|怎么办理|流程|手续|程序|步骤|上哪申请|去哪办|怎么报",
        r"申请|提出|报送|审核|审批|公示|程序|备案",
    ),
    _intent(
        "what is",
        r"是什么|啥意思|什么意思|是啥|干啥的|指什么|指啥",
        r"是指|也就是|包括|就是|分为|指的是",
    ),
)


def asked_intents(question: str) -> tuple[Intent, ...]:
    """The answer types a canonical question asks for (often none, sometimes two)."""
    return tuple(intent for intent in INTENTS if intent.asks.search(question))


def answer_cues(passage: str, intents: tuple[Intent, ...]) -> int:
    """How many of the asked answer types a passage's canonical text gives."""
    return sum(1 for intent in intents if intent.gives.search(passage))
