"""Is this message for us? Administration (complaint, question, suggestion, report) versus chatter.

A calibrated linear model decides, after two cheap rules that need no model: a message without a single letter
(emoji, ㅋㅋㅋ, "!!!") and a message of one or two syllables are never a complaint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from sotong.triage.classify import LinearModel, Prepared, SplitFeatures

TRUE, FALSE = "true", "false"
_LETTER = re.compile(r"[가-힣A-Za-z]")


@dataclass(frozen=True)
class RelevanceDecision:
    relevant: bool
    probability: float  # of being about administration
    decided_by: str  # "model" or the rule's name


def label(value: object) -> str:
    """The relevance label of a training row as "true"/"false" (JSON booleans, strings, 1/0)."""
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "t"):
        return TRUE
    if text in ("false", "0", "no", "n", "f"):
        return FALSE
    raise ValueError(f"not a relevance label: {value!r}")


def rule(normalised: str) -> str | None:
    """The name of the no-model rule that makes this text chatter, or None."""
    if not _LETTER.search(normalised):
        return "no-words"  # emoji, ㅋㅋ, punctuation only (normalise dropped them)
    if len(_LETTER.findall(normalised)) <= 2:
        return "too-short"
    return None


def decide(
    model: LinearModel, x: csr_matrix | SplitFeatures, data: Prepared, *, threshold: float = 0.5
) -> list[RelevanceDecision]:
    """Relevance of each prepared text: the rules first, then the model's probability against `threshold`."""
    rows = x.rows if isinstance(x, SplitFeatures) else x.shape[0]
    probs = model.predict_proba(x)[:, model.classes.index(TRUE)] if rows else np.zeros(0)
    decisions = []
    for text, p in zip(data.normalised, probs, strict=True):
        name = rule(text)
        if name is not None:
            decisions.append(RelevanceDecision(relevant=False, probability=0.0, decided_by=f"rule:{name}"))
        else:
            decisions.append(RelevanceDecision(relevant=bool(p >= threshold), probability=float(p), decided_by="model"))
    return decisions
