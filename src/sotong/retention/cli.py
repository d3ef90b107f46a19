"""`sotong retention show|run`: the organisations' retention periods, and a purge now (or what it would do)."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from sotong.cli_support import console, ok, session_scope
from sotong.db import utcnow
from sotong.orgs.models import Organisation
from sotong.retention import actions
from sotong.retention.policy import PERIODS, periods_of

retention_app = typer.Typer(help="Retention: how long personal data is kept, and purging what is past it.")


@retention_app.command("show")
def show() -> None:
    """Each organisation's retention periods in days (* marks an organisation's own choice)."""
    with session_scope() as session:
        table = Table("organisation", *PERIODS)
        for org in session.scalars(select(Organisation).order_by(Organisation.slug)):
            periods = periods_of(session, org.id)
            mark = "*" if periods.customised else ""
            table.add_row(org.slug + mark, *(str(v) for v in periods.as_dict().values()))
        console.print(table)


@retention_app.command("run")
def run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be removed; change nothing."),
) -> None:
    """Purge now what is past its period (the worker does this every hour): counts per organisation."""
    with session_scope() as session:
        started = utcnow()
        report = actions.run(session, now=started, dry_run=dry_run)
        table = Table("organisation", *actions.KINDS)
        for org, counts in report.counts.items():
            table.add_row(org or "(none)", *(str(counts[k]) for k in actions.KINDS))
        console.print(table)
        if dry_run:
            ok(f"dry run: {report.total} rows would be removed or anonymised; nothing was changed")
        else:
            actions.record_run(session, report, started_at=started)
            ok(f"{report.total} rows removed or anonymised")
