"""The optional semantic stage (knowledge/qa/semantic.py).

The rerank arithmetic, storage format, laziness and the off switch are tested with a
small deterministic encoder of our own (character counts), so they run everywhere. The
real encoder (an optional package, not yet a dependency) is measured by
bench/kb_semantic.py, in its own virtual environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pytest

from knowledge.qa import semantic
from knowledge.qa.semantic import (
    ENV,
    SEMANTIC_FEATURES,
    SemanticReranker,
    from_blob,
    passage_text,
    semantic_enabled,
    similarity_evidence,
    to_blob,
)


class CharEncoder:
    """Counts of a few characters: similarity = shared topic characters."""

    name = "chars:1"
    vocab = "电车充楼道垃圾分类装修漏水狗"
    dim = len(vocab)
    calls = 0

    def __init__(self) -> None:
        type(self).calls += 1

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for r, t in enumerate(texts):
            for c in t:
                i = self.vocab.find(c)
                if i >= 0:
                    out[r, i] += 1
        out[:, 0] += 1e-3  # no zero rows
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


@dataclass(frozen=True)
class Cand:
    text: str
    score: float


def _rerank(
    query: str, cands: list[Cand], *, weight: float = 1.0, depth: int = 30
) -> list[semantic.Scored[Cand]]:
    r = SemanticReranker(CharEncoder(), weight=weight, depth=depth)
    return r.rerank(query, cands, r.embed_passages([c.text for c in cands]))


def _z(values: list[float]) -> np.ndarray:
    v = np.array(values, dtype=np.float64)
    return (v - v.mean()) / v.std()


def test_rerank_adds_standardised_keyword_score_and_similarity() -> None:
    cands = [Cand("装修时间", 10.0), Cand("电动车楼道充电", 8.0), Cand("垃圾分类", 2.0)]
    ranked = _rerank("电车能在楼道充吗", cands, weight=1.0)
    assert [s.item.text for s in ranked] == ["电动车楼道充电", "装修时间", "垃圾分类"]
    by_text = {s.item.text: s for s in ranked}
    sims = [by_text[c.text].similarity for c in cands]
    assert sims[1] > 0.9
    assert sims[0] == pytest.approx(0.0, abs=1e-2)
    expected = _z([10.0, 8.0, 2.0]) + _z(sims)
    assert [by_text[c.text].score for c in cands] == pytest.approx(expected.tolist(), abs=1e-4)
    assert [by_text[c.text].keyword for c in cands] == pytest.approx([1.0, 0.8, 0.2])
    # Twice the weight: the similarity counts twice.
    heavier = {s.item.text: s.score for s in _rerank("电车能在楼道充吗", cands, weight=2.0)}
    expected2 = _z([10.0, 8.0, 2.0]) + 2 * _z(sims)
    assert [heavier[c.text] for c in cands] == pytest.approx(expected2.tolist(), abs=1e-4)


def test_weight_zero_keeps_keyword_order() -> None:
    cands = [Cand("装修时间", 10.0), Cand("电动车楼道充电", 8.0), Cand("垃圾分类", 2.0)]
    ranked = _rerank("电车能在楼道充吗", cands, weight=0.0)
    assert [s.item for s in ranked] == cands
    assert [s.score for s in ranked] == pytest.approx(_z([10.0, 8.0, 2.0]).tolist())


def test_a_single_candidate_stays() -> None:
    ranked = _rerank("电车", [Cand("装修", 4.0)])
    assert [s.item.text for s in ranked] == ["装修"]
    assert ranked[0].score == 0.0
    assert ranked[0].keyword == 1.0


def test_equal_scores_keep_keyword_order() -> None:
    cands = [Cand("甲", 5.0), Cand("乙", 5.0), Cand("丙", 5.0)]
    ranked = _rerank("电车", cands)
    assert [s.item for s in ranked] == cands


def test_only_the_first_depth_candidates_move() -> None:
    cands = [Cand("装修", 9.0), Cand("垃圾", 8.0), Cand("电车楼道充电", 7.0)]
    ranked = _rerank("电车楼道充电", cands, weight=5.0, depth=2)
    # The third is past the depth: it stays last, scored below the reranked ones.
    assert ranked[-1].item.text == "电车楼道充电"
    assert ranked[-1].score < min(s.score for s in ranked[:2])
    assert ranked[-1].keyword == pytest.approx(7.0 / 9.0)
    assert ranked[-1].similarity == 0.0


def test_query_may_be_a_vector() -> None:
    r = SemanticReranker(CharEncoder())
    cands = [Cand("装修", 3.0), Cand("漏水", 2.5), Cand("垃圾", 1.0)]
    vectors = r.embed_passages([c.text for c in cands])
    by_text = r.rerank("漏水", cands, vectors)
    by_vector = r.rerank(r.embed_query("漏水"), cands, vectors)
    assert [s.item for s in by_text] == [s.item for s in by_vector]
    assert by_text[0].item.text == "漏水"


def test_rerank_checks_its_vectors() -> None:
    r = SemanticReranker(CharEncoder())
    cands = [Cand("装修", 3.0), Cand("漏水", 2.0)]
    with pytest.raises(ValueError, match="vectors"):
        r.rerank("漏水", cands, r.embed_passages(["装修"]))
    assert r.rerank("漏水", [], np.zeros((0, CharEncoder.dim))) == []


def test_passage_vectors_are_unit_float16_rows() -> None:
    r = SemanticReranker(CharEncoder())
    vecs = r.embed_passages(["电车充电", "垃圾分类", "装修"])
    assert vecs.dtype == np.float16
    assert vecs.shape == (3, CharEncoder.dim)
    assert np.linalg.norm(vecs.astype(np.float32), axis=1) == pytest.approx(1.0, abs=1e-3)
    assert r.embed_passages([]).shape == (0, CharEncoder.dim)


def test_stored_vector_round_trip() -> None:
    r = SemanticReranker(CharEncoder())
    vec = r.embed_passages(["电动车充电"])[0]
    blob = to_blob(vec)
    assert len(blob) == 2 * CharEncoder.dim
    assert np.array_equal(from_blob(blob, CharEncoder.dim), vec)
    with pytest.raises(ValueError, match="dimensions"):
        from_blob(blob, CharEncoder.dim + 1)


def test_passage_text_puts_the_last_heading_first() -> None:
    assert passage_text("禁止在楼道充电。", "《管理办法》 第三章 › 充电安全") == (
        "充电安全：禁止在楼道充电。"
    )
    assert passage_text("充电安全须知", "《管理办法》 充电安全") == "充电安全须知"
    assert passage_text("正文", "《管理办法》") == "正文"
    assert len(passage_text("字" * 1000)) == semantic.PASSAGE_CHARS


class _Missing(CharEncoder):
    label = "missing"
    package = "no-such-encoder-package"
    module = "no_such_encoder_module_for_tests"


class _Present(CharEncoder):
    label = "chars"
    package = "numpy"
    module = "numpy"


def test_switched_off_or_missing_means_keyword_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(semantic.ENCODERS, "missing", _Missing)  # type: ignore[arg-type]
    monkeypatch.setitem(semantic.ENCODERS, "present", _Present)  # type: ignore[arg-type]
    monkeypatch.delenv(ENV, raising=False)
    assert SemanticReranker.create("missing") is None
    assert not semantic_enabled("missing")
    assert not semantic_enabled("no such encoder")
    assert SemanticReranker.create("present") is not None
    for off in ("off", "OFF", "0", "false", "no"):
        monkeypatch.setenv(ENV, off)
        assert SemanticReranker.create("present") is None
    monkeypatch.setenv(ENV, "on")
    assert SemanticReranker.create("present") is not None


def test_encoder_loads_on_first_use_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(semantic.ENCODERS, "present", _Present)  # type: ignore[arg-type]
    monkeypatch.delenv(ENV, raising=False)
    _Present.calls = 0
    r = SemanticReranker.create("present")
    assert r is not None
    # The fingerprint that keys stored vectors is known without loading the model.
    assert r.fingerprint.startswith("chars:")
    assert not r.loaded
    assert _Present.calls == 0
    r.embed_query("电车")
    r.embed_passages(["电车"])
    assert r.loaded
    assert _Present.calls == 1


def test_similarity_evidence_for_the_decision() -> None:
    cands = [Cand("电车楼道充电", 3.0), Cand("电车", 2.0), Cand("装修", 1.0)]
    ranked = _rerank("电车楼道充电", cands)
    top, margin, best3 = similarity_evidence(ranked)
    assert top == pytest.approx(ranked[0].similarity)
    assert margin == pytest.approx(ranked[0].similarity - ranked[1].similarity)
    assert best3 == pytest.approx(max(s.similarity for s in ranked))
    assert len(SEMANTIC_FEATURES) == 3
    assert similarity_evidence([]) == [0.0, 0.0, 0.0]


def test_fingerprint_names_the_encoder() -> None:
    assert SemanticReranker(CharEncoder()).fingerprint == "chars:1"


def test_a_passage_without_a_vector_ranks_by_its_keyword_score() -> None:
    cands = [Cand("装修", 10.0), Cand("电车楼道充电", 8.0), Cand("垃圾", 2.0)]
    r = SemanticReranker(CharEncoder())
    vectors = r.embed_passages([c.text for c in cands]).astype(np.float32)
    vectors[0] = np.nan  # not embedded yet
    ranked = r.rerank("电车楼道充电", cands, vectors)
    by_text = {s.item.text: s for s in ranked}
    present = [by_text["电车楼道充电"].similarity, by_text["垃圾"].similarity]
    # Its similarity is the others' mean (evidence), its similarity z-score zero.
    assert by_text["装修"].similarity == pytest.approx(sum(present) / 2, abs=1e-6)
    assert by_text["装修"].score == pytest.approx(_z([10.0, 8.0, 2.0])[0])
