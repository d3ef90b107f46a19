"""Categories (분야 → 부서) and routing rules, with a box that runs the organisation's rules on a sample text."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.cases.models import ComplaintType
from sotong.console.admin.common import done, own_row, page, router
from sotong.console.admin.forms import AdminActor, Form, FormData
from sotong.errors import InvalidInput
from sotong.orgs import actions as org_actions
from sotong.orgs.models import CHATTER_REPLIES, Category, ChannelAccount, Department, Organisation
from sotong.orgs.taxonomy import standard_categories, standard_category
from sotong.triage import rule_actions
from sotong.triage import rules as rule_engine
from sotong.triage.mapping import recent_first_choices
from sotong.triage.models import RoutingRule, RuleKind
from sotong.web.deps import DbSession

SAMPLE_MAX = 2000


def _choices(db: Session, actor: Actor) -> dict[str, Any]:
    """The rows a form of this organisation may pick from (and the names the lists show)."""
    departments = list(
        db.scalars(select(Department).where(Department.org_id == actor.org_id).order_by(Department.name))
    )
    categories = list(db.scalars(select(Category).where(Category.org_id == actor.org_id).order_by(Category.name)))
    accounts = list(
        db.scalars(select(ChannelAccount).where(ChannelAccount.org_id == actor.org_id).order_by(ChannelAccount.channel))
    )
    organisations = list(db.scalars(select(Organisation).order_by(Organisation.name)))
    return {
        "departments": departments,
        "categories": categories,
        "accounts": accounts,
        "organisations": organisations,
        "names": {
            "department": {d.id: d.name for d in departments},
            "category": {c.id: c.name for c in categories},
            "account": {a.id: f"{a.display_name} ({a.handle})" for a in accounts},
            "organisation": {o.id: o.name for o in organisations},
        },
    }


# --------------------------------------------------------------------------------------------- categories


def _category_fields(form: Form, choices: dict[str, Any]) -> dict[str, Any]:
    code = form.text("code", required=True, max_length=64)
    if code is not None and not code.replace("-", "").replace("_", "").isalnum():
        form.error("code", "code_chars")
    standard_code = form.text("standard_code", max_length=64)
    if standard_code is not None and standard_category(standard_code) is None:
        form.error("standard_code", "unknown_standard")
    return {
        "code": code,
        "name": form.text("name", required=True),
        "department_id": form.ref("department_id", {d.id for d in choices["departments"]}),
        "description": form.text("description", max_length=2000),
        "standard_code": standard_code,
    }


def _standard_rows(db: Session, actor: Actor, categories: list[Category]) -> dict[str, Any]:
    """Each standard category with the category of this organisation it reaches and its recent first choices."""
    recent = recent_first_choices(db, actor.org_id or 0)
    rows = []
    for standard in standard_categories():
        target = next((c for c in categories if c.code == standard.code), None) or next(
            (c for c in categories if c.standard_code == standard.code), None
        )
        rows.append({"standard": standard, "category": target, "count": recent.get(standard.code, 0)})
    return {"standard_rows": rows, "recent_total": sum(recent.values()), "standard_choices": standard_categories()}


def _effect(db: Session, actor: Actor, fields: dict[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    """What the category's mapping as on the form would do to the organisation's recent cases."""
    recent = recent_first_choices(db, actor.org_id or 0)
    labels = {fields.get("code"), fields.get("standard_code")} - {None, ""}
    department = names["department"].get(fields.get("department_id"))
    target = f"{fields.get('name') or fields.get('code')} ({department})" if department else fields.get("name")
    return {
        "effect": {"count": sum(recent.get(str(label), 0) for label in labels), "total": sum(recent.values())},
        "effect_target": target,
    }


def _categories_page(request: Request, db: Session, actor: Actor, form: Form | None = None) -> Response:
    choices = _choices(db, actor)
    org = db.get(Organisation, actor.org_id)
    context = {
        **choices,
        **_standard_rows(db, actor, choices["categories"]),
        "chatter_reply": org.chatter_reply if org else "acknowledge",
        "chatter_replies": CHATTER_REPLIES,
    }
    return page(request, "categories.html", context, form)


@router.post("/categories/chatter-reply")
def chatter_reply(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Choose what chatter (a greeting, praise: no complaint) is answered with: an acknowledgement or nothing."""
    form = Form(request, values)
    reply = form.text("chatter_reply", required=True, max_length=16)
    if form.ok and reply is not None:
        try:
            org_actions.set_chatter_reply(db, actor=actor, org_id=actor.org_id or 0, reply=reply)
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return _categories_page(request, db, actor, form)
    return done(request, "/staff/admin/categories", "admin.saved.chatter_reply")


@router.get("/categories")
def category_list(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """The organisation's categories and the department each goes to."""
    return _categories_page(request, db, actor)


@router.post("/categories")
def category_create(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Add a category mapped to a department."""
    form = Form(request, values)
    fields = _category_fields(form, _choices(db, actor))
    if form.ok:
        try:
            org_actions.create_category(db, actor=actor, org_id=actor.org_id or 0, **fields)
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return _categories_page(request, db, actor, form)
    return done(request, "/staff/admin/categories", "admin.saved.category", name=fields["name"])


@router.get("/categories/{category_id}")
def category_edit(category_id: int, request: Request, db: DbSession, actor: AdminActor) -> Response:
    """The edit form of one category."""
    category = own_row(db, Category, category_id, actor)
    values = {
        "code": category.code,
        "name": category.name,
        "department_id": str(category.department_id or ""),
        "description": category.description or "",
        "standard_code": category.standard_code or "",
    }
    choices = _choices(db, actor)
    fields = {**values, "department_id": category.department_id}
    context = {"category": category, "standard_choices": standard_categories(), **choices}
    return page(
        request, "category_edit.html", {**context, **_effect(db, actor, fields, choices["names"])}, values=values
    )


@router.post("/categories/{category_id}")
def category_update(category_id: int, request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Save a category (its department decides where new cases of it go)."""
    category = own_row(db, Category, category_id, actor)
    choices = _choices(db, actor)
    form = Form(request, values)
    fields = _category_fields(form, choices)
    context = {"category": category, "standard_choices": standard_categories(), **choices}
    if form.ok and "preview" in values:
        # The effect of the mapping on the form, nothing saved: the form comes back as it was filled in.
        return page(
            request, "category_edit.html", {**context, **_effect(db, actor, fields, choices["names"])}, values=values
        )
    if form.ok:
        try:
            org_actions.update_category(db, actor=actor, category_id=category.id, **fields)
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return page(request, "category_edit.html", context, form)
    return done(request, "/staff/admin/categories", "admin.saved.category", name=fields["name"])


# --------------------------------------------------------------------------------------------- routing rules


def _rule_fields(form: Form, choices: dict[str, Any]) -> dict[str, Any]:
    kind = form.choice("kind", RuleKind, required=True)
    pattern = form.text("pattern", max_length=2000)
    account = form.ref("channel_account_id", {a.id for a in choices["accounts"]})
    if kind is not None and "pattern" not in form.errors:
        try:
            rule_engine.validate(kind, pattern, account)
        except InvalidInput as exc:
            form.refused(exc)
    fields = {
        "name": form.text("name", required=True),
        "kind": kind,
        "pattern": pattern if kind is not RuleKind.channel_account else None,
        "channel_account_id": account if kind is RuleKind.channel_account else None,
        "department_id": form.ref("department_id", {d.id for d in choices["departments"]}),
        "category_id": form.ref("category_id", {c.id for c in choices["categories"]}),
        "target_org_id": form.ref("target_org_id", {o.id for o in choices["organisations"]}),
        "complaint_type": form.choice("complaint_type", ComplaintType),
        "priority": form.integer("priority", required=True, minimum=0, maximum=100000),
    }
    if (
        form.ok
        and fields["department_id"] is None
        and fields["category_id"] is None
        and fields["target_org_id"] is None
    ):
        form.error("department_id", "rule_needs_target")
    return fields


def _rules_page(
    request: Request, db: Session, actor: Actor, form: Form | None = None, test: dict[str, Any] | None = None
) -> Response:
    rules = list(
        db.scalars(
            select(RoutingRule).where(RoutingRule.org_id == actor.org_id).order_by(RoutingRule.priority, RoutingRule.id)
        )
    )
    return page(
        request,
        "rules.html",
        {
            "rules": rules,
            "kinds": list(RuleKind),
            "complaint_types": list(ComplaintType),
            "test": test or {},
            **_choices(db, actor),
        },
        form,
        values={"priority": "100", "kind": RuleKind.keyword.value},
    )


@router.get("/rules")
def rule_list(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """The organisation's routing rules in evaluation order; `?sample=` runs them on a text."""
    params = request.query_params
    test: dict[str, Any] = {}
    sample = (params.get("sample") or "").strip()[:SAMPLE_MAX]
    if "sample" in params:
        accounts = {a.id for a in _choices(db, actor)["accounts"]}
        try:
            account_id: int | None = int(params.get("sample_account") or "")
        except ValueError:
            account_id = None
        ctx = rule_engine.MessageContext(
            text=sample,
            channel_account_id=account_id if account_id in accounts else None,
            address=(params.get("sample_address") or "").strip()[:200] or None,
        )
        # The same rules and the same evaluation triage runs on every incoming message.
        decision = rule_engine.evaluate(rule_engine.rules_for(db, actor.org_id or 0), ctx)
        test = {
            "ran": True,
            "sample": sample,
            "account_id": ctx.channel_account_id,
            "address": ctx.address or "",
            "decision": decision,
        }
    return _rules_page(request, db, actor, test=test)


@router.post("/rules")
def rule_create(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Add a routing rule."""
    form = Form(request, values)
    fields = _rule_fields(form, _choices(db, actor))
    if form.ok:
        try:
            rule_actions.create_rule(db, actor=actor, org_id=actor.org_id or 0, **fields)
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return _rules_page(request, db, actor, form)
    return done(request, "/staff/admin/rules", "admin.saved.rule", name=fields["name"])


@router.get("/rules/{rule_id}")
def rule_edit(rule_id: int, request: Request, db: DbSession, actor: AdminActor) -> Response:
    """The edit form of one routing rule."""
    rule = own_row(db, RoutingRule, rule_id, actor)
    values = {
        "name": rule.name,
        "kind": rule.kind.value,
        "pattern": rule.pattern or "",
        "channel_account_id": str(rule.channel_account_id or ""),
        "department_id": str(rule.department_id or ""),
        "category_id": str(rule.category_id or ""),
        "target_org_id": str(rule.target_org_id or ""),
        "complaint_type": rule.complaint_type or "",
        "priority": str(rule.priority),
        "enabled": "1" if rule.enabled else "",
    }
    context = {"rule": rule, "kinds": list(RuleKind), "complaint_types": list(ComplaintType), **_choices(db, actor)}
    return page(request, "rule_edit.html", context, values=values)


@router.post("/rules/{rule_id}")
def rule_update(rule_id: int, request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Save a routing rule."""
    rule = own_row(db, RoutingRule, rule_id, actor)
    choices = _choices(db, actor)
    form = Form(request, values)
    fields = _rule_fields(form, choices)
    if form.ok:
        try:
            rule_actions.update_rule(db, actor=actor, rule_id=rule.id, enabled=form.checkbox("enabled"), **fields)
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        context = {"rule": rule, "kinds": list(RuleKind), "complaint_types": list(ComplaintType), **choices}
        return page(request, "rule_edit.html", context, form)
    return done(request, "/staff/admin/rules", "admin.saved.rule", name=fields["name"])


@router.post("/rules/{rule_id}/enabled")
def rule_toggle(rule_id: int, request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Switch a rule on or off from the list."""
    rule = own_row(db, RoutingRule, rule_id, actor)
    enabled = values.get("enabled") == "1"
    rule_actions.set_rule_enabled(db, actor=actor, rule_id=rule.id, enabled=enabled)
    key = "admin.saved.rule_on" if enabled else "admin.saved.rule_off"
    return done(request, "/staff/admin/rules", key, name=rule.name)
