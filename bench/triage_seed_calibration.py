"""How sure the shipped seed model should be: its category confidences on another city's complaints.

    .venv/bin/python bench/triage_seed_calibration.py [--data ../shared/data/complaints-dev.jsonl]

A new installation triages with the model trained from the seed corpus until the city trains its own. The seed
corpus is ours and clean, so its own held-out rows say little about how often the model is right on a city's
messages. This bench predicts the development complaints (another city, Changwon) whose departments map onto a
seed category, and prints the accuracy, top-3 accuracy, expected calibration error (10 bins) and how many cases
would be routed automatically at an auto-route threshold of 0.8 and how often rightly, under
- the temperature the seed model would fit on its own out-of-fold scores (what `train` does),
- the temperature shipped as `pipeline.SEED_CATEGORY_TEMPERATURE`,
- the temperature that fits these complaints best (least log loss), which the shipped one was taken from.

The mapping below is loose (자동차 also registers cars, 위생 is food hygiene and 보건소 public health, both "health"),
and the development labels are noisy, so the accuracies are lower bounds; six departments with no seed category
(공통, 행정, 안전건설, 토지, 정보통신, 농업_축산) are left out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from _support import DEV_DATA
from sotong.triage.classify import _fit_temperature, _softmax, prepare
from sotong.triage.pipeline import SEED_CATEGORY_TEMPERATURE, seed_training_set, train

DEFAULT_DATA = DEV_DATA / "complaints-dev.jsonl"
THRESHOLD = 0.8  # the default `auto_route_threshold` of an organisation
# Development department → standard category (src/sotong/orgs/taxonomy.tsv).
MAPPING = {
    "상하수도": "water",
    "세무": "tax",
    "복지": "welfare",
    "보건소": "health",
    "위생": "health",
    "문화_체육_관광": "culture",
    "경제": "economy",
    "환경미화": "waste",
    "교통": "traffic",
    "건축허가": "building",
    "산림": "park",
    "자동차": "parking",
}


def _calibration_error(confidence: np.ndarray, right: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        rows = index == b
        if rows.any():
            error += float(rows.mean()) * abs(float(confidence[rows].mean()) - float(right[rows].mean()))
    return error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSONL with text and category")
    args, _ = parser.parse_known_args()  # `make bench` passes every benchmark the same extra arguments
    if not args.data.exists():
        print(f"no development data at {args.data}: pass --data FILE (JSONL with text and category)", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in args.data.open(encoding="utf-8") if line.strip()]
    rows = [r for r in rows if r.get("category") in MAPPING and isinstance(r.get("text"), str)]

    texts, categories, relevant = seed_training_set()
    model = train(texts=texts, categories=categories, relevant=relevant, source="seed")  # as fitted, before shipping
    assert model.category is not None
    scores = model.category._scores(model.category.svm, model.features.split(prepare([r["text"] for r in rows])))
    classes = model.category.classes
    truth = np.array([classes.index(MAPPING[r["category"]]) for r in rows])
    right = scores.argmax(axis=1) == truth
    top3 = np.mean([t in row for t, row in zip(truth, np.argsort(-scores, axis=1)[:, :3], strict=True)])
    print(f"{len(rows)} complaints of another city in {len(set(MAPPING.values()))} seed categories")
    print(f"seed model: accuracy {right.mean():.3f}, top-3 {top3:.3f}\n")

    fitted = _fit_temperature(scores, truth)
    print(f"{'temperature':<34}{'mean conf.':>11}{'ECE':>7}{'routed at 0.8':>15}{'right':>7}")
    for name, temperature in (
        ("own out-of-fold (train)", model.category.temperature),
        ("shipped (pipeline)", SEED_CATEGORY_TEMPERATURE),
        ("best fit on these", fitted),
    ):
        confidence = _softmax(scores, temperature).max(axis=1)
        routed = confidence >= THRESHOLD
        share_right = float(right[routed].mean()) if routed.any() else float("nan")
        print(
            f"{f'{name} {temperature:.3f}':<34}{confidence.mean():>11.3f}"
            f"{_calibration_error(confidence, right):>7.3f}{routed.mean():>15.3f}{share_right:>7.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
