"""`sotong open311 key ...`: issue, list and revoke the API keys applications use to create requests."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from sotong.actors import CLI
from sotong.channels.open311.actions import create_api_key, revoke_api_key
from sotong.channels.open311.models import Open311ApiKey
from sotong.cli_support import session_scope
from sotong.orgs.service import organisation_by_slug

open311_app = typer.Typer(help="Open311 GeoReport v2: API keys for applications.", no_args_is_help=True)
key_app = typer.Typer(help="API keys (POST /open311/v2/requests needs one).", no_args_is_help=True)
open311_app.add_typer(key_app, name="key")
console = Console()


@key_app.command("create")
def key_create(
    org: str = typer.Option(..., help="Organisation slug (the jurisdiction_id)."),
    name: str = typer.Option(..., help="The application that will use the key."),
) -> None:
    """Issue a key. It is printed once: only its hash is stored."""
    with session_scope() as session:
        key, plain = create_api_key(session, actor=CLI, org_id=organisation_by_slug(session, org).id, name=name)
        console.print(f"key {key.id} for {key.name!r}: [bold]{plain}[/bold]")
        console.print("Store it now; it cannot be shown again.")


@key_app.command("list")
def key_list(org: str = typer.Option(..., help="Organisation slug.")) -> None:
    """The organisation's keys (prefix only), active or revoked, and when each was last used."""
    with session_scope() as session:
        org_id = organisation_by_slug(session, org).id
        table = Table("id", "name", "prefix", "active", "last used")
        for key in session.scalars(
            select(Open311ApiKey).where(Open311ApiKey.org_id == org_id).order_by(Open311ApiKey.id)
        ):
            last = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "-"
            table.add_row(str(key.id), key.name, key.key_prefix + "…", "yes" if key.active else "no", last)
        console.print(table)


@key_app.command("revoke")
def key_revoke(org: str = typer.Option(..., help="Organisation slug."), key_id: int = typer.Argument(...)) -> None:
    """Stop a key from creating requests (kept for the audit trail)."""
    with session_scope() as session:
        revoke_api_key(session, actor=CLI, org_id=organisation_by_slug(session, org).id, key_id=key_id)
        console.print(f"key {key_id} revoked")
