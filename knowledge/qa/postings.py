"""Postings: the passages' terms and character bigrams as sorted numpy CSR arrays.

Built once per index from the tokens stored in SQLite (no jieba), or loaded from the
index file saved beside the database (knowledge/qa/index_cache.py): every array here is
plain numpy, so it saves and loads without pickling Python objects.

Built CHUNK_DOCS passages at a time: each chunk's occurrences are reduced to its distinct
(term, passage, tf) triples, and a counting sort then places all chunks' triples in their
terms' rows. At 100k passages this holds ~260 MB at most, where sorting every occurrence
of the corpus at once (np.unique over int64 arrays) held 1.2 GB; the arrays are the same
to the last bit (tests/knowledge/qa/test_index_postings.py).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

K1 = 0.8
B = 0.3
W_HEAD = 0.75


# Slots: no per-instance __dict__, ~15 MB less at 100k passages.
@dataclass(frozen=True, slots=True)
class IndexEntry:
    passage_id: int
    kind: str
    text: str
    source: str
    body: tuple[str, ...]
    head: tuple[str, ...]
    bigram_text: str


_EMPTY_DOCS = np.zeros(0, dtype=np.int32)
_EMPTY_VALS = np.zeros(0, dtype=np.float32)
# Passages per building step. Building holds the raw terms and bigrams of one chunk at a
# time and only the compact (term, passage, tf) triples of all of them: at 100k passages
# the whole-corpus int64 arrays and their np.unique sort took the build to a 1.7 GB peak.
CHUNK_DOCS = 4096
# The CJK range of bigram keys (bigram_keys), which are (first << 21 | second) as int64.
_CJK_FIRST = 0x3400
_CJK_SPAN = 0x9FFF - 0x3400 + 1


class Postings:
    """CSR postings keyed by int64 term keys, kept sorted for `np.searchsorted` lookup.

    For term key t at position i of `keys`, docs[indptr[i]:indptr[i+1]] are the passages
    containing it (ascending) and vals the BM25-saturated term frequencies.
    """

    keys: npt.NDArray[np.int64]
    indptr: npt.NDArray[np.int64]
    docs: npt.NDArray[np.int32]
    vals: npt.NDArray[np.float32]
    idf: npt.NDArray[np.float32]
    unknown_idf: float

    # What the index file holds of these postings (see knowledge/qa/index_cache.py).
    ARRAYS = ("keys", "indptr", "docs", "vals", "idf")

    def to_arrays(self, prefix: str) -> dict[str, npt.NDArray[np.generic]]:
        arrays: dict[str, npt.NDArray[np.generic]] = {
            f"{prefix}{name}": getattr(self, name) for name in self.ARRAYS
        }
        arrays[f"{prefix}unknown_idf"] = np.asarray(self.unknown_idf, dtype=np.float64)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[np.generic]], prefix: str) -> Postings:
        """Postings as saved by `to_arrays`, without recomputing anything."""
        self = cls.__new__(cls)
        for name in cls.ARRAYS:
            setattr(self, name, arrays[f"{prefix}{name}"])
        self.unknown_idf = float(arrays[f"{prefix}unknown_idf"])
        return self

    def postings(self, key: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32], float]:
        """(docs, saturated tf, idf) of a term key; idf -1 when the term is unknown."""
        i = int(np.searchsorted(self.keys, key))
        if i >= self.keys.size or int(self.keys[i]) != key:
            return _EMPTY_DOCS, _EMPTY_VALS, -1.0
        start, end = int(self.indptr[i]), int(self.indptr[i + 1])
        return self.docs[start:end], self.vals[start:end], float(self.idf[i])


@dataclass
class _Chunk:
    """One chunk's distinct (term, passage) pairs, sorted by term then passage."""

    terms: npt.NDArray[np.int32]
    docs: npt.NDArray[np.int32]
    tf: npt.NDArray[np.float32]


def _pairs(
    terms: npt.NDArray[np.int64],
    local_docs: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64] | None,
    first_doc: int,
    n_docs: int,
) -> _Chunk:
    """Raw (term, passage[, weight]) occurrences of one chunk → its distinct pairs."""
    if weights is None:
        combined, tf = np.unique(terms * n_docs + local_docs, return_counts=True)
    else:
        combined, inverse = np.unique(terms * n_docs + local_docs, return_inverse=True)
        tf = np.bincount(inverse, weights=weights)
    return _Chunk(
        (combined // n_docs).astype(np.int32),
        (combined % n_docs + first_doc).astype(np.int32),
        # Sums of 1 and W_HEAD (0.75): exact in float32, and widened back exactly.
        tf.astype(np.float32),
    )


def _assemble(
    chunks: list[_Chunk],
    keys: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.float32],
    n_docs: int,
) -> Postings:
    """CSR postings from chunks whose `terms` index `keys` (every key used), in passage
    order: a counting sort that places each chunk's pairs and frees them, so no sort of
    all pairs (nor its permutation array) is ever held."""
    self = Postings.__new__(Postings)
    self.unknown_idf = float(math.log(1 + (n_docs + 0.5) / 0.5))
    counts = np.zeros(keys.size, dtype=np.int64)
    for chunk in chunks:
        counts += np.bincount(chunk.terms, minlength=keys.size)
    self.keys = keys
    self.indptr = np.zeros(keys.size + 1, dtype=np.int64)
    np.cumsum(counts, out=self.indptr[1:])
    total = int(self.indptr[-1])
    self.docs = np.empty(total, dtype=np.int32) if total else _EMPTY_DOCS
    self.vals = np.empty(total, dtype=np.float32) if total else _EMPTY_VALS
    avg = float(lengths[:n_docs].mean()) if n_docs else 1.0
    cursor = self.indptr[:-1].copy()
    while chunks:
        chunk = chunks.pop(0)
        # Rank of each pair among its term's pairs in this chunk (terms are sorted).
        rank = np.arange(chunk.terms.size) - np.searchsorted(chunk.terms, chunk.terms)
        dest = cursor[chunk.terms] + rank
        self.docs[dest] = chunk.docs
        tf = chunk.tf.astype(np.float64)
        norm = K1 * (1 - B + B * lengths[chunk.docs] / max(avg, 1e-6))
        self.vals[dest] = (tf * (K1 + 1) / (tf + norm)).astype(np.float32)
        cursor += np.bincount(chunk.terms, minlength=keys.size)
    df = np.diff(self.indptr).astype(np.float64)
    self.idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    return self


def word_postings(
    entries: Sequence[IndexEntry],
) -> tuple[dict[str, int], Postings]:
    """The vocabulary (term → key, in order of first use) and the terms' postings; a
    heading term counts W_HEAD of a body term."""
    # Terms get their keys as first met, in C (no Python loop per token).
    numbering: defaultdict[str, int] = defaultdict(itertools.count().__next__)
    key_of = numbering.__getitem__
    n = len(entries)
    lengths = np.zeros(max(n, 1), dtype=np.float64)
    chunks: list[_Chunk] = []
    for start in range(0, n, CHUNK_DOCS):
        part = entries[start : start + CHUNK_DOCS]
        fields = [f for e in part for f in (e.body, e.head)]
        terms = np.fromiter(map(key_of, itertools.chain.from_iterable(fields)), np.int64)
        sizes = np.fromiter(map(len, fields), np.int64, len(fields))
        weights = np.repeat(np.tile(np.array([1.0, W_HEAD]), len(part)), sizes)
        local = np.repeat(np.arange(len(part), dtype=np.int64), sizes[0::2] + sizes[1::2])
        lengths[start : start + len(part)] = sizes[0::2] + W_HEAD * sizes[1::2]
        if terms.size:
            chunks.append(_pairs(terms, local, weights, start, len(part)))
    vocab = dict(numbering)
    keys = np.arange(len(vocab), dtype=np.int64)
    return vocab, _assemble(chunks, keys, lengths.astype(np.float32), n)


def bigram_keys(text: str) -> npt.NDArray[np.int64]:
    """CJK character bigrams as int64 keys (code point pairs), no Python-level loop."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    if codes.size < 2:
        return np.zeros(0, dtype=np.int64)
    cjk = (codes >= _CJK_FIRST) & (codes < _CJK_FIRST + _CJK_SPAN)
    ok = cjk[:-1] & cjk[1:]
    return (codes[:-1] << 21 | codes[1:])[ok]


def bigram_postings(entries: Sequence[IndexEntry]) -> Postings:
    n = len(entries)
    lengths = np.zeros(max(n, 1), dtype=np.float32)
    chunks: list[_Chunk] = []
    for start in range(0, n, CHUNK_DOCS):
        part = entries[start : start + CHUNK_DOCS]
        # One "\n"-separated string per chunk (no bigram spans two passages) turned into
        # code points by numpy: ~50x faster and far smaller than Python bigram strings.
        joined = "\n".join(e.bigram_text for e in part)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        cjk = (codes >= _CJK_FIRST) & (codes < _CJK_FIRST + _CJK_SPAN)
        first = np.flatnonzero(cjk[:-1] & cjk[1:])
        if first.size == 0:
            continue
        # As _CJK_SPAN-based codes, which fit int32 and sort as the int64 keys do.
        keys = (codes[first] - _CJK_FIRST) * _CJK_SPAN + (codes[first + 1] - _CJK_FIRST)
        # The passage of each bigram, from where each passage (and its "\n") ends.
        ends = np.cumsum(np.fromiter((len(e.bigram_text) + 1 for e in part), np.int64))
        local = np.searchsorted(ends, first, side="right")
        lengths[start : start + len(part)] = np.bincount(local, minlength=len(part))
        chunks.append(_pairs(keys, local, None, start, len(part)))
    if not chunks:
        return _assemble([], np.zeros(0, dtype=np.int64), lengths, n)
    used = np.unique(np.concatenate([np.unique(c.terms) for c in chunks]))
    for chunk in chunks:  # codes → positions in `used`, which keeps them sorted
        chunk.terms = np.searchsorted(used, chunk.terms).astype(np.int32)
    first_char, second_char = np.divmod(used.astype(np.int64), _CJK_SPAN)
    keys = (first_char + _CJK_FIRST) << 21 | (second_char + _CJK_FIRST)
    return _assemble(chunks, keys, lengths, n)
