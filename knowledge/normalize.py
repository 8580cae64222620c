"""Text normalisation shared by documents and questions.

Two layers:

* `clean_display` turns raw imported text into what a resident may see: Traditional →
  Simplified (OpenCC t2s), full-width ASCII → half-width, pinyin annotations such as
  `小區(qū)` removed, zero-width / control / replacement characters dropped. Circled
  numbers (①) and Chinese brackets are kept, because they carry structure.
* `canonical` is the index form, applied identically to passages and questions: NFKC,
  lower case, whitespace removed and numbers unified so that `三分之二`, `2/3`,
  `百分之五十`, `50%`, `五个工作日` and `5个工作日` compare equal. Only the index uses
  it; passage text shown to residents is never rewritten this way.
"""

from __future__ import annotations

import re
import threading
import unicodedata

import opencc

_converter_lock = threading.Lock()
_converter: opencc.OpenCC | None = None


def _t2s(text: str) -> str:
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                _converter = opencc.OpenCC("t2s")
    return str(_converter.convert(text))


# A pinyin annotation is a parenthesised run of latin letters with at least one tone mark
# (or ü), inserted right after a CJK character: `小區(qū)`, `導(dǎo)`, `實(shí)`. Real parentheses
# such as `(一)` or `(三)规范收集运输` contain CJK text and are left alone.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_PINYIN_NOTE = re.compile(
    rf"(?<=[\u3400-\u9fff])[(（]\s*[a-z{_TONED}]*[{_TONED}][a-z{_TONED}]*\s*[)）]",
    re.IGNORECASE,
)
# Zero-width characters, BOM, soft hyphen, the replacement character and C0/C1 controls
# (newline and tab excepted).
_STRAY = re.compile(
    r"[\u200b-\u200f\u2028\u2029\u2060-\u2064\ufeff\u00ad\ufffd\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)
_ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_BACKTICK_NOISE = re.compile(r"(?<=[\u3400-\u9fff])[`'.](?=[\u3400-\u9fff，,。])")


def _fullwidth_ascii_to_half(text: str) -> str:
    return text.translate(_FW_TABLE)


_FW_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def clean_display(text: str) -> str:
    """Raw document/question text → cleaned Simplified text, structure kept."""
    text = _STRAY.sub("", text)
    text = _ODD_SPACES.sub(" ", text)
    text = _fullwidth_ascii_to_half(text)
    text = _PINYIN_NOTE.sub("", text)
    text = _t2s(text)
    # Scraped pages leave stray backticks/apostrophes inside words ("的`管理", "的.宣传").
    return _BACKTICK_NOISE.sub("", text)


_CJK = r"[\u3400-\u9fff\u201c\u201d\u3001\u3002]"
_ASCII_PUNCT = re.compile(rf"(?<={_CJK})[,;:?!]|[,;:?!](?={_CJK})")
_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}


def display_punctuation(text: str) -> str:
    """Chinese punctuation for what residents read: `可以,带上` → `可以，带上`.

    Cleaning folds full-width punctuation to ASCII (and scraped pages already mix the
    two); next to Chinese characters the full-width form is what people expect.
    Parentheses and full stops stay as they are: `(一)` headings and `1.5` numbers.
    """
    return _ASCII_PUNCT.sub(lambda m: _FULL[m.group()], text)


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "零〇一二两三四五六七八九十百千万"


def chinese_to_int(text: str) -> int | None:
    """`五` → 5, `十二` → 12, `二十五` → 25, `三百零五` → 305, `两万` → 20000."""
    if not text or any(ch not in _CN_NUM for ch in text):
        return None
    total, section, number = 0, 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            number = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (number or 1) * _CN_UNITS[ch]
            number = 0
        elif ch == "万":
            total += (section + number) * 10000
            section, number = 0, 0
    return total + section + number


_NUM = rf"(?:\d+(?:\.\d+)?|[{_CN_NUM}]+)"
_PERCENT = re.compile(rf"百分之({_NUM})")
_FRACTION = re.compile(rf"({_NUM})分之({_NUM})")
# Chinese numerals are rewritten only before a measure word / unit, so words such as
# 统一, 一是, 一户一表 or 第一 keep their characters and still segment as words.
_UNIT = "个年月日天号次人户栋名岁元项类条层米周倍位家座批间辆台幢成届期轮"
_CN_BEFORE_UNIT = re.compile(
    rf"(?<![第{_CN_NUM}])([{_CN_NUM}]+)(?=[{_UNIT}]|小时|分钟|工作日|平方)"
)
_SPACES = re.compile(r"\s+")


def _as_number(token: str) -> str:
    if token[0].isdigit():
        return token
    value = chinese_to_int(token)
    return token if value is None else str(value)


def normalize_numbers(text: str) -> str:
    text = _PERCENT.sub(lambda m: f"{_as_number(m[1])}%", text)
    text = _FRACTION.sub(lambda m: f"{_as_number(m[2])}/{_as_number(m[1])}", text)
    return _CN_BEFORE_UNIT.sub(lambda m: _as_number(m[1]), text)


def canonical(text: str) -> str:
    """Index form: cleaned, NFKC, lower case, no whitespace, numbers unified."""
    text = clean_display(text)
    text = unicodedata.normalize("NFKC", text).lower()
    text = _SPACES.sub("", text)
    return normalize_numbers(text)


def compare_form(text: str) -> str:
    """The eval's comparison form: t2s, NFKC, whitespace removed."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", _t2s(text)))


# Speech puts a classifier inside a verb-object phrase (装个电梯, 扯根线, 出点钱, 搭个棚):
# the documents and our tables have the plain phrase (装电梯, 扯线, 出钱). Question side only.
_VERBS = "装建搭扯拉接修改换盖挖开种养放安砌铺弄办签交出花打停堆贴挂烧砍搬"
_CLASSIFIERS = "个根条块把台部点些间辆棵张"
_CLASSIFIER_IN_PHRASE = re.compile(rf"(?<=[{_VERBS}])[{_CLASSIFIERS}](?=[\u3400-\u9fff])")


def drop_phrase_classifiers(text: str) -> str:
    """装个电梯 → 装电梯, 扯根线 → 扯线 (canonical question text)."""
    return _CLASSIFIER_IN_PHRASE.sub("", text)
