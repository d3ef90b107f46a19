"""`sotong channels ...`: register official accounts, list them with their health, poll by hand."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import select

from sotong import schema
from sotong.actors import CLI
from sotong.channels import accounts as channel_accounts
from sotong.channels.accounts import rotate_credentials as rotate_accounts
from sotong.channels.callcentre.importer import import_file
from sotong.channels.email.idle import watch
from sotong.channels.health import health_of, is_failing
from sotong.channels.mastodon.stream import stream_all
from sotong.channels.polling import poll_account, poll_due
from sotong.cli_support import parse_enum, session_scope
from sotong.db import make_engine, session_factory
from sotong.errors import InvalidInput
from sotong.notifications.service import rotate_webhook_secrets
from sotong.orgs.models import Channel, ChannelAccount, Organisation
from sotong.orgs.service import department_by_name, organisation_by_slug
from sotong.runtime import service as runtime
from sotong.secrets import secret_names
from sotong.settings import get_settings

channels_app = typer.Typer(help="Channel accounts: register, list with health, poll now.", no_args_is_help=True)
console = Console()


@channels_app.command("poll")
def poll(
    account: int | None = typer.Option(None, "--account", help="Poll this account now, whatever its interval."),
) -> None:
    """Poll every due account of the polled channels (as the worker does), or one account now."""

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

    parsed_channel = parse_enum(Channel, channel, "channel")
    try:
        settings_json: Any = json.loads(config)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--config is not JSON: {exc.msg}") from None
    if not isinstance(settings_json, dict):
        raise InvalidInput("--config must be a JSON object")
    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        department_id = department_by_name(session, organisation, department).id if department else None
        account = channel_accounts.create_channel_account(
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

    def when(value: object) -> str:
        return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else str(value or "—")

    with session_scope() as session:
        query = select(ChannelAccount, Organisation.slug).join(Organisation, Organisation.id == ChannelAccount.org_id)
        if org is not None:
            query = query.where(Organisation.slug == org)
        rows = [(account, slug) for account, slug in session.execute(query.order_by(ChannelAccount.id))]
        health = health_of(session, [account.id for account, _slug in rows])
        table = Table(title="Channel accounts")
        for column in ("id", "org", "channel", "handle", "enabled", "secrets", "last poll", "last error", "poll after"):
            table.add_column(column)
        for account, slug in rows:
            config = account.config or {}
            row = health.get(account.id)
            # Only the names of the secrets that are set: their values (even encrypted) never leave the database.
            secrets = ", ".join(f"{name} ••••" for name in secret_names(config)) or "—"
            error = row.last_error if row is not None and is_failing(row) else None
            table.add_row(
                str(account.id),
                slug,
                account.channel.value,
                escape(account.handle),
                "yes" if account.enabled else "no",
                escape(secrets),
                when(row.last_poll_at if row and row.last_poll_at else config.get("last_poll_at")),
                escape(str(error or config.get("last_error") or "—"))[:80],
                when(row.rate_limited_until if row and row.rate_limited_until else config.get("poll_after")),
            )
        # Handles and errors are long: never fold a handle across lines, even on a narrow or unknown terminal.
        Console(width=max(console.width, 160)).print(table)


@channels_app.command("rotate-credentials")
def rotate_credentials() -> None:
    """Re-encrypt every account secret and messenger-webhook secret with the first key of SOTONG_CREDENTIALS_KEY."""

    with session_scope() as session:
        changed = rotate_accounts(session)
        hooks = rotate_webhook_secrets(session)
    console.print(f"[green]✓[/green] secrets of {changed} channel accounts encrypted with the newest key")
    console.print(f"[green]✓[/green] {hooks} organisation webhook secrets encrypted with the newest key")


@channels_app.command("import")
def import_calls(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="A .csv or .xlsx export (columns: docs/channels.md)."
    ),
    org: str = typer.Option(..., help="Organisation slug."),
    source: str = typer.Option(..., help="120 (call centre, channel phone) or counter (visit)."),
) -> None:
    """Import complaints taken by telephone or at the counter; bad rows are listed by number, not fatal."""

    with session_scope() as session, Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"{file.name}", total=None)
        report = import_file(
            session,
            path=file,
            org_slug=org,
            source=source,
            on_start=lambda total: bar.update(task, total=total),
            progress=lambda n: bar.advance(task, n),
        )
    console.print(
        f"[green]✓[/green] {report.imported} imported, {report.duplicates} already imported before, "
        f"{len(report.errors)} refused (of {report.total} rows)"
    )
    for error in report.errors:
        console.print(f"  row {error.row}: {escape(error.message)}")
    if report.errors:
        raise typer.Exit(1)


@channels_app.command("stream")
def stream() -> None:
    """Keep push connections open: Mastodon streaming and IMAP IDLE for every enabled account.

    Mentions and mail arrive within a second instead of at the next poll. Run it as a service beside
    `sotong worker`; polling stays on as the safety net. Ctrl-C stops it.
    """

    engine = make_engine(get_settings().database_url)
    factory = session_factory(engine)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())  # close the connections cleanly, then exit
    try:
        with factory() as session:
            reason = runtime.paused(session)
            if reason:
                # A restored copy must not read the live mailboxes and mentions (docs/operations.md, Backups).
                raise InvalidInput(f"channel polling is paused ({reason}): `sotong resume` first")
            mailboxes = list(
                session.scalars(
                    select(ChannelAccount.id).where(
                        ChannelAccount.channel == Channel.email, ChannelAccount.enabled.is_(True)
                    )
                )
            )
        watchers = [
            threading.Thread(target=watch, args=(factory, account_id, stop), name=f"idle-{account_id}", daemon=True)
            for account_id in mailboxes
        ]
        for watcher in watchers:
            watcher.start()
        console.print(f"IMAP IDLE on {len(watchers)} mailbox(es), streaming Mastodon mentions; Ctrl-C to stop")
        taken = stream_all(factory, stop)
        for watcher in watchers:
            watcher.join(timeout=10)
    finally:
        engine.dispose()
    console.print(f"stopped; {taken} Mastodon message(s) taken in by streaming")
