"""What a message is about: features, calibrated linear classifiers, complaint type cues.

One `Features` object turns texts into character n-grams plus kiwipiepy content morphemes and their pairs, and
the meaning of those morphemes from kiwipiepy's language model (`embeddings`).
Linear SVMs on these are the best we measured on
Korean complaint data (see docs/triage.md); their scores become probabilities by a softmax whose temperature is
fitted on out-of-fold scores, so "0.83" on the console means about 83% of such guesses are right.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from sotong.cases.models import ComplaintType
from sotong.text.korean import morphemes, normalise
from sotong.triage.embeddings import MessageVectors
from sotong.triage.text import WordNgrams, morpheme_features


def _identity(tokens: list[str]) -> list[str]:
    # Module level so fitted vectorizers pickle.
    return tokens


@dataclass
class Prepared:
    """Texts normalised and analysed once, shared by every model of a triage pass."""

    normalised: list[str]
    words: list[list[str]]
    ids: list[list[int]]  # kiwipiepy ids of the content morphemes, for their vectors

    def __len__(self) -> int:
        return len(self.normalised)


def prepare(texts: Sequence[str]) -> Prepared:
    """Normalise and analyse texts (the costly step; do it once per batch)."""
    normalised = [normalise(t) for t in texts]
    words, ids = morphemes().analyse(normalised)
    return Prepared(normalised=normalised, words=[morpheme_features(w) for w in words], ids=ids)


# The message vectors against the TF-IDF blocks (each of unit length): 1.0 to 2.0 scored the same in
# cross-validation on the development categories and groups.
DENSE_WEIGHT = 1.5


@dataclass
class SplitFeatures:
    """Features of a batch: the TF-IDF blocks and, apart, the dense message vectors (the last columns).

    Predicting reads them apart: joining 256 dense columns into the sparse matrix cost twice as much as
    computing all the n-grams, and a dense product with the vectors' weights costs nothing.
    """

    sparse: csr_matrix
    dense: np.ndarray | None

    @property
    def rows(self) -> int:
        return int(self.sparse.shape[0])


class Features:
    """Character n-grams within words and content morphemes, TF-IDF weighted, and the message's vector.

    Character n-grams of the text with spaces removed scored the same on the development data and halved the
    throughput, so spacing errors are left to kiwipiepy, which splits "보도블럭이깨져서" into its morphemes.
    """

    def __init__(self) -> None:
        self.vectorizers: list[TfidfVectorizer] = []
        self.dense: MessageVectors | None = None

    def fit(self, data: Prepared) -> Features:
        """Learn the vocabularies from training texts."""
        # Rare n-grams are noise in a large history but most of the signal in a small seed corpus.
        min_df = 2 if len(data) >= 2000 else 1
        self.vectorizers = [
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, min_df=min_df, max_df=0.5),
            TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=1),
        ]
        for vectorizer, column in zip(self.vectorizers, self._columns(data), strict=True):
            vectorizer.fit(column)
        self.dense = MessageVectors().fit(data.ids)
        return self

    def transform(self, data: Prepared) -> csr_matrix:
        """The feature matrix of prepared texts, as the classifiers are trained on it."""
        split = self.split(data)
        if split.dense is None:
            return split.sparse
        return hstack([split.sparse, csr_matrix(split.dense)], format="csr")

    def split(self, data: Prepared) -> SplitFeatures:
        """The features of prepared texts with the dense message vectors kept apart, for predicting."""
        chars, words = self.vectorizers
        ngrams = self.__dict__.get("_ngrams")
        if ngrams is None or ngrams.vectorizer is not chars:
            ngrams = self.__dict__["_ngrams"] = WordNgrams(chars)
        sparse = hstack([ngrams.transform(data.normalised), words.transform(data.words)], format="csr")
        vectors = self.__dict__.get("dense")  # None in models stored before the vectors existed
        dense = vectors.transform(data.ids) * DENSE_WEIGHT if vectors is not None else None
        return SplitFeatures(sparse, dense)

    def __getstate__(self) -> dict[str, Any]:
        # The word cache belongs to this process, not to the stored model.
        return {k: v for k, v in self.__dict__.items() if k != "_ngrams"}

    @staticmethod
    def _columns(data: Prepared) -> tuple[list[str], list[list[str]]]:
        return data.normalised, data.words


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature that makes out-of-fold scores honest probabilities (least log loss)."""
    best, best_loss = 1.0, float("inf")
    # Not below 0.1: on a tiny, perfectly separable training set the loss would push towards certainty.
    for temperature in np.geomspace(0.1, 5.0, 50):
        probs = _softmax(scores, float(temperature))
        loss = -float(np.mean(np.log(probs[np.arange(len(truth)), truth] + 1e-12)))
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


# liblinear's stopping tolerance: 1e-3 instead of sklearn's 1e-4 trains the SVMs a third faster with the dense
# message vectors and gave the same development figures to the fourth decimal.
_TOLERANCE = 1e-3


@dataclass
class LinearModel:
    """A linear SVM over `Features` with calibrated probabilities; binary problems use two columns too."""

    c: float = 0.3
    classes: list[str] = field(default_factory=list)
    temperature: float = 1.0
    svm: Any = None

    def fit(self, x: csr_matrix, labels: Sequence[str]) -> LinearModel:
        """Train on a feature matrix and string labels."""
        y_text = np.asarray(labels, dtype=object)
        self.classes = sorted(set(y_text.tolist()))
        if len(self.classes) < 2:
            raise ValueError("training needs at least two different labels")
        index = {c: i for i, c in enumerate(self.classes)}
        y = np.array([index[v] for v in y_text])
        self.temperature = self._calibrate(x, y)
        self.svm = LinearSVC(C=self.c, tol=_TOLERANCE).fit(x, y)
        return self

    def _calibrate(self, x: csr_matrix, y: np.ndarray) -> float:
        # Five folds: each fold model sees four fifths of the rows, close to the final model, whose wider margins
        # made temperatures fitted on three folds overconfident (development categories: ECE 0.098 → 0.083).
        folds = min(5, int(np.bincount(y).min()))
        if folds < 2:
            return 1.0  # too few examples of some label to hold any out; confidences stay uncalibrated
        scores = np.zeros((len(y), len(self.classes)))
        for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(x, y):
            svm = LinearSVC(C=self.c, tol=_TOLERANCE).fit(x[train], y[train])
            scores[test] = self._scores(svm, x[test])
        return _fit_temperature(scores, y)

    def _scores(self, svm: Any, x: csr_matrix | SplitFeatures) -> np.ndarray:
        if isinstance(x, SplitFeatures):
            coef = svm.coef_
            width = x.sparse.shape[1]
            raw = np.asarray(x.sparse @ coef[:, :width].T) + svm.intercept_
            if x.dense is not None:
                raw += x.dense @ coef[:, width:].T
            if raw.shape[1] == 1:
                raw = raw.ravel()
        else:
            raw = svm.decision_function(x)
        if raw.ndim == 1:  # binary: sklearn gives the score of the second class only
            raw = np.column_stack([-raw / 2, raw / 2])
        # Classes absent from a fold's training part get no score: fill them with the lowest.
        if raw.shape[1] != len(self.classes):
            full = np.full((raw.shape[0], len(self.classes)), raw.min() - 1.0)
            full[:, svm.classes_] = raw
            raw = full
        return raw

    def predict_proba(self, x: csr_matrix | SplitFeatures) -> np.ndarray:
        """Calibrated probabilities, one column per entry of `classes`."""
        return _softmax(self._scores(self.svm, x), self.temperature)


# --------------------------------------------------------------------------------------------- complaint type

# 민원 종류 from how the citizen writes. Scored cues, not a model: the seed corpus is too small to learn the
# type well, and an operator reads "질의: '어떻게 하나요'" faster than a weight vector.
_TYPE_CUES: dict[ComplaintType, list[tuple[re.Pattern[str], float]]] = {
    ComplaintType.inquiry: [
        (re.compile(r"\?|？"), 1.0),
        (
            re.compile(
                r"(?:하나요|되나요|있나요|없나요|인가요|건가요|한가요|할까요|을까요|는지요|나요\s*\?|하죠|되죠)"
            ),
            1.2,
        ),
        (re.compile(r"(?:언제|어디서|어디로|어디에|어떻게|얼마|무엇|뭔가요|뭐가|몇\s*살)"), 0.8),
        (re.compile(r"(?:문의|궁금|알려\s*주세요|알려\s*주실|알고\s*싶|확인하고\s*싶|안내\s*부탁|자격)"), 1.5),
    ],
    ComplaintType.inquiry_law: [
        (re.compile(r"(?:법률|법령|조례|시행령|시행규칙|법적|위법|적법|합법|법\s*해석|규정\s*해석)"), 1.4),
    ],
    ComplaintType.suggestion: [
        (
            re.compile(
                r"(?:건의|제안|했으면|하면\s*좋겠|해\s*주셨으면|있으면\s*좋|좋을\s*것\s*같|주시면\s*좋|있었으면)"
            ),
            1.8,
        ),
        (re.compile(r"(?:설치|신설|확대|늘려|만들어|열어\s*주|운영해\s*주|받을\s*수\s*있게|도록\s*관리|검토)"), 1.3),
    ],
    ComplaintType.grievance: [
        (re.compile(r"(?:억울|부당|불친절|반말|갑질|무시|헛걸음|답답|모른\s*척|모른척|돌리기만|불쾌|너무합니다)"), 1.8),
        (
            re.compile(
                r"(?:번째|몇\s*번|연락이\s*없|답을\s*안|아무\s*조치|아무도\s*안|잘못\s*(?:입력|처리|부과)|또\s*내라)"
            ),
            1.4,
        ),
        (re.compile(r"(?:신고했는데|신고한\s*지|민원\s*넣었|처리가\s*안|해결이\s*안|계속\s*부과|특정\s*\S+만)"), 1.2),
    ],
    ComplaintType.opinion: [
        (
            re.compile(r"(?:좋았어요|좋네요|좋은\s*정책|고생\s*많|수고\s*많|감사합니다|덕분에|나아진|예뻐요|편해졌)"),
            1.9,
        ),
    ],
}
_REQUEST = re.compile(r"(?:해\s*주세요|해주십시오|부탁|바랍니다|조치|단속|수리|보수|치워|고쳐|확인\s*(?:해|부탁|바))")


@dataclass(frozen=True)
class TypeGuess:
    complaint_type: ComplaintType
    confidence: float
    cue: str  # the words that decided, shown to the operator


def complaint_type(text: str, *, normalised: bool = False) -> TypeGuess:
    """The complaint type from the writing; everyday reports and requests are 기타 (answered within 3 hours)."""
    if not normalised:
        text = normalise(text)
    scores: dict[ComplaintType, tuple[float, str]] = {}
    for kind, cues in _TYPE_CUES.items():
        total, found = 0.0, []
        for pattern, weight in cues:
            match = pattern.search(text)
            if match:
                total += weight
                found.append(match.group(0))
        if total:
            scores[kind] = (total, ", ".join(found))
    request = _REQUEST.search(text)
    # A request to fix something is a report (기타) even when politely phrased as a question.
    other_score = 1.7 if request else 0.6
    if ComplaintType.inquiry_law in scores and ComplaintType.inquiry in scores:
        law, law_cue = scores.pop(ComplaintType.inquiry_law)
        inquiry, inquiry_cue = scores[ComplaintType.inquiry]
        scores[ComplaintType.inquiry_law] = (law + inquiry, f"{law_cue}, {inquiry_cue}")
        scores.pop(ComplaintType.inquiry)
    elif ComplaintType.inquiry_law in scores:
        scores.pop(ComplaintType.inquiry_law)  # a law named without a question is still a report or grievance
    scores.setdefault(ComplaintType.other, (other_score, request.group(0) if request else ""))
    best = max(scores, key=lambda k: scores[k][0])
    total = sum(s for s, _ in scores.values())
    return TypeGuess(complaint_type=best, confidence=round(scores[best][0] / total, 3), cue=scores[best][1])
