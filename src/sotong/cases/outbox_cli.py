"""`sotong outbox list|retry|resolve`: the deliveries to citizens that wait for a person (failed, outcome unknown),
a case's deliveries, and the two actions on one of them, the same the case page and the API offer."""

from __future__ import annotations

import typer
from rich.markup import escape

from sotong.actors import CLI
from sotong.cases import service
from sotong.cli_support import console, ok, parse_enum, session_scope
from sotong.i18n import translate
from sotong.orgs.service import organisation_by_slug
from sotong.outbox import actions
from sotong.outbox import service as outbox_service
from sotong.outbox.models import OutboxItem, Resolution
from sotong.outbox.service import state_of

outbox_app = typer.Typer(
    help="Deliveries to citizens: list what failed or is of unknown outcome, send again, settle by hand.",
    no_args_is_help=True,
)


def _print(title: str, items: list[OutboxItem], numbers: dict[int, str]) -> None:
    """One line per delivery (case numbers must stay whole: a table would cut them on a narrow terminal), the
    platform's own words indented below."""
    console.print(f"[bold]{escape(title)}[/bold]")
    for item in items:
        number = numbers.get(item.case_id, "—") if item.case_id is not None else "—"
        reason = translate("ko", f"delivery.error.{item.error_code}") if item.error_code else ""
        line = f"{item.id}  {number}  {item.kind}  {item.transport}  {state_of(item)}  x{item.attempts}  {reason}"
        console.print(escape(line), soft_wrap=True)
        if item.last_error:
            console.print("    " + escape(item.last_error[:200]), soft_wrap=True)


@outbox_app.command("list")
def list_deliveries(
    org: str | None = typer.Option(None, "--org", help="Only this organisation (its slug)."),
    case: str | None = typer.Option(None, "--case", help="Every delivery of this case instead, whatever its state."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
) -> None:
    """Deliveries that failed for good or whose outcome is unknown, newest first (or one case's deliveries)."""
    with session_scope() as session:
        if case is not None:
            found = service.get_case_by_number(session, actor=CLI, number=case)
            items = service.case_deliveries(session, case_id=found.id)
            _print(found.number, items, {found.id: found.number})
            return
        org_id = organisation_by_slug(session, org).id if org else None
        items = outbox_service.failed_deliveries(session, org_id=org_id, limit=limit)
        numbers = service.case_numbers(session, {i.case_id for i in items if i.case_id is not None})
        _print("failed or of unknown outcome", items, numbers)
        if not items:
            console.print("nothing waits for a person")


@outbox_app.command("retry")
def retry(item_id: int = typer.Argument(..., help="The delivery's id (from `sotong outbox list`).")) -> None:
    """Send a failed delivery, or one of unknown outcome that did not arrive, again from now."""
    with session_scope() as session:
        item = actions.retry(session, actor=CLI, item_id=item_id)
        ok(f"delivery {item.id} queued again")


@outbox_app.command("resolve")
def resolve(
    item_id: int = typer.Argument(..., help="The delivery's id (from `sotong outbox list`)."),
    how: str = typer.Option(..., "--how", help="phone, other (told another way) or arrived (checked: it did)."),
    note: str = typer.Option("", "--note", help="What was done, for the case's timeline."),
) -> None:
    """Mark a failed or unknown delivery as delivered another way: it is never sent after this."""
    with session_scope() as session:
        item = actions.resolve(session, actor=CLI, item_id=item_id, how=parse_enum(Resolution, how, "way"), note=note)
        ok(f"delivery {item.id} settled ({item.resolution})")
