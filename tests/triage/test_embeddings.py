"""Morpheme vectors recovered from kiwipiepy's similarity API, and message vectors as features."""

from __future__ import annotations

import itertools

import numpy as np

from sotong.text.korean import morphemes
from sotong.triage.classify import Features, LinearModel, prepare
from sotong.triage.embeddings import DIM, MessageVectors, MorphemeVectors, morpheme_vectors

from .helpers import CHATTER, CLEANING, ROAD, tiny_model


def _ids(text: str) -> list[int]:
    return prepare([text]).ids[0]


def test_recovered_vectors_give_back_kiwipiepys_similarities() -> None:
    ids = sorted({i for text in ROAD + CLEANING for i in _ids(text)})
    vectors = morpheme_vectors()
    with vectors.lock:
        rows = vectors.rows(ids)
        matrix = vectors.matrix().copy()
    found = [(i, r) for i, r in zip(ids, rows, strict=True) if r >= 0]
    assert len(found) >= 10
    similarity = morphemes().analyser().morpheme_similarity
    for (a, ra), (b, rb) in itertools.pairwise(found):
        u, v = matrix[ra], matrix[rb]
        cosine = float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))
        assert abs(cosine - similarity(a, b)) < 1e-3


def test_messages_about_the_same_thing_are_closer() -> None:
    texts = ["보도블럭이 깨져서 위험해요", "인도 연석이 파손됐어요", "재산세 납부 기한이 언제인가요"]
    data = prepare(texts)
    vectors = MessageVectors().fit(data.ids).transform(data.ids)
    assert vectors.shape == (3, DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_a_message_without_known_morphemes_has_a_zero_vector() -> None:
    data = prepare(["ㅋㅋㅋ", "보도블럭 파손"])
    vectors = MessageVectors().fit(data.ids).transform(data.ids)
    assert not vectors[0].any()
    assert vectors[1].any()


def test_vectors_from_another_kiwipiepy_model_are_not_used() -> None:
    data = prepare(["보도블럭 파손"])
    stale = MessageVectors().fit(data.ids)
    stale.version = "0.0.0"
    assert not stale.transform(data.ids).any()


def test_predicting_with_split_features_gives_the_joined_probabilities() -> None:
    model = tiny_model()
    data = prepare(ROAD + CLEANING + CHATTER)
    assert model.category is not None and model.relevance is not None
    split = model.features.split(data)
    assert split.dense is not None
    joined = model.features.transform(data)
    for classifier in (model.category, model.relevance):
        assert np.allclose(classifier.predict_proba(split), classifier.predict_proba(joined))


def test_a_model_stored_before_the_vectors_still_predicts() -> None:
    data = prepare(ROAD + CLEANING)
    labels = ["road"] * len(ROAD) + ["waste"] * len(CLEANING)
    features = Features().fit(data)
    features.dense = None  # as unpickled from a model of the previous format
    model = LinearModel().fit(features.transform(data), labels)
    probs = model.predict_proba(features.split(data))
    assert [model.classes[i] for i in probs.argmax(axis=1)] == labels


def test_the_vector_cache_stays_bounded_and_right() -> None:
    vectors = MorphemeVectors(cache_size=1500)
    reference = morpheme_vectors()
    first = list(range(1000, 2200))
    with vectors.lock, reference.lock:
        vectors.rows(first)
        rows = vectors.rows(list(range(2200, 3000)))  # over the bound: the cache starts again
        assert len(vectors.matrix()) <= 1500
        huge = vectors.rows(list(range(3000, 5000)))  # one batch larger than the bound still gets every vector
        expected = reference.rows(list(range(3000, 5000)))
        got = vectors.matrix()[[r for r in huge if r >= 0]]
        assert np.allclose(got, reference.matrix()[[r for r in expected if r >= 0]], atol=1e-5)
    assert [r >= 0 for r in huge] == [r >= 0 for r in expected]
    assert len(rows) == 800
