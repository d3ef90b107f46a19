"""An organisation's official accounts: registered, changed, their credentials re-encrypted; one audited action each.

Secrets are write-only: a new value replaces the old one, an empty field keeps it, and the audit log records
which secrets changed, never their values (not even encrypted).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.channels import sandbox
from sotong.db import atomic
from sotong.errors import InvalidInput, NotFound
from sotong.orgs.models import Channel, ChannelAccount, Department
from sotong.orgs.service import department_in, organisation
from sotong.secrets import CredentialsError, is_secret, reseal_value, secret_names
from sotong.settings import Settings, get_settings

# What the pollers keep in the config for themselves: shown to nobody as a setting, never overwritten by one.
INTERNAL_KEYS = frozenset(
    {
        "since_id",
        "own_account_id",
        "last_uid",
        "uidvalidity",
        "last_poll_at",
        "poll_after",
        "last_error",
        "token_expires_at",
    }
)


def _snapshot(account: ChannelAccount) -> dict[str, Any]:
    config = account.config or {}
    return {
        "display_name": account.display_name,
        "enabled": account.enabled,
        "department_id": account.department_id,
        "reply_via_account_id": account.reply_via_account_id,
        "settings": {k: v for k, v in config.items() if not is_secret(k) and k not in INTERNAL_KEYS},
        "secrets_set": secret_names(config),
    }


def update_channel_account(
    session: Session,
    *,
    actor: Actor,
    account_id: int,
    display_name: str,
    enabled: bool,
    department_id: int | None,
    reply_via_account_id: int | None,
    settings: dict[str, Any],
    new_secrets: dict[str, str],
    removed_secrets: tuple[str, ...] = (),
) -> ChannelAccount:
    """Change an account's name, flag, default department, reply-via account, settings and secrets."""
    with atomic(session):
        account = session.get(ChannelAccount, account_id, with_for_update=True)
        if account is None or (actor.is_staff and account.org_id != actor.org_id):
            raise NotFound(f"no channel account {account_id} in your organisation")
        require_role(actor, Role.admin, what="manage channel accounts")
        if department_id is not None:
            department = session.get(Department, department_id)
            if department is None or department.org_id != account.org_id:
                raise InvalidInput("unknown department", field="department_id", code="invalid_choice")
        if reply_via_account_id is not None:
            via = session.get(ChannelAccount, reply_via_account_id)
            if via is None or via.org_id != account.org_id or via.id == account.id:
                raise InvalidInput("unknown reply-via account", field="reply_via_account_id", code="invalid_choice")
        for name in (*settings, *new_secrets):
            if name in INTERNAL_KEYS:
                raise InvalidInput(f"{name} is kept by the connector itself", field="settings")
        misplaced = [name for name in settings if is_secret(name)]
        if misplaced:
            # A secret typed into the visible settings would be shown back on the next page view.
            raise InvalidInput(f"{', '.join(misplaced)}: enter secrets in the credentials fields", field="settings")
        before = _snapshot(account)
        old = dict(account.config or {})
        config: dict[str, Any] = {k: v for k, v in old.items() if is_secret(k) or k in INTERNAL_KEYS}
        config.update(settings)
        for name in removed_secrets:
            config.pop(name, None)
        for name, value in new_secrets.items():
            if not is_secret(name):
                raise InvalidInput(f"{name} is not a secret's name", field="new_secret_name")
            if value:
                config[name] = value  # sealed by the write hook (channels/credentials.py) before it is stored
        sandbox.check_allowed(config, get_settings())
        account.display_name = display_name
        account.enabled = enabled
        account.department_id = department_id
        account.reply_via_account_id = reply_via_account_id
        account.config = config
        session.flush()
        after = _snapshot(account)
        record(
            session,
            actor=actor,
            action="channel_account.updated",
            org_id=account.org_id,
            before=before,
            after=after,
            details={
                "account_id": account.id,
                "secrets_changed": sorted({n for n, v in new_secrets.items() if v} | set(removed_secrets)),
            },
        )
    return account


def rotate_credentials(session: Session, settings: Settings | None = None) -> int:
    """Re-encrypt every secret of every account with the newest key (plaintext ones too); how many accounts.

    Run after putting a new key first in SOTONG_CREDENTIALS_KEY; the old key may be dropped afterwards.
    """
    changed = 0
    with atomic(session):
        for account in session.scalars(select(ChannelAccount).order_by(ChannelAccount.id).with_for_update()):
            config = dict(account.config or {})
            new = dict(config)
            for name, value in config.items():
                if not is_secret(name) or not isinstance(value, str) or not value:
                    continue
                try:
                    new[name] = reseal_value(value, settings)
                except CredentialsError:
                    raise CredentialsError(
                        f"channel account {account.id}: {name} cannot be decrypted with the configured keys"
                    ) from None
            if new != config:
                account.config = new
                changed += 1
    return changed


def create_channel_account(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    channel: Channel,
    handle: str,
    display_name: str | None = None,
    department_id: int | None = None,
    config: dict[str, Any] | None = None,
    reply_via_account_id: int | None = None,
) -> ChannelAccount:
    """Register an official account of the organisation on a channel (optionally answering via another one)."""
    sandbox.check_allowed(config, get_settings())
    account = ChannelAccount(
        org_id=org_id,
        channel=channel,
        handle=handle,
        display_name=display_name or handle,
        department_id=department_id,
        config=config or {},
        reply_via_account_id=reply_via_account_id,
    )
    try:
        with atomic(session):
            organisation(session, org_id)
            same_org(actor, org_id)
            require_role(actor, Role.admin, what="manage channel accounts")
            if department_id is not None:
                department_in(session, org_id, department_id)
            if reply_via_account_id is not None:
                # A personal account (the mayor's) is answered from the organisation's own centre account.
                via = session.get(ChannelAccount, reply_via_account_id)
                if via is None or via.org_id != org_id:
                    raise NotFound(f"unknown channel account {reply_via_account_id} in this organisation")
            session.add(account)
            session.flush()
            record(
                session,
                actor=actor,
                action="channel_account.created",
                org_id=org_id,
                after={
                    "id": account.id,
                    "channel": channel,
                    "handle": handle,
                    "reply_via_account_id": reply_via_account_id,
                },
            )
    except IntegrityError as exc:
        raise InvalidInput(f"{channel.value} account {handle!r} already exists") from exc
    return account
