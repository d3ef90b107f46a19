"""/staff/admin/channels: the organisation's official accounts, their health, and their set-up (admins only).

Secrets are write-only here: the page says which are set ("••••"), never their values, and an empty field
keeps the stored secret. Every change is one audited action (orgs.actions.create_channel_account,
channels.accounts.update_channel_account).
"""

from __future__ import annotations

import json
from secrets import token_urlsafe
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.channels import accounts as channel_accounts
from sotong.channels import registry, sandbox
from sotong.channels.accounts import INTERNAL_KEYS, update_channel_account
from sotong.channels.base import ProbeError, SetupField
from sotong.channels.health import gaps_of, health_of, is_failing, missing_settings, needs_sign_in
from sotong.console.admin.common import done, own_row
from sotong.console.admin.common import page as admin_page
from sotong.console.admin.forms import AdminActor, Form, FormData
from sotong.errors import InvalidInput
from sotong.i18n import translate
from sotong.orgs.models import Channel, ChannelAccount, Department
from sotong.secrets import is_secret, open_config, open_value, secret_names
from sotong.web.deps import DbSession
from sotong.web.session import flash
from sotong.web.templating import request_language

router = APIRouter(prefix="/staff/admin/channels", include_in_schema=False)

SECRET_PREFIX = "secret__"  # form fields of the write-only secrets: secret__<name>
SETTING_PREFIX = "setting__"  # form fields of the channel's named settings (Connector.setup_fields)


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    form: Form | None = None,
    *,
    values: dict[str, Any] | None = None,
) -> Response:
    """Render one of our pages in the administration layout; a form with errors comes back with 422."""
    return admin_page(request, name, context, form, values=values, folder="staff")


def _error(form: Form, field: str, code: str, **values: Any) -> None:
    """An error next to a field, from our own catalogue (channels.admin.error.*)."""
    form.errors.setdefault(field, translate(form.lang, f"channels.admin.error.{code}", **values))


def _accounts(db: Session, org_id: int | None) -> list[ChannelAccount]:
    return list(
        db.scalars(
            select(ChannelAccount)
            .where(ChannelAccount.org_id == org_id)
            .order_by(ChannelAccount.channel, ChannelAccount.id)
        )
    )


def _departments(db: Session, org_id: int | None) -> list[Department]:
    return list(db.scalars(select(Department).where(Department.org_id == org_id).order_by(Department.name)))


def settings_text(config: dict[str, Any] | None) -> str:
    """The visible settings as `key = value` lines (secrets and the pollers' cursors left out); a value that is not
    text (a flag, a list of networks) is written as JSON, so saving the page unchanged keeps it what it was."""
    return "\n".join(
        f"{k} = {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
        for k, v in sorted((config or {}).items())
        if not is_secret(k) and k not in INTERNAL_KEYS
    )


def _value(text: str) -> Any:
    """A typed setting's value: JSON's true, false, lists and objects are read as such (`sandbox = true`,
    `allowed_ips = ["117.52.141.192/27"]`); everything else, numbers included, stays text."""
    if text in ("true", "false") or text[:1] in ("[", "{"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def parse_settings(form: Form, name: str = "settings") -> dict[str, Any]:
    """`key = value` lines into a dict; a malformed line is an error on the field."""
    result: dict[str, Any] = {}
    kept: list[str] = []
    for number, line in enumerate((form.values.get(name) or "").splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or not key.replace("_", "").isalnum():
            _error(form, name, "settings_line", line=number)
            continue
        if is_secret(key):
            _error(form, name, "secret_in_settings", name=key)
            continue  # and the line is not shown back: a secret never appears on a page
        kept.append(line)
        result[key] = _value(value.strip())
    form.values[name] = "\n".join(kept) if not form.ok else form.values.get(name, "")
    return result


def _secret_fields(channel: str, config: dict[str, Any] | None) -> list[str]:
    return sorted(set(registry.secret_fields(channel)) | set(secret_names(config)))


def _account_options(accounts: list[ChannelAccount], lang: str) -> list[tuple[int, str]]:
    """Accounts named as staff know them: "카카오톡 송파구청", never "kakao 송파구청"."""
    return [(a.id, f"{translate(lang, f'channel.{a.channel.value}')} {a.handle}") for a in accounts]


def _list_page(request: Request, db: Session, actor: Actor, form: Form | None = None) -> Response:
    lang = request_language(request)
    accounts = _accounts(db, actor.org_id)
    departments = _departments(db, actor.org_id)
    return page(
        request,
        "channels_list.html",
        {
            "section": "channels",
            "accounts": accounts,
            "health": health_of(db, [a.id for a in accounts]),
            "is_failing": is_failing,
            "missing_settings": missing_settings,
            "needs_sign_in": needs_sign_in,
            "secret_names": secret_names,
            "is_sandbox": sandbox.is_sandbox,
            "departments": departments,
            "department_names": {d.id: d.name for d in departments},
            "account_names": {a.id: f"{a.channel.value} {a.handle}" for a in accounts},
            "channel_options": [(c.value, translate(lang, f"channel.{c.value}")) for c in Channel],
            "department_options": [(d.id, d.name) for d in departments],
            "account_options": _account_options(accounts, lang),
        },
        form,
    )


@router.get("")
def channel_list(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """Every official account of the organisation with its health, and the form to add one."""
    return _list_page(request, db, actor)


@router.post("")
def channel_create(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Register an account; its secrets go straight into the encrypted config."""
    form = Form(request, values)
    channel = form.choice("channel", Channel, required=True)
    handle = form.text("handle", required=True)
    display_name = form.text("display_name")
    department_id = form.ref("department_id", {d.id for d in _departments(db, actor.org_id)})
    reply_via = form.ref("reply_via_account_id", {a.id for a in _accounts(db, actor.org_id)})
    config = parse_settings(form)
    secrets = _submitted_secrets(form)
    if form.ok and channel is not None and handle is not None:
        try:
            account = channel_accounts.create_channel_account(
                db,
                actor=actor,
                org_id=actor.org_id or 0,
                channel=channel,
                handle=handle,
                display_name=display_name,
                department_id=department_id,
                config={**config, **secrets},
                reply_via_account_id=reply_via,
            )
        except InvalidInput as exc:
            form.refused(exc)
        else:
            # Straight to its page: the channel's credential fields are there.
            return done(request, f"/staff/admin/channels/{account.id}", "channels.admin.created", handle=account.handle)
    form.values = {k: v for k, v in form.values.items() if not k.startswith(SECRET_PREFIX)}  # never echoed
    return _list_page(request, db, actor, form)


def _submitted_secrets(form: Form) -> dict[str, str]:
    secrets = {
        k[len(SECRET_PREFIX) :]: v
        for k, v in form.values.items()
        if k.startswith(SECRET_PREFIX) and v and k != SECRET_PREFIX
    }
    other_name, other_value = form.values.get("new_secret_name", ""), form.values.get("new_secret_value", "")
    if other_name and other_value:
        if not is_secret(other_name):
            _error(form, "new_secret_name", "not_secret_name")
        else:
            secrets[other_name] = other_value
    for name in secrets:
        if not is_secret(name):
            _error(form, "_form", "not_secret_name")
    return secrets


def _schema(channel: str) -> tuple[SetupField, ...]:
    connector = registry.get_connector(channel)
    return connector.setup_fields if connector is not None else ()


def _edit_page(
    request: Request, db: Session, actor: Actor, account: ChannelAccount, form: Form | None = None
) -> Response:
    accounts = [a for a in _accounts(db, actor.org_id) if a.id != account.id]
    schema = _schema(account.channel.value)
    named = {f.name for f in schema}
    config = account.config or {}
    values = {
        "display_name": account.display_name,
        "enabled": "1" if account.enabled else "",
        "department_id": str(account.department_id or ""),
        "reply_via_account_id": str(account.reply_via_account_id or ""),
        "settings": settings_text({k: v for k, v in config.items() if k not in named}),
        **{f"{SETTING_PREFIX}{f.name}": str(config.get(f.name) or "") for f in schema if not f.secret},
    }
    connector = registry.get_connector(account.channel.value)
    settings = request.app.state.settings
    webhook_url = (
        f"{settings.base_url}/hooks/{account.channel.value}/{account.id}"
        if connector is not None and connector.accepts_webhooks
        else None
    )
    # Tokens Sotong made for the admin to paste into the platform's console: shown, unlike the platform's secrets.
    generated = {f.name: str(open_value(config.get(f.name)) or "") for f in schema if f.generated}
    return page(
        request,
        "channels_edit.html",
        {
            "section": "channels",
            "account": account,
            "health": health_of(db, [account.id]).get(account.id),
            "gaps": gaps_of(db, account.id),
            "is_failing": is_failing,
            "missing_settings": missing_settings,
            "needs_sign_in": needs_sign_in,
            "secrets_set": secret_names(account.config),
            "secret_fields": [n for n in _secret_fields(account.channel.value, account.config) if n not in named],
            "schema": schema,
            "generated": generated,
            "webhook_url": webhook_url,
            "probes": connector is not None and connector.probes,
            # A practice account's sandbox page, where staff write as a citizen (channels/sandbox.py).
            "practice_url": sandbox.url("", account.channel.value) + "/" if sandbox.is_sandbox(config) else None,
            "department_options": [(d.id, d.name) for d in _departments(db, actor.org_id)],
            "account_options": _account_options(accounts, request_language(request)),
        },
        form,
        values=values,
    )


@router.get("/{account_id}")
def channel_edit(account_id: int, request: Request, db: DbSession, actor: AdminActor) -> Response:
    """One account: its health and its set-up form (secrets write-only)."""
    return _edit_page(request, db, actor, own_row(db, ChannelAccount, account_id, actor))


@router.post("/{account_id}")
def channel_update(account_id: int, request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Save the account's set-up; empty secret fields keep the stored secrets."""
    account = own_row(db, ChannelAccount, account_id, actor)
    form = Form(request, values)
    display_name = form.text("display_name", required=True)
    department_id = form.ref("department_id", {d.id for d in _departments(db, actor.org_id)})
    reply_via = form.ref("reply_via_account_id", {a.id for a in _accounts(db, actor.org_id) if a.id != account.id})
    schema = _schema(account.channel.value)
    named = {f.name for f in schema}
    config = {k: v for k, v in parse_settings(form).items() if k not in named}
    secrets = _submitted_secrets(form)
    removed = tuple(k[len("remove__") :] for k in form.values if k.startswith("remove__") and form.checkbox(k))
    stored = secret_names(account.config)
    for field in schema:
        if field.secret:
            if field.generated and field.name not in stored and field.name not in secrets:
                secrets[field.name] = token_urlsafe(24)  # made here; the page shows it to paste into the platform
            elif field.required and field.name not in stored and field.name not in secrets:
                _error(form, f"{SECRET_PREFIX}{field.name}", "required_setting")
            continue
        value = (form.values.get(f"{SETTING_PREFIX}{field.name}") or "").strip()
        if value:
            config[field.name] = value
        elif field.required:
            _error(form, f"{SETTING_PREFIX}{field.name}", "required_setting")
    if form.ok and display_name is not None:
        try:
            update_channel_account(
                db,
                actor=actor,
                account_id=account.id,
                display_name=display_name,
                enabled=form.checkbox("enabled"),
                department_id=department_id,
                reply_via_account_id=reply_via,
                settings=config,
                new_secrets=secrets,
                removed_secrets=removed,
            )
        except InvalidInput as exc:
            form.refused(exc)
        else:
            return done(request, "/staff/admin/channels", "channels.admin.saved", handle=account.handle)
    db.rollback()
    form.values = {k: v for k, v in form.values.items() if not k.startswith(SECRET_PREFIX) and k != "new_secret_value"}
    return _edit_page(request, db, actor, own_row(db, ChannelAccount, account_id, actor), form)


@router.post("/{account_id}/probe")
def channel_probe(account_id: int, request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """ "연결 확인": ask the platform whether the saved settings work; the answer, in words, on the account's page.

    Nothing is changed (so nothing is audited): the probe only reads, and sends nothing to any citizen.
    """
    account = own_row(db, ChannelAccount, account_id, actor)
    connector = registry.get_connector(account.channel.value)
    lang = request_language(request)
    config = open_config(account.config)
    db.rollback()  # no transaction held open while the platform answers
    url = f"/staff/admin/channels/{account_id}"
    if connector is None or not connector.probes:
        flash(request, "error", translate(lang, "channels.probe.unsupported"))
        return RedirectResponse(url, status_code=303)
    try:
        connector.probe(config)
    except ProbeError as exc:
        flash(request, "error", translate(lang, exc.key))
        return RedirectResponse(url, status_code=303)
    return done(request, url, "channels.probe.ok")
