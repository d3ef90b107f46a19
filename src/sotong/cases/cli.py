"""`sotong case show|act`: read a case, or run one life-cycle action on it through the same command table the
API and the console use (cases/commands.py)."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from sotong.actors import CLI
from sotong.audit.service import case_timeline
from sotong.cases import service
from sotong.cases.commands import COMMANDS
from sotong.cli_support import console, ok, session_scope
from sotong.errors import InvalidInput

case_app = typer.Typer(help="Cases (민원): show one, run a life-cycle action.", no_args_is_help=True)


@case_app.command("show")
def case_show(number: str = typer.Argument(..., help="Public case number, e.g. 2026-송파-000123.")) -> None:
    """Show a case: status, deadlines, messages and its timeline."""
    with session_scope() as session:
        case = service.get_case_by_number(session, actor=CLI, number=number)
        table = Table(title=f"{case.number} · {case.status.value}", show_header=False)
        for label, value in (
            ("type", case.complaint_type.value),
            ("department_id", case.department_id),
            ("officer_id", case.officer_id),
            ("received", case.received_at),
            ("due", case.due_at),
            ("extended", case.extended_at),
            ("title", case.title),
        ):
            table.add_row(label, escape(str(value if value is not None else "—")))
        console.print(table)
        for event in case_timeline(session, case_id=case.id):
            console.print(f"{event.at:%Y-%m-%d %H:%M} {event.action} · {escape(event.actor_label)}")


@case_app.command("act")
def case_act(
    number: str = typer.Argument(..., help="Public case number."),
    action: str = typer.Argument(..., help="triage, assign, start, hold, resume, answer, close, ... (see --help)"),
    data: str = typer.Option("{}", "--data", help='The action\'s fields as JSON, e.g. \'{"reason": "현장 확인"}\'.'),
) -> None:
    """Run one life-cycle action on a case as the system (the same table the API and console use)."""
    command = COMMANDS.get(action)
    if command is None:
        raise InvalidInput(f"unknown action {action!r} (one of: {', '.join(COMMANDS)})")
    try:
        body = command.schema.model_validate_json(data) if command.schema else None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'data'}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"bad --data for {action}: {problems}") from None
    with session_scope() as session:
        case = service.get_case_by_number(session, actor=CLI, number=number)
        outcome = command.run(session, CLI, case, body)
        session.refresh(case)
        ok(f"{case.number}: {action} done, now {case.status.value}")
        if outcome.new_case_number:
            console.print(f"see {outcome.new_case_number}")
