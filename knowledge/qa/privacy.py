"""Personal details a resident may type into a question, taken out before it is reused.

A staff answer turns the resident's question into an FAQ entry that every later resident
may be shown; phone numbers, ID numbers, room numbers and names must not travel with it.
"""

from __future__ import annotations

import re

# Common surnames (the hundred most frequent cover ~85% of people); a name is one of them
# followed by one or two characters and a form of address, or given after 我叫/我是.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
_ADDRESS = "阿姨|大爷|大妈|大叔|奶奶|爷爷|师傅|老师|女士|先生|小姐|阿婆|阿公|姐|哥"
_PATTERNS = [
    # Mobile numbers, with or without separators, and landlines with an area code.
    re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"),
    re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)"),
    # Resident ID numbers.
    re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])"),
    # Building / unit / room as residents write them: 3号楼2单元301(室), 3栋201, 5-2-301.
    re.compile(r"\d+\s*(?:号楼|栋|幢|号院)\s*(?:\d+\s*单元)?\s*\d{2,4}\s*(?:室|号)?"),
    re.compile(r"(?<!\d)\d{1,3}-\d{1,2}-\d{3,4}(?!\d)"),
    re.compile(r"\d{3,4}\s*(?:室|房间)"),
    # Self-introductions and names with a form of address.
    re.compile(rf"我(?:叫|是|姓)\s*[{_SURNAMES}][\u4e00-\u9fff]{{0,2}}"),
    re.compile(rf"[{_SURNAMES}][\u4e00-\u9fff]?(?:{_ADDRESS})"),
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
]
_SPACES = re.compile(r"\s{2,}")
_LEFTOVER = re.compile(r"^[，,。、\s]+|[，,、\s]+$")


def redact(text: str) -> str:
    """The question with personal details removed (not masked: an FAQ needs none of it)."""
    for pattern in _PATTERNS:
        text = pattern.sub(" ", text)
    text = _SPACES.sub(" ", text)
    return _LEFTOVER.sub("", text).strip()
