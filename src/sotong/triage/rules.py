"""Routing rules as data, evaluated before any model: what an admin wrote down beats what a model guessed.

Kinds: keyword (any of the words), regex, channel account (messages to the Water Supply account go to 상수도),
place (a message naming 송파구 goes to the Songpa organisation). The first enabled rule by priority decides,
and its decision says which rule it was and what matched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.errors import InvalidInput
from sotong.text.korean import compact, normalise
from sotong.triage.models import RoutingRule, RuleKind


@dataclass(frozen=True)
class MessageContext:
    text: str
    channel_account_id: int | None = None
    address: str | None = None


@dataclass(frozen=True)
class RuleDecision:
    rule_id: int
    rule_name: str
    kind: RuleKind
    department_id: int | None
    category_id: int | None
    target_org_id: int | None
    complaint_type: str | None
    matched: str  # what in the message made the rule fire

    @property
    def explanation(self) -> str:
        return f"규칙 '{self.rule_name}' ({self.kind.value}): {self.matched}"


def words(pattern: str | None) -> list[str]:
    """The comma- or newline-separated words of a keyword or place rule."""
    return [w.strip() for w in re.split(r"[,\n]", pattern or "") if w.strip()]


def validate(kind: RuleKind, pattern: str | None, channel_account_id: int | None) -> None:
    """Refuse a rule that could never fire or would crash at evaluation."""
    if kind is RuleKind.channel_account:
        if channel_account_id is None:
            raise InvalidInput(
                "a channel account rule needs the account", field="channel_account_id", code="rule_needs_account"
            )
        return
    if not pattern or not pattern.strip():
        raise InvalidInput(f"a {kind.value} rule needs a pattern", field="pattern", code="rule_needs_pattern")
    if kind is RuleKind.regex:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InvalidInput(f"invalid regular expression: {exc}", field="pattern", code="regex_invalid") from None
    elif not words(pattern):
        raise InvalidInput(f"a {kind.value} rule needs at least one word", field="pattern", code="rule_needs_pattern")


def _match(rule: RoutingRule, ctx: MessageContext, normalised: str, squeezed: str) -> str | None:
    if rule.kind is RuleKind.channel_account:
        return "수신 계정" if ctx.channel_account_id == rule.channel_account_id else None
    if rule.kind is RuleKind.regex:
        found = re.search(rule.pattern or "", ctx.text, re.IGNORECASE)
        return found.group(0) if found else None
    address = normalise(ctx.address) if rule.kind is RuleKind.place and ctx.address else ""
    for word, key, squeezed_key in _keys(rule.pattern):
        # Compared without spaces too: citizens write "송파 구청" and "송파구청" alike.
        if key in normalised or squeezed_key in squeezed or (address and key in address):
            return word
    return None


@lru_cache(maxsize=4096)
def _keys(pattern: str | None) -> tuple[tuple[str, str, str], ...]:
    # A batch asks the same few rules about thousands of messages: their words are normalised once.
    return tuple((word, normalise(word), compact(normalise(word))) for word in words(pattern))


def evaluate(
    rules: Sequence[RoutingRule], ctx: MessageContext, *, normalised: str | None = None
) -> RuleDecision | None:
    """The decision of the first enabled rule (by priority, then age) that matches, or None."""
    # A batch passes the text it has normalised already.
    normalised = normalise(ctx.text) if normalised is None else normalised
    squeezed = compact(normalised)
    for rule in sorted(rules, key=lambda r: (r.priority, r.id)):
        if not rule.enabled:
            continue
        matched = _match(rule, ctx, normalised, squeezed)
        if matched is not None:
            return RuleDecision(
                rule_id=rule.id,
                rule_name=rule.name,
                kind=rule.kind,
                department_id=rule.department_id,
                category_id=rule.category_id,
                target_org_id=rule.target_org_id,
                complaint_type=rule.complaint_type,
                matched=matched,
            )
    return None


def rules_for(session: Session, org_id: int) -> list[RoutingRule]:
    """The enabled rules of an organisation in evaluation order."""
    query = (
        select(RoutingRule)
        .where(RoutingRule.org_id == org_id, RoutingRule.enabled.is_(True))
        .order_by(RoutingRule.priority, RoutingRule.id)
    )
    return list(session.scalars(query))
