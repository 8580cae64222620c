"""The one error a document import raises."""

from __future__ import annotations


class KnowledgeImportError(Exception):
    """A document could not be imported; str(exc) is a Chinese message for staff."""
