"""The index file beside the database: what is loaded is what was saved, or nothing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from knowledge.normalize import canonical
from knowledge.qa import index_cache
from knowledge.qa.index import IndexEntry, SearchIndex
from knowledge.qa.tokenize import tokenize

PASSAGES = [
    ("faq", "电梯坏了找谁", "电梯故障请联系物业服务中心报修。"),
    ("doc", "一、加装电梯", "加装电梯所需资金由业主按楼层分摊。\n低层住户可以少出。"),
    ("doc", "", "消防通道禁止停车，违者由物业劝离。"),
    ("doc", "二、电动自行车", "电动自行车不得在楼道内充电。"),
]


def _entries() -> list[IndexEntry]:
    return [
        IndexEntry(
            passage_id=10 + i,
            kind=kind,
            text=text,
            source=f"来源 {i}",
            body=tuple(tokenize(canonical(text))),
            head=tuple(tokenize(canonical(head))),
            bigram_text=canonical(head + text),
        )
        for i, (kind, head, text) in enumerate(PASSAGES)
    ]


def _saved(tmp_path: Path, index: SearchIndex, key: str = "7|abc") -> Path:
    path = tmp_path / "kb.db.kbindex"
    doc_ids = [None if e.kind == "faq" else 3 for e in index.entries]
    index_cache.save(path, key, index, doc_ids)
    return path


def test_loaded_index_is_the_saved_one(tmp_path: Path) -> None:
    built = SearchIndex(_entries())
    loaded = index_cache.load(_saved(tmp_path, built), "7|abc")
    assert loaded is not None
    index = loaded.index
    assert index.entries == built.entries
    assert list(index.vocab.items()) == list(built.vocab.items())
    assert loaded.doc_ids == [None, 3, 3, 3]
    assert np.array_equal(index.is_faq, built.is_faq)
    for name, array in built.to_arrays().items():
        assert np.array_equal(index.to_arrays()[name], array), name
    # The passages' terms are the vocabulary's own strings, not copies of them.
    words = {id(word) for word in index.vocab}
    assert all(id(t) in words for e in index.entries for t in (*e.body, *e.head))
    for question in ("电梯坏了找谁修", "楼道里能给电瓶车充电吗", "加装电梯钱谁出"):
        text = canonical(question)
        expect = [(h.entry.passage_id, h.score) for h in built.search(tokenize(text), text, k=3)]
        got = [(h.entry.passage_id, h.score) for h in index.search(tokenize(text), text, k=3)]
        assert got == expect


def test_empty_index_round_trip(tmp_path: Path) -> None:
    loaded = index_cache.load(_saved(tmp_path, SearchIndex([])), "7|abc")
    assert loaded is not None
    assert len(loaded.index) == 0
    assert loaded.doc_ids == []


def test_file_for_other_passages_is_not_used(tmp_path: Path) -> None:
    path = _saved(tmp_path, SearchIndex(_entries()))
    assert index_cache.load(path, "8|abc") is None
    assert index_cache.load(tmp_path / "missing.kbindex", "7|abc") is None


def _rewritten(path: Path, name: str, array: np.ndarray) -> None:  # type: ignore[type-arg]
    """The file with one array replaced, everything else as saved."""
    with np.load(path) as npz:
        arrays = {n: npz[n] for n in npz.files}
    arrays[name] = array
    with path.open("wb") as out:
        np.savez(out, **arrays)


@pytest.mark.parametrize(
    "damage",
    ["truncated", "term-out-of-vocabulary", "terms-short", "texts-short", "older-format"],
)
def test_damaged_file_is_ignored(tmp_path: Path, damage: str) -> None:
    path = _saved(tmp_path, SearchIndex(_entries()))
    with np.load(path) as npz:
        body, n_text = npz["t_body"], npz["n_text"]
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:2000])
    elif damage == "term-out-of-vocabulary":
        body[0] = 10_000
        _rewritten(path, "t_body", body)
    elif damage == "terms-short":
        _rewritten(path, "t_body", body[:-1])
    elif damage == "texts-short":
        _rewritten(path, "n_text", n_text[:-1])
    else:  # format 1 stored the terms as text: its key no longer matches
        _rewritten(path, "key", np.frombuffer(b"1|7|abc", dtype=np.uint8))
    assert index_cache.load(path, "7|abc") is None


def test_file_is_a_plain_npz(tmp_path: Path) -> None:
    """Written without pickles, readable by np.load as np.savez's files are."""
    path = _saved(tmp_path, SearchIndex(_entries()))
    with zipfile.ZipFile(path) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    with np.load(path, allow_pickle=False) as npz:
        assert npz["key"].tobytes() == f"{index_cache.FORMAT}|7|abc".encode()
