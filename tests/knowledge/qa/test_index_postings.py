"""The postings built a chunk at a time equal a plain whole-corpus computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from knowledge.qa import postings
from knowledge.qa.postings import (
    K1,
    W_HEAD,
    B,
    IndexEntry,
    Postings,
    bigram_keys,
    bigram_postings,
    word_postings,
)


def _entry(i: int, body: str, head: str = "", bigram: str | None = None) -> IndexEntry:
    return IndexEntry(
        passage_id=i,
        kind="doc",
        text=body,
        source="test",
        body=tuple(body.split()),
        head=tuple(head.split()),
        bigram_text=body.replace(" ", "") if bigram is None else bigram,
    )


ENTRIES = [
    _entry(0, "电梯 加装 电梯 业主", "加装 电梯"),
    _entry(1, "", "", ""),  # nothing to index at all
    _entry(2, "消防 通道 停车", "消防"),
    _entry(3, "电梯 维修", "", "电梯维修\n由物业负责"),  # a line break inside a passage
    _entry(4, "业主 出资 电梯", "出资 业主 业主"),
    _entry(5, "abc 12", "", "abc12"),  # no CJK bigrams
    _entry(6, "停车 收费 停车", "停车"),
]


def _reference(
    n: int, occurrences: list[tuple[int, int, float]]
) -> dict[int, tuple[list[int], list[float], float]]:
    """Term key → (docs, saturated tf, idf), computed term by term in plain Python with
    numpy's float32 rounding where the index stores float32."""
    lengths = np.zeros(max(n, 1), dtype=np.float64)
    tf: dict[tuple[int, int], float] = {}
    for term, doc, weight in occurrences:
        lengths[doc] += weight
        tf[term, doc] = tf.get((term, doc), 0.0) + weight
    lengths32 = lengths.astype(np.float32)
    avg = float(lengths32[:n].mean())
    out: dict[int, tuple[list[int], list[float], float]] = {}
    for term in sorted({t for t, _ in tf}):
        docs = sorted(d for t, d in tf if t == term)
        vals = []
        for d in docs:
            norm = np.float32(K1) * (
                np.float32(1 - B) + np.float32(B) * lengths32[d] / np.float32(max(avg, 1e-6))
            )
            vals.append(float(np.float32(tf[term, d] * (K1 + 1) / (tf[term, d] + float(norm)))))
        df = len(docs)
        out[term] = (docs, vals, float(np.float32(math.log(1 + (n - df + 0.5) / (df + 0.5)))))
    return out


def _check(built: Postings, expected: dict[int, tuple[list[int], list[float], float]]) -> None:
    assert built.keys.tolist() == list(expected)
    for key, (docs, vals, idf) in expected.items():
        got_docs, got_vals, got_idf = built.postings(key)
        assert got_docs.tolist() == docs
        assert got_vals.tolist() == pytest.approx(vals, rel=1e-6)
        assert got_idf == pytest.approx(idf, rel=1e-6)
    assert built.indptr[-1] == built.docs.size == built.vals.size


def test_word_postings_match_a_plain_computation() -> None:
    vocab, built = word_postings(ENTRIES)
    # Keys in order of first use, body before heading, passage by passage.
    first_used = "电梯 加装 业主 消防 通道 停车 维修 出资 abc 12 收费"
    assert list(vocab) == first_used.split()
    occurrences = [
        (vocab[t], i, weight)
        for i, e in enumerate(ENTRIES)
        for field, weight in ((e.body, 1.0), (e.head, W_HEAD))
        for t in field
    ]
    _check(built, _reference(len(ENTRIES), occurrences))


def test_bigram_postings_match_a_plain_computation() -> None:
    built = bigram_postings(ENTRIES)
    occurrences = [
        (int(key), i, 1.0) for i, e in enumerate(ENTRIES) for key in bigram_keys(e.bigram_text)
    ]
    _check(built, _reference(len(ENTRIES), occurrences))


@pytest.mark.parametrize("chunk", [1, 2, 3, 5])
def test_chunk_size_changes_nothing(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    whole_vocab, whole_words = word_postings(ENTRIES)
    whole_bigrams = bigram_postings(ENTRIES)
    monkeypatch.setattr(postings, "CHUNK_DOCS", chunk)
    vocab, words = word_postings(ENTRIES)
    bigrams = bigram_postings(ENTRIES)
    assert list(vocab.items()) == list(whole_vocab.items())
    for a, b in ((whole_words, words), (whole_bigrams, bigrams)):
        for name in Postings.ARRAYS:
            assert getattr(a, name).dtype == getattr(b, name).dtype
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert a.unknown_idf == b.unknown_idf


@pytest.mark.parametrize("entries", [[], [_entry(0, "", "", "")], [_entry(0, "a", "", "x")]])
def test_nothing_to_index(entries: list[IndexEntry]) -> None:
    vocab, words = word_postings(entries)
    bigrams = bigram_postings(entries)
    assert bigrams.keys.size == 0
    assert bigrams.indptr.tolist() == [0]
    assert bigrams.postings(123)[2] == -1.0
    assert words.keys.size == len(vocab)
    assert words.postings(len(vocab))[2] == -1.0
