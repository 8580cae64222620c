"""Passages' sentence vectors: held in memory for the rerank, filled in the background.

An import commits its passages and returns; embedding them (~150 passages a second, so
minutes for a large file) must not hold it up, nor count against the import worker's
time and memory limits. `VectorFiller` therefore runs as a background task: it loads the
vectors stored for the current encoder (a restart never re-embeds them), then embeds the
passages that have none, a batch at a time, in a process of its own (knowledge/isolated.py,
its own memory cap, so a loaded encoder never eats into an upload's headroom), stores each
batch (storage/kb_vectors_repo.py) and adds it to `PassageVectors`. Until a passage has
its vector it ranks by keywords alone (`SemanticReranker.rerank`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence

import aiosqlite
import numpy as np
import numpy.typing as npt

from knowledge.isolated import IsolatedWorker
from knowledge.qa.semantic import SemanticReranker, embed_in_worker, passage_text
from knowledge.upload_limits import MAX_WORKER_MEMORY_BYTES
from storage import kb_vectors_repo
from storage.db import is_closed

__all__ = ["EMBED_BATCH", "EMBED_SECONDS", "PassageVectors", "VectorFiller"]

logger = logging.getLogger(__name__)

# Passages a job embeds (~2 s) and a transaction stores: a re-import or shutdown waits at
# most one batch, and a failed batch costs little.
EMBED_BATCH = 256
# A batch normally takes 2 s (plus ~1 s to load the encoder in a new worker).
EMBED_SECONDS = 60.0
# Stored vectors read back per query at start.
LOAD_PAGE = 5000
# The embedding worker retires this long after its last batch, returning its memory.
EMBED_IDLE_SECONDS = 60.0


class PassageVectors:
    """Float16 rows by passage id; a missing one gathers as a row of NaN."""

    def __init__(self) -> None:
        self._rows: dict[int, npt.NDArray[np.float16]] = {}
        self.dim = 0

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, passage_id: object) -> bool:
        return passage_id in self._rows

    def add(self, ids: Sequence[int], matrix: npt.NDArray[np.float16]) -> None:
        """Rows of `matrix` (views, not copies) for `ids`, in order."""
        if len(ids) != matrix.shape[0]:
            raise ValueError(f"{len(ids)} ids for {matrix.shape[0]} vectors")
        if not ids:
            return
        if self.dim and matrix.shape[1] != self.dim:
            # Another encoder's rows: the old ones are stale, start over.
            self._rows.clear()
        self.dim = int(matrix.shape[1])
        for i, pid in enumerate(ids):
            self._rows[pid] = matrix[i]

    def discard(self, ids: Iterable[int]) -> None:
        for pid in ids:
            self._rows.pop(pid, None)

    def gather(self, ids: Sequence[int]) -> npt.NDArray[np.float32]:
        out = np.full((len(ids), max(self.dim, 1)), np.nan, dtype=np.float32)
        for i, pid in enumerate(ids):
            row = self._rows.get(pid)
            if row is not None:
                out[i] = row
        return out

    def coverage(self, ids: Sequence[int]) -> int:
        """How many of `ids` have a vector."""
        return sum(1 for pid in ids if pid in self._rows)


def _decode(blobs: Sequence[bytes]) -> npt.NDArray[np.float16]:
    data = np.frombuffer(b"".join(blobs), dtype=np.float16)
    return data.reshape(len(blobs), -1) if blobs else data.reshape(0, 0)


class VectorFiller:
    """The background task that loads stored vectors and embeds the missing ones."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        reranker: SemanticReranker,
        vectors: PassageVectors,
        *,
        wanted: Callable[[int], bool],
        batch: int = EMBED_BATCH,
    ) -> None:
        self._conn = conn
        self._reranker = reranker
        self._vectors = vectors
        self._wanted = wanted  # whether a passage is still in the knowledge base
        self._batch = batch
        self._worker = IsolatedWorker(
            max_memory_bytes=MAX_WORKER_MEMORY_BYTES, idle_seconds=EMBED_IDLE_SECONDS
        )
        self._task: asyncio.Task[None] | None = None
        self._more = asyncio.Event()
        self._loaded = asyncio.Event()  # stored vectors read and the encoder loaded
        self._closing = False

    def kick(self) -> None:
        """Passages may lack vectors: (re)start the task if it is not running."""
        if self._closing:
            return
        self._more.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="kb-vector-filler")

    async def ready(self) -> None:
        """Wait until stored vectors are loaded and the query encoder is ready."""
        self.kick()
        await self._loaded.wait()

    async def idle(self) -> None:
        """Wait until every passage has its vector (or the filler gave up on a batch)."""
        self.kick()
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def close(self) -> None:
        self._closing = True
        self._worker.kill()
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._worker.close()

    async def _run(self) -> None:
        try:
            if not self._loaded.is_set():
                # The query encoder, in a thread: ~1 s of loading the event loop never
                # sees, while the stored vectors are read (~3 s at 100k passages).
                encoder = asyncio.ensure_future(asyncio.to_thread(self._reranker.load))
                try:
                    await self._load_stored()
                except BaseException:
                    encoder.cancel()  # not waited for: its thread ends on its own
                    raise
                await encoder
                self._loaded.set()
            while self._more.is_set() and not self._closing:
                self._more.clear()
                while not self._closing and await self._embed_batch():
                    pass
        except asyncio.CancelledError:
            raise
        except Exception:
            if is_closed(self._conn):
                # The database was closed under us (a one-shot CLI command ends without
                # `KnowledgeBase.close`): the next start embeds what is missing.
                logger.debug("Embedding stopped: the database was closed")
                return
            # Questions keep their keyword ranking; the next import or start tries again.
            logger.exception("Embedding passages failed; they rank by keywords meanwhile")
        finally:
            self._loaded.set()

    async def _load_stored(self) -> None:
        fingerprint = self._reranker.fingerprint
        after = 0
        while True:
            page = await kb_vectors_repo.load_vectors(
                self._conn, fingerprint, after=after, limit=LOAD_PAGE
            )
            if not page:
                return
            kept = [v for v in page if self._wanted(v.passage_id)]
            matrix = await asyncio.to_thread(_decode, [v.vector for v in kept])
            self._vectors.add([v.passage_id for v in kept], matrix)
            after = page[-1].passage_id

    async def _embed_batch(self) -> bool:
        """Embed and store one batch of passages without a vector; False when none is left."""
        fingerprint = self._reranker.fingerprint
        todo = await kb_vectors_repo.missing_vectors(self._conn, fingerprint, limit=self._batch)
        if not todo:
            return False
        texts = [passage_text(p.text, p.source, p.questions) for p in todo]
        if self._reranker.bundled:
            data = await self._worker.run(
                EMBED_SECONDS, embed_in_worker, self._reranker.encoder_name, texts
            )
            matrix = np.frombuffer(data, dtype=np.float16).reshape(len(texts), -1)
        else:  # an encoder handed in (tests): in a thread of this process
            matrix = await asyncio.to_thread(self._reranker.embed_passages, texts)
        ids = [p.id for p in todo]
        await kb_vectors_repo.store_vectors(
            self._conn, [(pid, matrix[i].tobytes()) for i, pid in enumerate(ids)], fingerprint
        )
        keep = [i for i, pid in enumerate(ids) if self._wanted(pid)]
        self._vectors.add([ids[i] for i in keep], matrix[keep])
        return True
