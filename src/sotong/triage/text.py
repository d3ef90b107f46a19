"""Features the triage classifiers and the duplicate finder draw from normalised Korean text."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np


def morpheme_features(words: Sequence[str]) -> list[str]:
    """Unigrams and adjacent pairs of content morphemes."""
    return [*words, *(f"{a}_{b}" for a, b in itertools.pairwise(words))]


class WordNgrams:
    """The exact TF-IDF matrix of a fitted `char_wb` vectorizer, with each word's n-grams looked up once.

    `char_wb` n-grams never cross a space, so a text's n-grams are the union of its words'. sklearn builds them
    in Python for every word of every text (most of the cost of a triage batch); complaints repeat their words,
    so the vocabulary ids of each word are remembered instead.
    """

    def __init__(self, vectorizer: Any, cache_size: int = 200_000) -> None:
        self.vectorizer = vectorizer
        self._analyse = vectorizer.build_analyzer()
        self._cache: dict[str, list[int]] = {}
        self._cache_size = cache_size

    def transform(self, texts: Sequence[str]) -> Any:
        """Like `vectorizer.transform(texts)`, same values."""
        from scipy.sparse import csr_matrix
        from sklearn.preprocessing import normalize

        vectorizer = self.vectorizer
        vocabulary = vectorizer.vocabulary_
        cache = self._cache
        if len(cache) > self._cache_size:
            cache.clear()  # bounded: a worker's memory must not grow with its uptime
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            for word in text.split():
                ids = cache.get(word)
                if ids is None:
                    ids = [vocabulary[g] for g in self._analyse(word) if g in vocabulary]
                    cache[word] = ids
                indices.extend(ids)
            indptr.append(len(indices))
        counts = csr_matrix(
            (np.ones(len(indices)), np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
            shape=(len(texts), len(vocabulary)),
        )
        counts.sum_duplicates()
        if vectorizer.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1.0
        if vectorizer.use_idf:
            counts.data *= vectorizer.idf_[counts.indices]
        return normalize(counts, norm=vectorizer.norm, copy=False) if vectorizer.norm else counts

    def __getstate__(self) -> dict[str, Any]:
        # Pickled with the model: the vectorizer, not the cache of this process's words.
        return {"vectorizer": self.vectorizer, "cache_size": self._cache_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["vectorizer"], state["cache_size"])  # type: ignore[misc]
