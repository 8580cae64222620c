"""Which knowledge-base rows searches can see, while a document is written or removed.

A document being written or removed in several short transactions carries a filename
starting with "/", which no real file name has (imports keep only `Path(name).name`): it
is invisible to search, listings and replacement until `kb_repo.finish_document` gives it
its real name in one statement, and `kb_repo.purge_unfinished` clears any left by a crash.
"""

from __future__ import annotations

HIDDEN_PREFIX = "/"
# The SQL condition, on kb_documents, for a document that is not hidden.
VISIBLE_DOCUMENT = "filename NOT LIKE '/%'"


def visible_passages(alias: str = "") -> str:
    """The SQL condition for passages searches can see (an FAQ entry, or a passage of a
    document not hidden), on kb_passages under `alias` if given."""
    doc_id = f"{alias}.doc_id" if alias else "doc_id"
    return (
        f"({doc_id} IS NULL OR {doc_id} IN (SELECT id FROM kb_documents WHERE {VISIBLE_DOCUMENT}))"
    )


VISIBLE_PASSAGE = visible_passages()
