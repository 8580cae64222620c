"""Postings: the passages' terms and character bigrams as sorted numpy CSR arrays.

Built once per index from the tokens stored in SQLite (no jieba), or loaded from the
index file saved beside the database (knowledge/qa/index_cache.py): every array here is
plain numpy, so it saves and loads without pickling Python objects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

K1 = 0.8
B = 0.3
W_HEAD = 0.75


@dataclass(frozen=True)
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


class Postings:
    """CSR postings keyed by int64 term keys, kept sorted for `np.searchsorted` lookup.

    For term key t at position i of `keys`, docs[indptr[i]:indptr[i+1]] are the passages
    containing it and vals the BM25-saturated term frequencies.
    """

    def __init__(
        self,
        n_docs: int,
        term_keys: npt.NDArray[np.int64],
        doc_ids: npt.NDArray[np.int64],
        weights: npt.NDArray[np.float64],
    ) -> None:
        n = max(n_docs, 1)
        self.unknown_idf = float(math.log(1 + (n_docs + 0.5) / 0.5))
        lengths = np.bincount(doc_ids, weights=weights, minlength=n).astype(np.float32)
        if term_keys.size == 0:
            self.keys = np.zeros(0, dtype=np.int64)
            self.indptr = np.zeros(1, dtype=np.int64)
            self.docs, self.vals = _EMPTY_DOCS, _EMPTY_VALS
            self.idf = np.zeros(0, dtype=np.float32)
            return
        combined = term_keys * n + doc_ids
        uniq, inverse = np.unique(combined, return_inverse=True)
        tf = np.bincount(inverse, weights=weights)
        term_of = uniq // n
        self.docs = (uniq % n).astype(np.int32)
        starts = np.flatnonzero(np.r_[True, term_of[1:] != term_of[:-1]])
        self.keys = term_of[starts]
        self.indptr = np.r_[starts, uniq.size].astype(np.int64)
        avg = float(lengths[:n_docs].mean()) if n_docs else 1.0
        norm = K1 * (1 - B + B * lengths[self.docs] / max(avg, 1e-6))
        self.vals = (tf * (K1 + 1) / (tf + norm)).astype(np.float32)
        df = np.diff(self.indptr).astype(np.float64)
        self.idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)

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


def word_postings(
    entries: Sequence[IndexEntry],
) -> tuple[dict[str, int], Postings]:
    vocab: dict[str, int] = {}
    get = vocab.setdefault
    tids: list[int] = []
    dids: list[int] = []
    weights: list[float] = []
    for doc, e in enumerate(entries):
        tids.extend(get(t, len(vocab)) for t in e.body)
        tids.extend(get(t, len(vocab)) for t in e.head)
        dids.extend([doc] * (len(e.body) + len(e.head)))
        weights.extend([1.0] * len(e.body))
        weights.extend([W_HEAD] * len(e.head))
    postings = Postings(
        len(entries),
        np.asarray(tids, dtype=np.int64),
        np.asarray(dids, dtype=np.int64),
        np.asarray(weights, dtype=np.float64),
    )
    return vocab, postings


def bigram_keys(text: str) -> npt.NDArray[np.int64]:
    """CJK character bigrams as int64 keys (code point pairs), no Python-level loop."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    if codes.size < 2:
        return np.zeros(0, dtype=np.int64)
    cjk = (codes >= 0x3400) & (codes <= 0x9FFF)
    ok = cjk[:-1] & cjk[1:]
    return (codes[:-1] << 21 | codes[1:])[ok]


def bigram_postings(entries: Sequence[IndexEntry]) -> Postings:
    # One concatenated string ("\n"-separated, so no bigram spans two passages) turned into
    # code points by numpy: ~50x faster and far smaller than Python bigram strings.
    joined = "\n".join(e.bigram_text for e in entries)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter((len(e.bigram_text) + 1 for e in entries), np.int64, len(entries))
    doc_of_char = np.repeat(np.arange(len(entries), dtype=np.int64), lengths)[: codes.size]
    if codes.size < 2:
        empty = np.zeros(0, dtype=np.int64)
        return Postings(len(entries), empty, empty, np.zeros(0, dtype=np.float64))
    cjk = (codes >= 0x3400) & (codes <= 0x9FFF)
    ok = cjk[:-1] & cjk[1:]
    keys = (codes[:-1] << 21 | codes[1:])[ok]
    docs = doc_of_char[:-1][ok]
    return Postings(len(entries), keys, docs, np.ones(keys.size, dtype=np.float64))
