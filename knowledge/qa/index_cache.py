"""The built index saved beside the database, so a start loads it instead of rebuilding.

Rebuilding means reading every passage row, splitting and interning its tokens and
sorting the postings: at 100k passages most of a cold start. The file (`<db>.kbindex`,
an uncompressed `.npz` of plain arrays, never pickles) holds the entries and the
postings, keyed by the passages' generation (kb_meta 'generation', bumped by triggers on
every write: migration 0013), the tokenizer's fingerprint and this format's version. A
file with another key, or one that does not read back (truncated, corrupt, an older
format), is ignored and the index rebuilt from SQLite, which stays the source of truth.
Written to a temporary name and renamed, so a crash mid-write leaves the old file or none.

Memory: the arrays are written and read one at a time (np.savez would first build all of
them, ~300 MB more at 100k passages), and the passages' terms are stored as int32 keys
into the vocabulary, so loading shares the vocabulary's strings instead of splitting and
interning 8 million tokens.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from knowledge.qa.index import SearchIndex
from knowledge.qa.postings import CHUNK_DOCS, IndexEntry, Postings

logger = logging.getLogger(__name__)

FORMAT = "2"
SUFFIX = ".kbindex"
_TEXTS = ("text", "source", "bigram_text")
_TERMS = ("body", "head")
_POSTINGS = (*Postings.ARRAYS, "unknown_idf")


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
    lengths = np.fromiter(map(len, strings), np.int64, len(strings))
    return np.frombuffer("".join(strings).encode("utf-8"), dtype=np.uint8), lengths


def _unpacked(data: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64]) -> list[str]:
    joined = data.tobytes().decode("utf-8")
    if int(lengths.sum()) != len(joined):
        raise ValueError("strings do not match their lengths")
    ends = np.cumsum(lengths).tolist()
    return [joined[a:b] for a, b in zip([0, *ends], ends, strict=False)]


def _term_keys(
    fields: Sequence[tuple[str, ...]], vocab: dict[str, int]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Every field's terms as keys into the vocabulary (every term is in it), and the
    number of terms of each field."""
    keys = np.fromiter(map(vocab.__getitem__, itertools.chain.from_iterable(fields)), np.int32)
    return keys, np.fromiter(map(len, fields), np.int64, len(fields))


def _term_tuples(
    keys: npt.NDArray[np.int32], sizes: npt.NDArray[np.int64], terms: Sequence[str]
) -> list[tuple[str, ...]]:
    """The fields back as tuples of the vocabulary's own strings, a chunk at a time (a
    Python list of all 8 million tokens at 100k passages would be ~70 MB more)."""
    if keys.size and (int(keys.min()) < 0 or int(keys.max()) >= len(terms)):
        raise ValueError("term keys outside the vocabulary")
    ends = np.cumsum(sizes)
    if sizes.size and int(ends[-1]) != keys.size:
        raise ValueError("terms do not match their lengths")
    strings = np.array(terms, dtype=object)
    out: list[tuple[str, ...]] = []
    for first in range(0, sizes.size, CHUNK_DOCS):
        stop = min(first + CHUNK_DOCS, sizes.size)
        base = int(ends[first - 1]) if first else 0
        words = strings[keys[base : int(ends[stop - 1])]].tolist() if stop > first else []
        bounds = (ends[first:stop] - base).tolist()
        out.extend(tuple(words[a:b]) for a, b in zip([0, *bounds[:-1]], bounds, strict=True))
    return out


def _arrays(
    key: str, index: SearchIndex, doc_ids: Sequence[int | None]
) -> Iterator[tuple[str, npt.NDArray[np.generic]]]:
    """The file's arrays, each built only when it is written."""
    entries = index.entries
    yield "key", np.frombuffer(f"{FORMAT}|{key}".encode(), dtype=np.uint8)
    yield from index.to_arrays().items()
    yield "passage_id", np.fromiter((e.passage_id for e in entries), np.int64, len(entries))
    yield "doc_id", np.fromiter((-1 if d is None else d for d in doc_ids), np.int64, len(entries))
    yield "is_faq", index.is_faq
    for name in _TEXTS:
        data, lengths = _packed([getattr(e, name) for e in entries])
        yield f"s_{name}", data
        yield f"n_{name}", lengths
        del data, lengths  # before the next column is built
    for name in _TERMS:
        keys, sizes = _term_keys([getattr(e, name) for e in entries], index.vocab)
        yield f"t_{name}", keys
        yield f"n_{name}", sizes
        del keys, sizes
    vocab = sorted(index.vocab, key=index.vocab.__getitem__)
    data, lengths = _packed(vocab)
    yield "s_vocab", data
    yield "n_vocab", lengths


def _write(out: IO[bytes], arrays: Iterator[tuple[str, npt.NDArray[np.generic]]]) -> None:
    """What np.savez writes (an uncompressed zip of .npy files), one array at a time."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays:
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def save(path: Path, key: str, index: SearchIndex, doc_ids: Sequence[int | None]) -> None:
    """Write the index file (atomically); failures are logged, never raised."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as out:
            _write(out, _arrays(key, index, doc_ids))
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
            return _restore(npz)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        logger.warning("Ignoring unreadable knowledge index %s: %s", path, exc)
        return None


def _restore(npz: np.lib.npyio.NpzFile) -> CachedIndex:
    """Entries and postings from the open file, reading each array when it is needed."""
    terms = _unpacked(npz["s_vocab"], npz["n_vocab"])
    terms = [sys.intern(t) for t in terms]
    vocab = {t: i for i, t in enumerate(terms)}
    postings = {f"{p}{name}": npz[f"{p}{name}"] for p in ("w_", "b_") for name in _POSTINGS}
    for p in ("w_", "b_"):
        if postings[f"{p}indptr"][-1] != postings[f"{p}docs"].size:
            raise ValueError("postings do not match their offsets")
    ids = npz["passage_id"].tolist()
    faq = npz["is_faq"].tolist()
    doc_ids = [None if d < 0 else int(d) for d in npz["doc_id"].tolist()]
    columns: dict[str, Sequence[object]] = {}
    for name in _TEXTS:
        columns[name] = _unpacked(npz[f"s_{name}"], npz[f"n_{name}"])
    # A section's passages share their source line: one string for all of them.
    shared: dict[str, str] = {}
    columns["source"] = [shared.setdefault(s, s) for s in columns["source"]]  # type: ignore[arg-type]
    for name in _TERMS:
        columns[name] = _term_tuples(npz[f"t_{name}"], npz[f"n_{name}"], terms)
    if any(len(c) != len(ids) for c in (*columns.values(), faq, doc_ids)):
        raise ValueError("columns differ in length")
    entries = [
        IndexEntry(
            passage_id=int(pid),
            kind="faq" if is_faq else "doc",
            text=text,
            source=source,
            body=body,
            head=head,
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
    del columns
    return CachedIndex(SearchIndex(entries, arrays=postings, vocab=vocab), doc_ids)
