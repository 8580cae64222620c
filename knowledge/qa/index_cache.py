"""The built index saved beside the database, so a start loads it instead of rebuilding.

Rebuilding means reading every passage row, splitting and interning its tokens and
sorting the postings: at 100k passages most of a cold start. The file (`<db>.kbindex`,
an uncompressed `.npz` of plain arrays, never pickles) holds the entries and the
postings, keyed by the passages' generation (kb_meta 'generation', bumped by triggers on
every write: migration 0013), the tokenizer's fingerprint and this format's version. A
file with another key, or one that does not read back (truncated, corrupt, an older
format), is ignored and the index rebuilt from SQLite, which stays the source of truth.
Written to a temporary name and renamed, so a crash mid-write leaves the old file or none.
"""

from __future__ import annotations

import logging
import os
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from knowledge.qa.index import SearchIndex
from knowledge.qa.postings import IndexEntry

logger = logging.getLogger(__name__)

FORMAT = "1"
SUFFIX = ".kbindex"
_FIELDS = ("text", "source", "body", "head", "bigram_text")


@dataclass(frozen=True)
class CachedIndex:
    index: SearchIndex
    # The document of each entry (None for FAQ entries), in entry order.
    doc_ids: list[int | None]


def cache_path(database_file: str) -> Path | None:
    """Where the index of this database file is kept; None for an in-memory database."""
    return Path(database_file + SUFFIX) if database_file else None


def _packed(strings: Sequence[str]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Strings as one UTF-8 buffer and their lengths in characters."""
    joined = "".join(strings)
    lengths = np.fromiter((len(s) for s in strings), np.int64, len(strings))
    return np.frombuffer(joined.encode("utf-8"), dtype=np.uint8), lengths


def _unpacked(data: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64]) -> list[str]:
    joined = data.tobytes().decode("utf-8")
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends[:-1]]
    return [joined[a:b] for a, b in zip(starts, ends, strict=True)]


def save(path: Path, key: str, index: SearchIndex, doc_ids: Sequence[int | None]) -> None:
    """Write the index file (atomically); failures are logged, never raised."""
    entries = index.entries
    arrays: dict[str, npt.NDArray[np.generic]] = dict(index.to_arrays())
    arrays["key"] = np.frombuffer(f"{FORMAT}|{key}".encode(), dtype=np.uint8)
    arrays["passage_id"] = np.fromiter((e.passage_id for e in entries), np.int64, len(entries))
    arrays["doc_id"] = np.fromiter(
        (-1 if d is None else d for d in doc_ids), np.int64, len(entries)
    )
    arrays["is_faq"] = index.is_faq
    columns: dict[str, list[str]] = {
        "text": [e.text for e in entries],
        "source": [e.source for e in entries],
        "body": [" ".join(e.body) for e in entries],
        "head": [" ".join(e.head) for e in entries],
        "bigram_text": [e.bigram_text for e in entries],
    }
    for name in _FIELDS:
        arrays[f"s_{name}"], arrays[f"n_{name}"] = _packed(columns[name])
    vocab = sorted(index.vocab, key=index.vocab.__getitem__)
    arrays["s_vocab"], arrays["n_vocab"] = _packed(vocab)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as out:
            np.savez(out, allow_pickle=False, **arrays)
        os.replace(tmp, path)
    except OSError as exc:
        logger.warning("Could not save the knowledge index to %s: %s", path, exc)
        tmp.unlink(missing_ok=True)


def load(path: Path, key: str) -> CachedIndex | None:
    """The saved index if it is there, readable and built for `key`; else None."""
    try:
        # Opened here so that a file np.load cannot parse is still closed.
        with path.open("rb") as raw, np.load(raw, allow_pickle=False) as npz:
            if npz["key"].tobytes().decode() != f"{FORMAT}|{key}":
                return None
            arrays = {name: npz[name] for name in npz.files}
        return _restore(arrays)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        logger.warning("Ignoring unreadable knowledge index %s: %s", path, exc)
        return None


def _restore(arrays: dict[str, npt.NDArray[np.generic]]) -> CachedIndex:
    columns = {
        name: _unpacked(arrays[f"s_{name}"], arrays[f"n_{name}"])  # type: ignore[arg-type]
        for name in _FIELDS
    }
    ids = arrays["passage_id"].tolist()
    faq = arrays["is_faq"].tolist()
    intern = sys.intern
    entries = [
        IndexEntry(
            passage_id=int(pid),
            kind="faq" if is_faq else "doc",
            text=text,
            source=source,
            body=tuple(map(intern, body.split())),
            head=tuple(map(intern, head.split())),
            bigram_text=bigram,
        )
        for pid, is_faq, text, source, body, head, bigram in zip(
            ids,
            faq,
            columns["text"],
            columns["source"],
            columns["body"],
            columns["head"],
            columns["bigram_text"],
            strict=True,
        )
    ]
    terms = _unpacked(arrays["s_vocab"], arrays["n_vocab"])  # type: ignore[arg-type]
    vocab = {intern(t): i for i, t in enumerate(terms)}
    for name in ("w_indptr", "b_indptr"):
        if arrays[name][-1] != arrays[name.replace("indptr", "docs")].size:
            raise ValueError("postings do not match their offsets")
    index = SearchIndex(entries, arrays=arrays, vocab=vocab)
    doc_ids = [None if d < 0 else int(d) for d in arrays["doc_id"].tolist()]
    if len(doc_ids) != len(entries):
        raise ValueError("entries and documents differ in length")
    return CachedIndex(index, doc_ids)
