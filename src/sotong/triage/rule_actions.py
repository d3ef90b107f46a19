"""Routing rules as admins write them: created, changed, switched on and off, one audited action each (how a rule
decides: rules.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.cases.models import ComplaintType
from sotong.db import atomic
from sotong.errors import InvalidInput, NotFound
from sotong.orgs.models import ChannelAccount
from sotong.orgs.service import category_in, department_in, organisation
from sotong.triage.models import RoutingRule, RuleKind
from sotong.triage.rules import validate


def create_rule(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    name: str,
    kind: RuleKind,
    pattern: str | None = None,
    channel_account_id: int | None = None,
    department_id: int | None = None,
    category_id: int | None = None,
    target_org_id: int | None = None,
    complaint_type: ComplaintType | None = None,
    priority: int = 100,
) -> RoutingRule:
    """Add a routing rule (admins); it must decide something and be able to match."""
    require_role(actor, Role.admin, what="edit routing rules")
    same_org(actor, org_id)
    _check_rule(kind, pattern, channel_account_id, department_id, category_id, target_org_id)
    with atomic(session):
        _check_rule_targets(session, org_id, channel_account_id, department_id, category_id, target_org_id)
        rule = RoutingRule(
            org_id=org_id,
            name=name.strip() or kind.value,
            kind=kind,
            pattern=pattern,
            channel_account_id=channel_account_id,
            department_id=department_id,
            category_id=category_id,
            target_org_id=target_org_id,
            complaint_type=complaint_type.value if complaint_type else None,
            priority=priority,
        )
        session.add(rule)
        session.flush()
        record(session, actor=actor, action="triage.rule_created", org_id=org_id, after=_rule_dict(rule))
    return rule


def set_rule_enabled(session: Session, *, actor: Actor, rule_id: int, enabled: bool) -> RoutingRule:
    """Switch a routing rule on or off (rules are kept, never deleted, so old decisions stay explainable)."""
    require_role(actor, Role.admin, what="edit routing rules")
    with atomic(session):
        rule = _rule_of(session, actor, rule_id)
        before = {"enabled": rule.enabled}
        rule.enabled = enabled
        record(
            session,
            actor=actor,
            action="triage.rule_changed",
            org_id=rule.org_id,
            before=before,
            after=_rule_dict(rule),
        )
    return rule


def update_rule(
    session: Session,
    *,
    actor: Actor,
    rule_id: int,
    name: str,
    kind: RuleKind,
    pattern: str | None = None,
    channel_account_id: int | None = None,
    department_id: int | None = None,
    category_id: int | None = None,
    target_org_id: int | None = None,
    complaint_type: ComplaintType | None = None,
    priority: int = 100,
    enabled: bool = True,
) -> RoutingRule:
    """Change a routing rule (admins): what it matches, what it decides, its place in the order."""
    require_role(actor, Role.admin, what="edit routing rules")
    _check_rule(kind, pattern, channel_account_id, department_id, category_id, target_org_id)
    with atomic(session):
        rule = _rule_of(session, actor, rule_id)
        _check_rule_targets(session, rule.org_id, channel_account_id, department_id, category_id, target_org_id)
        before = _rule_dict(rule)
        rule.name, rule.kind, rule.pattern, rule.priority, rule.enabled = (
            name.strip() or kind.value,
            kind,
            pattern,
            priority,
            enabled,
        )
        rule.channel_account_id = channel_account_id if kind is RuleKind.channel_account else None
        rule.department_id, rule.category_id, rule.target_org_id = department_id, category_id, target_org_id
        rule.complaint_type = complaint_type.value if complaint_type else None
        record(
            session,
            actor=actor,
            action="triage.rule_changed",
            org_id=rule.org_id,
            before=before,
            after=_rule_dict(rule),
        )
    return rule


def _check_rule(
    kind: RuleKind,
    pattern: str | None,
    channel_account_id: int | None,
    department_id: int | None,
    category_id: int | None,
    target_org_id: int | None,
) -> None:
    """A rule must be able to match (`rules.validate`) and must decide something."""
    validate(kind, pattern, channel_account_id)
    if department_id is None and category_id is None and target_org_id is None:
        raise InvalidInput(
            "a rule must name a department, a category or a target organisation",
            field="department_id",
            code="rule_needs_target",
        )


def _rule_of(session: Session, actor: Actor, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"no routing rule {rule_id}")
    same_org(actor, rule.org_id)
    return rule


def _check_rule_targets(
    session: Session,
    org_id: int,
    channel_account_id: int | None,
    department_id: int | None,
    category_id: int | None,
    target_org_id: int | None,
) -> None:
    # A rule may send cases to another organisation (이송), but never into another organisation's departments.
    if channel_account_id is not None:
        account = session.get(ChannelAccount, channel_account_id)
        if account is None or account.org_id != org_id:
            raise NotFound(f"unknown channel account {channel_account_id} in this organisation")
    if department_id is not None:
        department_in(session, org_id, department_id)
    if category_id is not None:
        category_in(session, org_id, category_id)
    if target_org_id is not None:
        organisation(session, target_org_id)


def _rule_dict(rule: RoutingRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "kind": rule.kind,
        "pattern": rule.pattern,
        "enabled": rule.enabled,
        "priority": rule.priority,
        "channel_account_id": rule.channel_account_id,
        "complaint_type": rule.complaint_type,
        "department_id": rule.department_id,
        "category_id": rule.category_id,
        "target_org_id": rule.target_org_id,
    }
