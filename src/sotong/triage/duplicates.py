"""Have we heard this before? The same citizen adding to an open case, and many citizens reporting one thing.

Character n-gram TF-IDF cosine similarity over the open cases of the organisation: robust to spacing and
typos, cheap (a sparse product), and needs no model download. A follow-up needs the same author and a loose
match; a report by another citizen needs a close match, a short window and, when both have coordinates, a
nearby place.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

from sotong.text.korean import normalise
from sotong.triage.text import WordNgrams

FOLLOW_UP, SAME_TOPIC = "follow_up", "same_topic"


@dataclass(frozen=True)
class OpenCase:
    case_id: int
    text: str
    received_at: dt.datetime
    author_handle: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class DuplicateMatch:
    case_id: int
    kind: str  # FOLLOW_UP or SAME_TOPIC
    score: float

    @property
    def explanation(self) -> str:
        what = "같은 시민의 추가 글" if self.kind == FOLLOW_UP else "다른 시민의 같은 내용"
        return f"{what} (유사도 {self.score:.2f})"


@dataclass(frozen=True)
class Policy:
    follow_up_window: dt.timedelta = dt.timedelta(days=14)
    follow_up_similarity: float = 0.25
    same_topic_window: dt.timedelta = dt.timedelta(days=3)
    same_topic_similarity: float = 0.55
    # With coordinates on both sides a nearby place lowers the bar ("여기 가로등" said twice at one corner)
    # and a distant one raises it.
    nearby_metres: float = 300.0
    nearby_similarity: float = 0.4
    far_similarity: float = 0.85


def _metres(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    dy = (a_lat - b_lat) * 111_320.0
    dx = (a_lon - b_lon) * 111_320.0 * math.cos(math.radians((a_lat + b_lat) / 2))
    return math.hypot(dx, dy)


class DuplicateIndex:
    """The open cases of one organisation, ready to be compared with new messages."""

    def __init__(self, cases: Sequence[OpenCase], policy: Policy | None = None) -> None:
        self.cases = list(cases)
        self.policy = policy or Policy()
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform([normalise(c.text) for c in self.cases]) if self.cases else None
        self._ngrams = WordNgrams(self._vectorizer) if self.cases else None

    def _queries(self, texts: Sequence[str], normalised: Sequence[str] | None) -> csr_matrix:
        assert self._ngrams is not None
        return self._ngrams.transform(normalised if normalised is not None else [normalise(t) for t in texts])

    def similarities(self, texts: Sequence[str]) -> np.ndarray:
        """Cosine similarity of each text with each open case."""
        if self._matrix is None or not texts:
            return np.zeros((len(texts), len(self.cases)))
        return (self._queries(texts, None) @ self._matrix.T).toarray()

    def find(
        self,
        text: str,
        *,
        at: dt.datetime,
        author_handle: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        exclude_case_id: int | None = None,
    ) -> DuplicateMatch | None:
        """The open case this message belongs to, if any: the citizen's own first, then the closest report."""
        return self.find_many(
            [text],
            at=[at],
            authors=[author_handle],
            places=[(latitude, longitude)],
            exclude=[exclude_case_id],
        )[0]

    def find_many(
        self,
        texts: Sequence[str],
        *,
        at: Sequence[dt.datetime],
        authors: Sequence[str | None],
        places: Sequence[tuple[float | None, float | None]] | None = None,
        exclude: Sequence[int | None] | None = None,
        normalised: Sequence[str] | None = None,
    ) -> list[DuplicateMatch | None]:
        """`find` for a batch of messages (one sparse product for all); `normalised` saves normalising again."""
        if self._matrix is None or not texts:
            return [None] * len(texts)
        p = self.policy
        sims = (self._queries(texts, normalised) @ self._matrix.T).tocsr()
        # No decision takes a lower score, so only the few pairs above it are looked at, never a dense matrix.
        floor = min(p.follow_up_similarity, p.same_topic_similarity, p.nearby_similarity, p.far_similarity)
        sims.data[sims.data < floor] = 0.0
        sims.eliminate_zeros()
        results: list[DuplicateMatch | None] = []
        for i in range(len(texts)):
            start, end = sims.indptr[i], sims.indptr[i + 1]
            if start == end:
                results.append(None)
                continue
            row_scores, row_cases = sims.data[start:end], sims.indices[start:end]
            order = np.argsort(-row_scores, kind="stable")[:20]
            lat, lon = places[i] if places else (None, None)
            best: DuplicateMatch | None = None
            for j, score in zip(row_cases[order].tolist(), row_scores[order].tolist(), strict=True):
                case = self.cases[j]
                if exclude and exclude[i] == case.case_id:
                    continue
                age = at[i] - case.received_at
                if age < dt.timedelta(0):
                    continue
                if authors[i] and authors[i] == case.author_handle:
                    if age <= p.follow_up_window and score >= p.follow_up_similarity:
                        best = DuplicateMatch(case.case_id, FOLLOW_UP, round(score, 3))
                        break
                    continue
                if best is not None or age > p.same_topic_window:
                    continue
                bar = p.same_topic_similarity
                if None not in (lat, lon, case.latitude, case.longitude):
                    near = _metres(lat, lon, case.latitude, case.longitude) <= p.nearby_metres  # type: ignore[arg-type]
                    # "신호등 고장" at two far-apart corners is two problems: only near-copies link then.
                    bar = p.nearby_similarity if near else p.far_similarity
                if score >= bar:
                    best = DuplicateMatch(case.case_id, SAME_TOPIC, round(score, 3))
            results.append(best)
        return results
