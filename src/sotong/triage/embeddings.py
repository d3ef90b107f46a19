"""What words mean, from kiwipiepy's own language model: one dense vector per message for the classifiers.

Character n-grams and morphemes only know the words a history used; "연석" and "보도블럭" share no feature.
kiwipiepy's default CoNg model, already loaded for the morphemes, places ~100,000 morphemes in a 256-dimension
space, but exposes only the cosine similarity of two of them. The similarities of a morpheme to a fixed set of
anchor morphemes give its vector back exactly, up to a rotation a linear model does not mind: with the anchors'
own similarity matrix G = V Λ Vᵀ, the anchors are V Λ^½ and a morpheme with similarities s is s V Λ^-½.
One vector costs 400 similarity calls (~0.1 ms) and is cached per morpheme, like the morphemes of a word.

A message's vector is the IDF-weighted mean of its content morphemes' vectors, scaled to unit length. On the
development data it adds about one point of macro-F1 and one to two points of top-3 accuracy over the
n-grams alone (docs/triage.md); alone it scores far below them.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from sotong.text.korean import morphemes

DIM = 256  # the CoNg model's embedding size: its anchors' similarity matrix has rank 256
# Frequent morphemes of the dictionary (ids are in frequency order); 400 > DIM keeps G well conditioned.
_ANCHORS = range(200, 600)


def model_version() -> str:
    """The version of kiwipiepy's model files: vectors from another version live in another space."""
    try:
        from kiwipiepy_model import __version__
    except ImportError:  # pragma: no cover - kiwipiepy cannot run without it
        return ""
    return str(__version__)


class MorphemeVectors:
    """Vectors of kiwipiepy morphemes by id, recovered from the similarity API and cached per process."""

    def __init__(self, cache_size: int = 32_768) -> None:
        self._lock = threading.Lock()
        self._similarity: Any = None
        self._anchors: list[int] = []
        self._projection = np.zeros((0, DIM), dtype=np.float32)
        self._rows: dict[int, int] = {}  # morpheme id → row of `_vectors`, -1 when the model has no vector
        self._vectors = np.zeros((1024, DIM), dtype=np.float32)
        self._size = 0
        self._cache_size = cache_size

    def _setup(self) -> None:
        kiwi = morphemes().analyser()
        similarity = kiwi.morpheme_similarity
        anchors = [a for a in _ANCHORS if not math.isnan(similarity(a, a))]
        gram = np.array([[similarity(a, b) for b in anchors] for a in anchors], dtype=np.float64)
        values, vectors = np.linalg.eigh(gram)
        keep = np.argsort(-values)[:DIM]
        self._projection = (vectors[:, keep] / np.sqrt(np.maximum(values[keep], 1e-6))).astype(np.float32)
        self._anchors = anchors
        self._similarity = similarity

    def rows(self, ids: Sequence[int]) -> list[int]:
        """Rows of `matrix()` for these morpheme ids (-1 for morphemes without a vector); call under `lock`."""
        if self._similarity is None:
            self._setup()
        known = self._rows
        new = [i for i in set(ids) if i not in known]
        if new:
            if len(known) + len(new) > self._cache_size:
                # Bounded: a worker's memory must not grow with its uptime. Rows handed out before are stale
                # only for callers that kept them past the lock, and none do.
                known.clear()
                self._size = 0
                if len(self._vectors) > self._cache_size:  # grown past the bound by one huge batch
                    self._vectors = np.zeros((1024, DIM), dtype=np.float32)
                new = list(set(ids))
            similarity, anchors = self._similarity, self._anchors
            for morpheme in new:
                s = np.array([similarity(morpheme, a) for a in anchors], dtype=np.float32)
                if np.isnan(s).any():  # a word the model has no vector for (unknown names, most foreign words)
                    known[morpheme] = -1
                    continue
                if self._size == len(self._vectors):
                    # Doubling, but not past the cache size (32 MB) unless one batch alone needs more.
                    size = len(self._vectors)
                    grown = 2 * size if size >= self._cache_size else min(2 * size, self._cache_size)
                    self._vectors = np.concatenate([self._vectors, np.zeros((grown - size, DIM), np.float32)])
                self._vectors[self._size] = s @ self._projection
                known[morpheme] = self._size
                self._size += 1
        return [known[i] for i in ids]

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    def matrix(self) -> np.ndarray:
        """The vectors found so far, one row per morpheme."""
        return self._vectors[: self._size]


@lru_cache(maxsize=1)
def morpheme_vectors() -> MorphemeVectors:
    """The process-wide morpheme vectors."""
    return MorphemeVectors()


class MessageVectors:
    """IDF-weighted mean morpheme vectors of messages, fitted on training messages for the IDF."""

    def __init__(self) -> None:
        self.idf: dict[int, float] = {}
        self.unseen_idf = 1.0
        self.version = ""

    def fit(self, ids: Sequence[Sequence[int]]) -> MessageVectors:
        """Learn how rare each morpheme is in the training messages."""
        n = len(ids)
        df = Counter(i for message in ids for i in set(message))
        # Smoothed like sklearn's TfidfVectorizer; a morpheme never seen in training is as rare as can be.
        self.idf = {i: math.log((n + 1) / (count + 1)) + 1.0 for i, count in df.items()}
        self.unseen_idf = math.log(n + 1) + 1.0
        self.version = model_version()
        return self

    def transform(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """One unit-length row per message (zeros when none of its morphemes has a vector)."""
        out = np.zeros((len(ids), DIM), dtype=np.float32)
        if self.version != model_version():
            # A model trained with another kiwipiepy model file: its vectors would be in another space, so it
            # goes on with its n-grams alone until it is retrained.
            return out
        flat = [i for message in ids for i in message]
        if not flat:
            return out
        vectors = morpheme_vectors()
        with vectors.lock:
            rows = np.asarray(vectors.rows(flat), dtype=np.int64)
            matrix = vectors.matrix()
            idf, unseen = self.idf, self.unseen_idf
            weights = np.array([idf.get(i, unseen) for i in flat], dtype=np.float32)
            owner = np.repeat(np.arange(len(ids)), [len(message) for message in ids])
            found = rows >= 0
            weights_matrix = csr_matrix(
                (weights[found], (owner[found], rows[found])), shape=(len(ids), matrix.shape[0])
            )
            out = np.asarray(weights_matrix @ matrix, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out
