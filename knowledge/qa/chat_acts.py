"""Messages that are no question: thanks, an acknowledgement, a greeting, a wish to report.

Residents end a chat with 谢谢 or 好的, open it with 在吗, and type 我要报修 where a button
would start the complaint flow. Taken as questions, these were declined ("答不上来") and
queued for staff as unanswered. A message is one of these acts only as a whole: after
canonical form (Simplified, half-width, lower case), with punctuation, emoji, spaces and
trailing particles dropped, so 谢谢，物业费怎么交 stays a question (the greeting is
stripped from it later, knowledge/qa/query.py).
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum

from knowledge.normalize import canonical
from knowledge.qa.query import ASKING


class ChatAct(Enum):
    THANKS = "thanks"
    ACK = "ack"
    GREETING = "greeting"
    REPORT = "report"  # wants to file a complaint or a repair: the complaint flow's button
    MY_TICKETS = "my tickets"  # asks how their own report is going: 我的工单, not the documents


# Longer than this (after dropping what is no word) is a sentence, never a bare act.
MAX_ACT_CHARS = 12

_WHO = r"(?:你|您|你们|您们|大家|各位|老师|同志|小助手|助手|机器人)"
_THANKS_WORD = r"(?:谢谢|多谢|感谢|谢了|谢啦|谢|辛苦了?|麻烦了?|费心了?)"
_ACK_WORD = (
    r"(?:好的?|好嘞|好吧|行|嗯+|哦+|噢+|ok|okay|收到|知道了|明白了?|懂了|了解了?|"
    r"可以了?|没事了?|没问题了?|不用了?|晓得了|清楚了)"
)
_GREETING_WORD = (
    r"(?:你好|您好|大家好|哈喽|hello|hi|嗨|在吗|在不在|在嘛|有人吗|有人在吗|"
    r"早上好|上午好|中午好|下午好|晚上好|早安|早|晚安)"
)
_REPORT_WORD = (
    r"(?:(?:我|俺|我们)?(?:要|想|想要|需要|得)?"
    r"(?:报修|报个修|报事|报个事|反映问题|反映个?情况|反映个?事|投诉|举报|报修一下|"
    r"投诉一下|反映一下|报一下修))"
)
_TAIL = r"[啊呀哈吧呢哦噢嘛啦了哟喔]*"
# 我要投诉物业, 我想报修水管: an explicit wish with what it is about, asking nothing.
_REPORT_ABOUT = re.compile(
    r"(?:我|俺|我们)(?:要|想|想要|需要)(?:报修|投诉|举报|反映)([\u4e00-\u9fff]{1,6})"
)
_ASKING = re.compile(r"[吗呢么啥嘛怎咋哪谁几否]|可以|多少|有没有|电话|热线|流程|方式|在哪")
# 之前报的事有结果没, 我投诉的问题处理了吗, 上次报修的怎么还没人来, 我的工单到哪一步了:
# about the resident's own case, which no document answers.
_OWN_CASE = re.compile(
    r"(?:我|俺|之前|上次|前几天|前天|昨天|上周|上个月)[^,.?!;]{0,6}?"
    r"(?:报|投诉|反映|提交|登记|报修|提)过?的[^,.?!;]{0,8}?"
    r"(?:结果|进度|怎么样|咋样|处理|办|回复|答复|消息|动静|下文|人管|解决|人来|到哪|没影)"
    r"|我的工单|工单(?:的)?(?:进度|到哪|怎么样|咋样|状态|处理)"
)
MAX_OWN_CASE_CHARS = 40
# How much of a long message is searched for a problem.
PROBLEM_SCAN_CHARS = 500
# A message that tells of a problem (declined, it also gets the complaint flow's button).
_PROBLEM = re.compile(
    r"坏了|坏掉|不亮|不灵|漏水|渗水|堵了|堵住|没水|停水|停电|没电|太吵|吵死|噪音|扰民|"
    r"乱停|乱扔|乱堆|乱倒|臭|没人管|没人修|不修|不管|脱落|开裂|裂了|塌了"
)

_ACTS: tuple[tuple[ChatAct, re.Pattern[str]], ...] = (
    (
        ChatAct.THANKS,
        re.compile(
            rf"(?:{_ACK_WORD}|{_GREETING_WORD})?{_THANKS_WORD}{_WHO}?(?:{_THANKS_WORD}{_WHO}?)*"
            rf"(?:{_ACK_WORD})?{_TAIL}"
        ),
    ),
    (ChatAct.ACK, re.compile(rf"(?:{_ACK_WORD}{_TAIL})+")),
    (ChatAct.GREETING, re.compile(rf"(?:{_GREETING_WORD}{_WHO}?{_TAIL})+")),
    (ChatAct.REPORT, re.compile(rf"{_REPORT_WORD}{_TAIL}")),
)


def _letters(canonical_text: str) -> str:
    """Letters and digits only: punctuation, emoji, spaces dropped."""
    return "".join(ch for ch in canonical_text if unicodedata.category(ch)[0] in "LN")


def chat_act(text: str) -> ChatAct | None:
    """The act a whole message is, or None when it is (or may be) a question."""
    if len(text) > MAX_OWN_CASE_CHARS * 4:
        return None
    canon = canonical(text)
    words = _letters(canon)
    if not words:
        return None
    if len(words) <= MAX_OWN_CASE_CHARS and _OWN_CASE.search(canon):
        return ChatAct.MY_TICKETS
    if len(words) > MAX_ACT_CHARS:
        return None
    for act, pattern in _ACTS:
        if pattern.fullmatch(words):
            return act
    about = _REPORT_ABOUT.fullmatch(words)
    if about is not None and not _ASKING.search(about.group(1)):
        return ChatAct.REPORT
    return None


# Up to this long, text that asks nothing is a reply to the step, not a question.
MAX_STEP_REPLY_CHARS = 10


def looks_like_a_step_reply(text: str) -> bool:
    """Short text that asks nothing (选好了, 同意, 好了, 下一步): what a resident types
    where a button was expected. A question (垃圾几点扔) is not one."""
    canon = canonical(text)
    asks = "?" in canon or ASKING.search(canon) is not None  # query.py's question words
    return 0 < len(_letters(canon)) <= MAX_STEP_REPLY_CHARS and not asks


def tells_of_problem(text: str) -> bool:
    """Whether a message reports something broken or a nuisance (楼道灯坏了没人修)."""
    return _PROBLEM.search(canonical(text[:PROBLEM_SCAN_CHARS])) is not None
