"""How staff write a schedule in chat, brought to the forms `parse_typed` reads.

The prompt shows `每周 一,四 19:00`; staff write 每周二 19:00, 每周一至周五 早上8点,
每个工作日 7点半, 每月1号 9:00, 每天晚上7点. Each becomes `HEAD rest` with a 24-hour
HH:MM clock: `每周 二 19:00`, `每周 一,二,三,四,五 08:00`, `每月 1 09:00`, `每天 19:00`.
Whatever this does not recognise is left as it was, for the parser to refuse.
"""

from __future__ import annotations

import re

_DAYS = "一二三四五六日天"
_HEADS = (
    (re.compile(r"^(?:每个?工作日|工作日)"), "每周 一,二,三,四,五 "),
    (re.compile(r"^(?:每天|每日|天天)"), "每天 "),
    (re.compile(r"^(?:每周|每星期|每礼拜)"), "每周 "),
    (re.compile(r"^每个?月"), "每月 "),
    (re.compile(r"^一次"), "一次 "),
)
# 早上7点, 晚上7点半, 19点30分, 下午3时: a clock in words.
_CLOCK = re.compile(
    r"(?:(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上)\s*)?(\d{1,2})\s*[点時时]\s*(?:(半)|(\d{1,2})\s*分?)?"
)
_AFTERNOON = {"下午", "傍晚", "晚上"}
_RANGE = re.compile(rf"([{_DAYS}])\s*(?:至|到|~|～|-|—)\s*(?:周|星期|礼拜)?([{_DAYS}])")


def _clock(found: re.Match[str]) -> str:
    part, hour, half, minute = found[1], int(found[2]), found[3], found[4]
    if (part in _AFTERNOON and hour < 12) or (part == "中午" and hour < 11):
        hour += 12
    elif part in ("晚上", "凌晨") and hour == 12:
        hour = 0  # 晚上12点 is midnight
    return f"{hour:02d}:{30 if half else int(minute or 0):02d}"


def _day_range(found: re.Match[str]) -> str:
    order = "一二三四五六日"
    first, last = (order.index("日" if d == "天" else d) for d in (found[1], found[2]))
    if last < first:
        return found[0]
    return ",".join(order[first : last + 1])


def as_typed_spec(text: str) -> str:
    """The text with a known head word spaced off, weekdays listed and clocks as HH:MM."""
    spec = text.strip().replace("：", ":").replace("，", ",")
    for pattern, replacement in _HEADS:
        if pattern.match(spec):
            spec = pattern.sub(replacement, spec, count=1)
            break
    else:
        return text
    spec = _CLOCK.sub(_clock, spec)
    head, _, rest = spec.partition(" ")
    if head == "每周":
        rest = re.sub(r"周|星期|礼拜", "", rest)
        rest = _RANGE.sub(_day_range, rest)
        rest = re.sub(r"\s*(?:和|及|与|、)\s*", ",", rest)
        rest = re.sub(rf"([{_DAYS}])(?=\d)", r"\1 ", rest)  # 二19:00 → 二 19:00
    elif head == "每月":
        rest = re.sub(r"(\d{1,2})\s*[号日]", r"\1 ", rest)
    return f"{head} {' '.join(rest.split())}"
