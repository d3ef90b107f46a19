"""All six triage decisions for a batch of messages, without the database: relevance, type, category with
its top three, the routing rule that beats the model, duplicates, and the masked public text.

`actions.triage_case` feeds one case through this and acts on the result; the benchmark feeds thousands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sotong.text import pii
from sotong.triage.classify import prepare
from sotong.triage.duplicates import DuplicateIndex, DuplicateMatch
from sotong.triage.models import RoutingRule
from sotong.triage.pipeline import Prediction, TriageModel
from sotong.triage.rules import MessageContext, RuleDecision, evaluate


@dataclass(frozen=True)
class Incoming:
    text: str
    received_at: dt.datetime
    channel_account_id: int | None = None
    author_handle: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    case_id: int | None = None  # the case the message already opened (left out of its own duplicates)
    hint: tuple[str, ...] = ()  # the model labels of the 분야 the citizen chose (its code, its standard code)


@dataclass(frozen=True)
class Decision:
    prediction: Prediction
    rule: RuleDecision | None
    duplicate: DuplicateMatch | None
    public_text: str


def decide_batch(
    model: TriageModel,
    items: Sequence[Incoming],
    *,
    rules: Sequence[RoutingRule] = (),
    index: DuplicateIndex | None = None,
) -> list[Decision]:
    """Every triage decision for each message; the texts are normalised and analysed once for all models."""
    if not items:
        return []
    texts = [i.text for i in items]
    prepared = prepare(texts)
    hints = [i.hint for i in items] if any(i.hint for i in items) else None
    predictions = model.predict_prepared(prepared, hints)
    duplicates: list[DuplicateMatch | None] = [None] * len(items)
    if index is not None and index.cases:
        duplicates = index.find_many(
            texts,
            at=[i.received_at for i in items],
            authors=[i.author_handle for i in items],
            places=[(i.latitude, i.longitude) for i in items],
            exclude=[i.case_id for i in items],
            normalised=prepared.normalised,
        )
    decisions = []
    ordered = sorted(rules, key=lambda r: (r.priority, r.id))
    for item, text, prediction, duplicate in zip(items, prepared.normalised, predictions, duplicates, strict=True):
        context = MessageContext(item.text, item.channel_account_id, item.address)
        rule = evaluate(ordered, context, normalised=text) if ordered else None
        decisions.append(Decision(prediction, rule, duplicate, pii.mask(item.text)))
    return decisions
