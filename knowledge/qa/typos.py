"""Homophone typos of pinyin input: 电体 → 电梯, 消防拴 → 消防栓, 结杆 → 秸秆.

Residents type with pinyin input methods, and the commonest slip is picking the wrong
character of the right sound. A question's stretch of two to four characters that is not a
known word, but reads (without tones) exactly like a known word that differs from it in one
character, is taken for that word. Known words are the passages' words plus the variants
and everyday words of our own tables, so 消防拴 finds 消防栓 even though the documents say
消火栓.

Kept narrow on purpose: one character differs and the rest is identical, the stretch itself
is not a word the documents use, and question words, pronouns and particles are never
replaced (谁管 must not become 水管). Readings come from pypinyin's single-character table
(heteronyms included), not its phrase dictionary, which is large and not needed here.
"""

from __future__ import annotations

import itertools
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

# pypinyin's documented switches: skip its phrase dictionary and the copy of its tables,
# which only its phrase-level API needs (import 0.26 s / +55 MiB RSS → 0.03 s / +12 MiB).
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
from pypinyin.pinyin_dict import pinyin_dict

# Characters a resident types on purpose in questions; never taken for a typo.
FUNCTION_CHARS = frozenset(
    "谁什么哪啥怎咋吗呢吧了的得地是不没我你他她它们这那个啊呀嘛哦呗啦咱俺有在和跟给让被把也都还就又再"
    "完好掉过着"
)
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
# Longest stretch considered, and the most reading combinations kept per word (heteronyms).
MAX_LEN = 4
MAX_COMBINATIONS = 8


@lru_cache(maxsize=8192)
def readings(char: str) -> tuple[str, ...]:
    """Toneless pinyin readings of one character ('' for one pypinyin does not know)."""
    raw = pinyin_dict.get(ord(char))
    if raw is None:
        return ("",)
    out: list[str] = []
    for reading in raw.split(","):
        plain = "".join(
            c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c)
        )
        if plain not in out:
            out.append(plain)
    return tuple(out)


def _keys(word: str) -> list[tuple[str, ...]]:
    """Every reading of a known word (楼长 is lou zhang, not lou chang), capped."""
    combos = itertools.product(*(readings(c) for c in word))
    return [k for k in itertools.islice(combos, MAX_COMBINATIONS) if "" not in k]


def _typed_key(piece: str) -> tuple[str, ...]:
    """What a resident typed, by each character's first (commonest) reading: a character
    picked from the input method's list for a syllable is picked by its usual sound (能 is
    neng, not its rare tai)."""
    return tuple(readings(c)[0] for c in piece)


def _no_frequency(word: str) -> float:
    return 0.0


class TypoCorrector:
    """Corrects single-character homophone typos against a set of known words."""

    def __init__(
        self,
        words: Iterable[str],
        targets: Iterable[str],
        is_word: Callable[[str], bool],
        frequency: Callable[[str], float] = _no_frequency,
    ) -> None:
        """`words`: the words of the documents (never corrected); `targets`: the words a
        typo may be corrected to (real words, not the HMM fragments of the documents);
        `is_word`: a general dictionary's test (jieba's), for words the documents lack;
        `frequency`: how common a target is (in the passages, then in general Chinese).

        Where several targets read like the typed stretch (期间 and 其间 for 其间), the
        commonest wins, then the lowest code points: candidates are kept sorted, so the
        answer never depends on set iteration order (PYTHONHASHSEED).
        """
        self.is_word = is_word
        self.known = {w for w in words if 2 <= len(w) <= MAX_LEN and _CJK_RUN.fullmatch(w)}
        self.by_sound: dict[tuple[str, ...], list[str]] = {}
        ranked = sorted(
            {w for w in targets if 2 <= len(w) <= MAX_LEN and _CJK_RUN.fullmatch(w)},
            key=lambda w: (-frequency(w), w),
        )
        for word in ranked:
            self.known.add(word)
            for key in _keys(word):
                self.by_sound.setdefault(key, []).append(word)

    def _candidate(self, piece: str) -> tuple[str, int] | None:
        """(word, index of the replaced character) for a typo, else None."""
        if self._word(piece):
            return None
        for word in self.by_sound.get(_typed_key(piece), ()):
            diff = [i for i, (a, b) in enumerate(zip(piece, word, strict=True)) if a != b]
            if len(diff) == 1 and piece[diff[0]] not in FUNCTION_CHARS:
                return word, diff[0]
        return None

    def _word(self, piece: str) -> bool:
        return piece in self.known or self.is_word(piece)

    def _explained(self, text: str, start: int, end: int, pos: int) -> bool:
        """Whether text[start:end] is not a typo of one word: its replaced character at
        `pos` belongs to a real word (几 in 几个), or a real word crosses its edges
        (人同 in 多少人同意, where 同意 is the word)."""
        for size in range(2, MAX_LEN + 1):
            for a in range(max(0, min(start, pos) - size + 1), min(end, len(text) - size) + 1):
                b = a + size
                inside = start <= a and b <= end
                crosses = a < start < b or a < end < b
                if (crosses or (not inside and a <= pos < b)) and self._word(text[a:b]):
                    return True
        return False

    def _step(self, run: str, i: int) -> tuple[str, str | None]:
        """At run[i]: (the text consumed there, the word it stands for when a typo)."""
        for size in range(min(MAX_LEN, len(run) - i), 1, -1):
            piece = run[i : i + size]
            if piece in self.known:
                return piece, None  # a known word: keep it whole, do not look inside
            found = self._candidate(piece)
            if found is not None and not self._explained(run, i, i + size, i + found[1]):
                return piece, found[0]
        return run[i], None

    def correct(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """`text` with typos replaced, and the (typo, word) pairs replaced."""
        fixes: list[tuple[str, str]] = []
        pieces: list[str] = []
        last = 0
        for match in _CJK_RUN.finditer(text):
            run = match.group()
            pieces.append(text[last : match.start()])
            i = 0
            while i < len(run):
                piece, word = self._step(run, i)
                if word is not None:
                    fixes.append((piece, word))
                pieces.append(piece if word is None else word)
                i += len(piece)
            last = match.end()
        pieces.append(text[last:])
        return ("".join(pieces), fixes) if fixes else (text, [])
