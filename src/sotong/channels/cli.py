"""`sotong channels ...`: register official accounts, list them with their health, poll by hand."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from sotong.cli_support import department_by_name, org_by_slug, parse_enum, session_scope
from sotong.db import make_engine, session_factory
from sotong.errors import InvalidInput
from sotong.settings import get_settings

channels_app = typer.Typer(help="Channel accounts: register, list with health, poll now.", no_args_is_help=True)
console = Console()


@channels_app.command("poll")
def poll(
    account: int | None = typer.Option(None, "--account", help="Poll this account now, whatever its interval."),
) -> None:
    """Poll every due account of the polled channels (as the worker does), or one account now."""
    from sotong import schema
    from sotong.channels.polling import poll_account, poll_due

    engine = make_engine(get_settings().database_url)
    try:
        if not schema.is_current(engine):
            raise InvalidInput("the database schema is not up to date: run `sotong db upgrade` first")
        factory = session_factory(engine)
        if account is None:
            console.print(f"{poll_due(factory)} channel accounts polled")
            return
        with factory() as session:
            outcome = poll_account(session, account_id=account)
        if outcome.taken is not None:
            taken = outcome.taken
            console.print(
                f"account {account}: {taken.stored} new, {taken.duplicates} seen before, {taken.refused} refused"
            )
        else:
            console.print(f"account {account}: {escape(outcome.error or outcome.skipped or '')}")
            raise typer.Exit(1)
    finally:
        engine.dispose()


@channels_app.command("add")
def add(
    org: str = typer.Option(..., help="Organisation slug."),
    channel: str = typer.Option(..., help="x, facebook, mastodon, email, ..."),
    handle: str = typer.Option(..., help="The account's name on the platform, e.g. @songpaOK or minwon@songpa.go.kr."),
    display_name: str | None = typer.Option(None, help="Name shown to staff."),
    department: str | None = typer.Option(None, help="Default department name for its messages."),
    config: str = typer.Option("{}", help="Connector settings as JSON (base URL, tokens...; see docs/channels.md)."),
) -> None:
    """Register an official account of an organisation on a channel."""
    from sotong.actors import CLI
    from sotong.orgs import actions
    from sotong.orgs.models import Channel

    parsed_channel = parse_enum(Channel, channel, "channel")
    try:
        settings_json: Any = json.loads(config)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--config is not JSON: {exc.msg}") from None
    if not isinstance(settings_json, dict):
        raise InvalidInput("--config must be a JSON object")
    with session_scope() as session:
        organisation = org_by_slug(session, org)
        department_id = department_by_name(session, organisation, department).id if department else None
        account = actions.create_channel_account(
            session,
            actor=CLI,
            org_id=organisation.id,
            channel=parsed_channel,
            handle=handle,
            display_name=display_name,
            department_id=department_id,
            config=settings_json,
        )
        console.print(f"[green]✓[/green] {parsed_channel.value} account {escape(handle)} registered as {account.id}")


@channels_app.command("list")
def list_accounts(org: str | None = typer.Option(None, help="Only this organisation (slug).")) -> None:
    """Every official account with its health (last poll, last error, rate limit); secrets are never shown."""
    from sotong.orgs.models import ChannelAccount, Organisation

    with session_scope() as session:
        query = select(ChannelAccount, Organisation.slug).join(Organisation, Organisation.id == ChannelAccount.org_id)
        if org is not None:
            query = query.where(Organisation.slug == org)
        table = Table(title="Channel accounts")
        for column in ("id", "org", "channel", "handle", "enabled", "last poll", "last error", "poll after"):
            table.add_column(column)
        for account, slug in session.execute(query.order_by(ChannelAccount.id)):
            health = account.config or {}
            table.add_row(
                str(account.id),
                slug,
                account.channel.value,
                escape(account.handle),
                "yes" if account.enabled else "no",
                str(health.get("last_poll_at") or "—"),
                escape(str(health.get("last_error") or "—"))[:80],
                str(health.get("poll_after") or "—"),
            )
        # Handles and errors are long: never fold a handle across lines, even on a narrow or unknown terminal.
        Console(width=max(console.width, 160)).print(table)
