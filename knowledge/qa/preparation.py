"""Upload → title and sections with tokenised passages: the CPU-heavy half of an import.

`prepare_document` runs in the import worker process (`knowledge/isolated.py`), so it and
everything it imports stay free of the index (numpy) and of the database: the child only
parses, tokenises and hands back plain dataclasses. The same derivation of index terms
(`index_terms`) serves the bot's own process when it re-tokenises after a tokenizer change
and when staff write an FAQ entry.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass

from knowledge.normalize import canonical
from knowledge.qa.errors import KnowledgeImportError
from knowledge.qa.parsing import ParsedDocument, parse_document, split_passages
from knowledge.qa.tokenize import init_tokenizer, tokenize
from storage import kb_repo

# What the worker process calls once when it starts, before its first job.
WARMUP = f"{init_tokenizer.__module__}:{init_tokenizer.__name__}"


# Sections travel back from the worker as separate pickles of about this many passages:
# unpickling holds the GIL throughout, and one 30 MB pickle of a 5 MB text file held it for
# 130 ms, long enough to delay every resident's answer; a chunk takes a few milliseconds.
CHUNK_PASSAGES = 500


@dataclass(frozen=True)
class PreparedDocument:
    title: str
    sha256: str
    sections: int
    passages: int
    chunks: list[bytes]  # pickled lists of kb_repo.NewSection, in order


def _chunked(sections: list[kb_repo.NewSection]) -> list[bytes]:
    chunks: list[bytes] = []
    start, size = 0, 0
    for i, section in enumerate(sections, 1):
        size += len(section.passages)
        if size >= CHUNK_PASSAGES or i == len(sections):
            chunks.append(pickle.dumps(sections[start:i], pickle.HIGHEST_PROTOCOL))
            start, size = i, 0
    return chunks


def load_chunk(chunk: bytes) -> list[kb_repo.NewSection]:
    sections: list[kb_repo.NewSection] = pickle.loads(chunk)
    return sections


def source_label(title: str, path: tuple[str, ...]) -> str:
    head = f"《{title}》"
    return f"{head} {' › '.join(path)}" if path else head


def _terms(text: str) -> str:
    return " ".join(tokenize(canonical(text)))


def index_terms(body: str, head: str, bigram: str, heads: dict[str, str]) -> tuple[str, str, str]:
    """(tokens, head_tokens, bigram_text) of a passage from the raw text they come from.

    The one derivation used at import and when re-tokenising after a tokenizer change.
    `heads` memoises heading terms: every passage of a section shares its heading.
    """
    if head not in heads:
        heads[head] = _terms(head)
    return _terms(body), heads[head], canonical(bigram)


def new_passage(
    text: str,
    source: str,
    *,
    body: str,
    head: str,
    bigram: str,
    heads: dict[str, str],
    full_text: str | None = None,
) -> kb_repo.NewPassage:
    tokens, head_tokens, bigram_text = index_terms(body, head, bigram, heads)
    return kb_repo.NewPassage(
        text=text,
        source=source,
        tokens=tokens,
        head_tokens=head_tokens,
        bigram_text=bigram_text,
        full_text=full_text,
        body_source=body,
        head_source=head,
        bigram_source=bigram,
    )


def build_document_sections(parsed: ParsedDocument) -> list[kb_repo.NewSection]:
    """Parsed document → sections with passages and their stored tokens (CPU heavy)."""
    sections: list[kb_repo.NewSection] = []
    heads: dict[str, str] = {}
    for section in parsed.sections:
        path = section.heading_path
        head_text = " ".join(path if parsed.has_subdocs else (parsed.title, *path))
        source = source_label(parsed.title, path)
        last_heading = path[-1] if path else ""
        passages = [
            new_passage(
                chunk, source, body=chunk, head=head_text, bigram=last_heading + chunk, heads=heads
            )
            for chunk in split_passages(section.text)
        ]
        if passages:
            sections.append(kb_repo.NewSection(path, section.text, passages))
    return sections


def prepare_document(filename: str, data: bytes) -> PreparedDocument:
    """Parse, cut and tokenise an upload; raises KnowledgeImportError for staff."""
    parsed = parse_document(filename, data)
    sections = build_document_sections(parsed)
    if not sections:
        raise KnowledgeImportError("文件里没有可导入的文字。")
    return PreparedDocument(
        title=parsed.title,
        sha256=hashlib.sha256(data).hexdigest(),
        sections=len(sections),
        passages=sum(len(s.passages) for s in sections),
        chunks=_chunked(sections),
    )
