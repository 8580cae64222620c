"""Heading levels of Chinese official documents (一、 / （一） / 1. / ① / 第X条)."""

from __future__ import annotations

import re

CN_NUMERALS = "一二三四五六七八九十百零〇两"
_HEADING_PATTERNS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(rf"^第[{CN_NUMERALS}\d]+[章编部分]")),
    (2, re.compile(rf"^第[{CN_NUMERALS}\d]+节")),
    (3, re.compile(rf"^[{CN_NUMERALS}]+\s*[、.．]")),
    (3, re.compile(rf"^第[{CN_NUMERALS}\d]+条")),
    (4, re.compile(rf"^[(（]\s*[{CN_NUMERALS}]+\s*[)）]")),
    (5, re.compile(r"^\d{1,2}\s*[、.．](?!\d)")),
    (6, re.compile(r"^[(（]\s*\d{1,2}\s*[)）]")),
    (7, re.compile(r"^[①-⑳]")),
]


def heading_level(line: str) -> int | None:
    for level, pattern in _HEADING_PATTERNS:
        if pattern.match(line):
            return level
    return None
