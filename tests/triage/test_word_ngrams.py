"""The cached character n-grams give exactly what sklearn computes, cold and warm, and survive pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from sotong.triage.text import WordNgrams

TRAIN = [
    "석촌호수 앞 보도블럭이 깨져서 위험합니다",
    "골목에 쓰레기 무단투기가 심해요 치워주세요",
    "불법주차 단속 부탁드립니다 불법주차 차량이 많아요",
    "가로등이 꺼졌어요 확인 부탁드립니다",
]
QUERIES = [
    "보도블럭 깨짐 빨리요!!",
    "쓰레기 쓰레기 쓰레기",
    "CCTV 설치 Please",
    "a",
    "",
    "처음 보는 낱말들뿐",
]


@pytest.mark.parametrize(
    "options",
    [
        {"ngram_range": (1, 4), "sublinear_tf": True, "min_df": 1, "max_df": 0.9},
        {"ngram_range": (2, 3), "sublinear_tf": True},
        {"ngram_range": (1, 3), "use_idf": False, "norm": None},
    ],
)
def test_same_matrix_as_sklearn(options: dict[str, object]) -> None:
    vectorizer = TfidfVectorizer(analyzer="char_wb", **options).fit(TRAIN)
    ngrams = WordNgrams(vectorizer)
    expected = vectorizer.transform(QUERIES).toarray()
    for _ in range(2):  # cold, then from the cache
        assert np.allclose(ngrams.transform(QUERIES).toarray(), expected)


def test_the_cache_is_not_pickled() -> None:
    ngrams = WordNgrams(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)).fit(TRAIN))
    ngrams.transform(QUERIES)
    copy = pickle.loads(pickle.dumps(ngrams))
    assert copy._cache == {} and np.allclose(copy.transform(QUERIES).toarray(), ngrams.transform(QUERIES).toarray())
