"""Documents in the knowledge base: importing (parsed and tokenised in the worker
process, written in short transactions), listing, removing; and stopping imports.

A document becomes searchable, and replaces an older version, only once it is completely
written; a failure or shutdown part-way leaves the old version as it was.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from knowledge.isolated import WorkerMemoryError, WorkerStoppedError, WorkerTimeoutError
from knowledge.qa.errors import KnowledgeImportError
from knowledge.qa.kb_core import KnowledgeBaseCore, index_entry, taught_tokens
from knowledge.qa.preparation import PreparedDocument, load_chunk, prepare_document
from knowledge.upload_limits import (
    MAX_PARSE_SECONDS,
    MAX_UPLOAD_BYTES,
    OUT_OF_MEMORY,
    TOO_SLOW,
    upload_too_large,
)
from storage import kb_repo
from storage.clock import now_iso

logger = logging.getLogger(__name__)

IMPORT_INTERRUPTED = "机器人正在停止或重启，导入已中断，原有内容保持不变。请稍后重新发送该文件。"
IMPORT_CRASHED = "处理文件时出错，导入已中断，原有内容保持不变。请检查文件后重新导入。"


@dataclass(frozen=True)
class ImportSummary:
    doc_id: int
    title: str
    filename: str
    sections: int
    passages: int
    replaced: bool


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: int
    title: str
    filename: str
    sections: int
    passages: int
    imported_at: str


class KnowledgeBaseDocuments(KnowledgeBaseCore):
    """Import, list and remove documents; stop imports at shutdown."""

    async def import_bytes(self, filename: str, data: bytes) -> ImportSummary:
        """Parse and tokenise in the worker process, then write in short transactions.

        The document becomes searchable, and replaces an older version, only once it is
        completely written; a failure or shutdown part-way leaves the old version as it was.
        """
        name = Path(filename).name or "未命名"
        if len(data) > MAX_UPLOAD_BYTES:
            raise KnowledgeImportError(upload_too_large(len(data)))
        prepared = await self._prepare(name, data)
        sections: list[kb_repo.NewSection] = []
        for chunk in prepared.chunks:
            sections.extend(await asyncio.to_thread(load_chunk, chunk))
        async with self._write_lock:
            try:
                doc_id, replaced = await kb_repo.replace_document(
                    self._conn,
                    filename=name,
                    title=prepared.title,
                    sha256=prepared.sha256,
                    imported_at=now_iso(),
                    sections=sections,
                    keep_going=lambda: not self._closing,
                )
            except kb_repo.WriteAbandonedError:
                raise KnowledgeImportError(IMPORT_INTERRUPTED) from None
            stored = await kb_repo.passages_of_document(self._conn, doc_id)
            if not self._closing:  # the index dies with the process anyway
                # A replaced version's taught phrasings came over to this one (kb_repo).
                taught = await taught_tokens(self._conn) if replaced else {}
                entries = await asyncio.to_thread(
                    lambda: [index_entry(p, taught.get(p.id, ())) for p in stored]
                )
                for old in replaced:
                    self._forget_document(old)
                self._entries.update((e.passage_id, e) for e in entries)
                self._doc_passages[doc_id] = [p.id for p in stored]
                await self._rebuild()
                if self._filler is not None:
                    self._filler.kick()
        return ImportSummary(
            doc_id=doc_id,
            title=prepared.title,
            filename=name,
            sections=prepared.sections,
            passages=len(stored),
            replaced=bool(replaced),
        )

    async def _prepare(self, name: str, data: bytes) -> PreparedDocument:
        if self._closing:
            raise KnowledgeImportError(IMPORT_INTERRUPTED)
        try:
            return await self._worker.run(MAX_PARSE_SECONDS, prepare_document, name, data)
        except WorkerTimeoutError:
            raise KnowledgeImportError(TOO_SLOW.format(seconds=int(MAX_PARSE_SECONDS))) from None
        except WorkerMemoryError:
            raise KnowledgeImportError(OUT_OF_MEMORY) from None
        except WorkerStoppedError as exc:
            if self._closing or exc.deliberate:
                logger.info("Import of %r interrupted: the bot is stopping", name)
                raise KnowledgeImportError(IMPORT_INTERRUPTED) from None
            logger.exception("Import worker died while reading %r", name)
            raise KnowledgeImportError(IMPORT_CRASHED) from None
        except KnowledgeImportError:
            raise
        except Exception:
            logger.exception("Import worker failed on %r", name)
            raise KnowledgeImportError(IMPORT_CRASHED) from None

    def stop_imports(self) -> None:
        """Abort any import now: kill the worker process, stop writing between batches.

        Synchronous, so the composition root can call it from a signal handler before
        python-telegram-bot waits for running handlers to finish.
        """
        self._closing = True
        self._worker.kill()

    async def close(self) -> None:
        """Stop imports and embedding for good and reap the worker processes
        (post_shutdown)."""
        self._closing = True
        await self._worker.close()
        if self._filler is not None:
            await self._filler.close()

    async def import_path(self, path: str | Path) -> ImportSummary:
        target = Path(path)
        try:
            data = await asyncio.to_thread(target.read_bytes)
        except OSError as exc:
            raise KnowledgeImportError(f"无法读取文件「{target.name}」。") from exc
        return await self.import_bytes(target.name, data)

    async def list_documents(self) -> list[DocumentInfo]:
        return [
            DocumentInfo(r.id, r.title, r.filename, r.sections, r.passages, r.imported_at)
            for r in await kb_repo.list_documents(self._conn)
        ]

    async def remove_document(self, doc_id: int) -> bool:
        async with self._write_lock:
            removed = await kb_repo.delete_document(self._conn, doc_id)
            self._forget_document(doc_id)
            if removed:
                await self._rebuild()
        return removed

    def _forget_document(self, doc_id: int) -> None:
        """Drop a document's passages and their vectors from memory (the caller
        rebuilds the index)."""
        gone = self._doc_passages.pop(doc_id, [])
        for pid in gone:
            self._entries.pop(pid, None)
        self._vectors.discard(gone)
