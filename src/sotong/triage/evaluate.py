"""Measuring the triage pipeline: train a fresh model on one set, score it on another.

`sotong triage eval` prints what `evaluate` returns; the model store keeps the same figures with each version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from sotong.errors import InvalidInput
from sotong.triage import pipeline, relevance

RELEVANT = "relevant"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file (blank lines skipped)."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise InvalidInput(f"{path}:{number}: expected a JSON object")
            rows.append(row)
    return rows


def _labelled(rows: Iterable[Mapping[str, Any]], field: str) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for row in rows:
        text, value = row.get("text"), row.get(field)
        if not isinstance(text, str) or value is None or value == "":
            continue
        texts.append(text)
        labels.append(relevance.label(value) if field == RELEVANT else str(value))
    return texts, labels


def evaluate(
    train_rows: Sequence[Mapping[str, Any]], test_rows: Sequence[Mapping[str, Any]], field: str
) -> dict[str, Any]:
    """Train on `train_rows` only, predict `test_rows`, return the figures of `sotong triage eval`."""
    train_texts, train_labels = _labelled(train_rows, field)
    test_texts, test_labels = _labelled(test_rows, field)
    if not train_texts or not test_texts:
        raise InvalidInput(f"no rows with 'text' and {field!r} to train or test on")
    if len(set(train_labels)) < 2:
        raise InvalidInput(f"the training rows need at least two different values of {field!r}")
    is_relevance = field == RELEVANT
    if is_relevance:
        model = pipeline.train(texts=train_texts, relevant=[v == relevance.TRUE for v in train_labels], source="eval")
    else:
        model = pipeline.train(texts=train_texts, categories=train_labels, source="eval")
    predictions, per_second = pipeline.timed_predict(model, test_texts)
    result: dict[str, Any] = {}
    if is_relevance:
        predicted = [relevance.TRUE if p.relevance.relevant else relevance.FALSE for p in predictions]
        result["accuracy"] = accuracy_score(test_labels, predicted)
        result["macro_f1"] = f1_score(test_labels, predicted, average="macro", zero_division=0)
        result["top3_accuracy"] = None
        kwargs: dict[str, Any] = {"pos_label": relevance.TRUE, "zero_division": 0}
        result["precision"] = precision_score(test_labels, predicted, **kwargs)
        result["recall"] = recall_score(test_labels, predicted, **kwargs)
    else:
        predicted = [p.top.label if p.top else "" for p in predictions]
        result["accuracy"] = accuracy_score(test_labels, predicted)
        result["macro_f1"] = f1_score(test_labels, predicted, average="macro", zero_division=0)
        hits = sum(label in {c.label for c in p.candidates} for label, p in zip(test_labels, predictions, strict=True))
        result["top3_accuracy"] = hits / len(test_labels)
        result["precision"] = None
        result["recall"] = None
    result = {k: (round(float(v), 4) if v is not None else None) for k, v in result.items()}
    result.update(n_train=len(train_texts), n_test=len(test_texts), predict_per_s=round(per_second, 1))
    return result


def score(
    model: pipeline.TriageModel, texts: Sequence[str], categories: Sequence[str | None], relevant: Sequence[bool]
) -> dict[str, Any]:
    """Figures of a trained model on labelled rows, as the model store compares them."""
    predictions = model.predict(texts)
    out: dict[str, Any] = {"n_test": len(texts)}
    rows = [(c, p) for c, p in zip(categories, predictions, strict=True) if c]
    if rows and model.category is not None:
        truth = [c for c, _ in rows]
        guess = [p.top.label if p.top else "" for _, p in rows]
        out["macro_f1"] = round(float(f1_score(truth, guess, average="macro", zero_division=0)), 4)
        out["accuracy"] = round(float(accuracy_score(truth, guess)), 4)
        out["top3_accuracy"] = round(sum(c in {x.label for x in p.candidates} for c, p in rows) / len(rows), 4)
    if model.relevance is not None and len(set(relevant)) == 2:
        guessed = [p.relevance.relevant for p in predictions]
        out["relevance_f1"] = round(float(f1_score(list(relevant), guessed, zero_division=0)), 4)
    return out
