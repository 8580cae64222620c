"""Sanity checks for the built-in FAQ data (knowledge/qa/data/faq.json)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import opencc
import pytest

FAQ_PATH = Path(__file__).resolve().parents[3] / "knowledge" / "qa" / "data" / "faq.json"

ALLOWED_CATEGORIES = {
    "renovation",
    "consent",
    "process",
    "funding",
    "garbage",
    "fire",
    "complaint",
    "voting",
    "governance",
    "bot",
}
# Minimum number of entries per category. Renovation scope/classes/order live in
# "renovation"; the step-by-step process and public notice (公示) live in "process".
CATEGORY_MINIMUMS = {
    "renovation": 10,
    "consent": 8,
    "process": 3,
    "funding": 6,
    "garbage": 10,
    "fire": 10,
    "complaint": 6,
    "voting": 5,
    "governance": 4,
    "bot": 4,
}
MIN_PUBLIC_NOTICE_ENTRIES = 3
MAX_ANSWER_CHARS = 400
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Punctuation and whitespace do not make two phrasings different.
_STRIP_RE = re.compile(r"[\s\W_]+", re.UNICODE)


def _normalise(question: str) -> str:
    return _STRIP_RE.sub("", unicodedata.normalize("NFKC", question)).lower()


@pytest.fixture(scope="module")
def faq() -> list[dict[str, Any]]:
    data = json.loads(FAQ_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def test_has_enough_entries(faq: list[dict[str, Any]]) -> None:
    assert len(faq) >= 60


def test_entry_shape(faq: list[dict[str, Any]]) -> None:
    for entry in faq:
        assert set(entry) == {"id", "category", "questions", "answer", "source"}, entry.get("id")
        assert isinstance(entry["id"], str)
        assert ID_RE.match(entry["id"]), entry["id"]
        assert isinstance(entry["source"], str)
        assert entry["source"].strip(), entry["id"]


def test_ids_unique(faq: list[dict[str, Any]]) -> None:
    counts = Counter(entry["id"] for entry in faq)
    assert [i for i, n in counts.items() if n > 1] == []


def test_categories_allowed(faq: list[dict[str, Any]]) -> None:
    bad = {e["id"]: e["category"] for e in faq if e["category"] not in ALLOWED_CATEGORIES}
    assert bad == {}


def test_category_minimums(faq: list[dict[str, Any]]) -> None:
    counts = Counter(entry["category"] for entry in faq)
    short = {c: counts.get(c, 0) for c, m in CATEGORY_MINIMUMS.items() if counts.get(c, 0) < m}
    assert short == {}


def test_public_notice_covered(faq: list[dict[str, Any]]) -> None:
    notice = [e for e in faq if e["category"] == "process" and "公示" in e["answer"]]
    assert len(notice) >= MIN_PUBLIC_NOTICE_ENTRIES


def test_questions_distinct_within_entry(faq: list[dict[str, Any]]) -> None:
    for entry in faq:
        questions = entry["questions"]
        assert isinstance(questions, list), entry["id"]
        assert 4 <= len(questions) <= 6, entry["id"]
        assert all(isinstance(q, str) and q.strip() for q in questions), entry["id"]
        assert len({_normalise(q) for q in questions}) == len(questions), entry["id"]


def test_no_duplicate_questions_across_entries(faq: list[dict[str, Any]]) -> None:
    owners: dict[str, str] = {}
    clashes: list[tuple[str, str, str]] = []
    for entry in faq:
        for q in entry["questions"]:
            key = _normalise(q)
            if key in owners and owners[key] != entry["id"]:
                clashes.append((q, owners[key], entry["id"]))
            owners.setdefault(key, entry["id"])
    assert clashes == []


def test_answers_non_empty_and_short(faq: list[dict[str, Any]]) -> None:
    for entry in faq:
        answer = entry["answer"]
        assert isinstance(answer, str), entry["id"]
        assert answer.strip(), entry["id"]
        assert len(answer) <= MAX_ANSWER_CHARS, (entry["id"], len(answer))


def test_answers_are_simplified(faq: list[dict[str, Any]], t2s: opencc.OpenCC) -> None:
    traditional = [e["id"] for e in faq if t2s.convert(e["answer"]) != e["answer"]]
    assert traditional == []


def test_questions_are_simplified(faq: list[dict[str, Any]], t2s: opencc.OpenCC) -> None:
    traditional = [q for e in faq for q in e["questions"] if t2s.convert(q) != q]
    assert traditional == []


def test_file_is_utf8_unescaped() -> None:
    raw = FAQ_PATH.read_text(encoding="utf-8")
    assert "\\u" not in raw  # written with ensure_ascii=False
