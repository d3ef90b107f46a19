"""The `sotong` command: serve, worker, db, demo, and the administration commands (org, dept, user).

Commands never write rows themselves: they call the action functions with the CLI actor, so every change
made here is validated and audited exactly like one made in the staff console.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select
from typer.core import TyperGroup

from sotong import __version__, schema, wiring
from sotong.actors import CLI, Role
from sotong.cases.deadlines import actions as deadline_actions
from sotong.cli_support import parse_enum, session_scope, settings_or_error
from sotong.db import get_engine, make_engine, session_factory
from sotong.errors import InvalidInput, NotFound, SotongError
from sotong.orgs.models import Organisation
from sotong.orgs.service import department_by_name, organisation_by_slug
from sotong.settings import reset_settings_cache

if TYPE_CHECKING:
    from sotong.demo.loader import Login

console = Console()
err_console = Console(stderr=True)


class SotongGroup(TyperGroup):
    """The root command group: one place that turns a user error into a red message and exit code 1."""

    def invoke(self, ctx: Any) -> Any:  # Any: typer vendors click, its Context type is private
        try:
            return super().invoke(ctx)
        except SotongError as exc:
            err_console.print(f"[bold red]error:[/bold red] [red]{escape(exc.message)}[/red]")
            raise typer.Exit(1) from None


app = typer.Typer(
    name="sotong",
    cls=SotongGroup,
    help="소통 Sotong: hear every citizen on every channel and answer on that channel, on time, in public.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
org_app = typer.Typer(help="Organisations (a city, a district).", no_args_is_help=True)
dept_app = typer.Typer(help="Departments (부서) of an organisation.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
case_app = typer.Typer(help="Cases (민원): show one, run a life-cycle action.", no_args_is_help=True)
sla_app = typer.Typer(help="Deadline policies and the business calendar.", no_args_is_help=True)

app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(dept_app, name="dept")
app.add_typer(user_app, name="user")
app.add_typer(case_app, name="case")
app.add_typer(sla_app, name="sla")
from sotong.triage.cli import pii_app, triage_app  # noqa: E402  (the triage issue's command groups)

app.add_typer(triage_app, name="triage")
app.add_typer(pii_app, name="pii")
from sotong.channels.cli import channels_app  # noqa: E402  (the channels issue's command group)

app.add_typer(channels_app, name="channels")
from sotong.channels.open311.cli import open311_app  # noqa: E402  (Open311 GeoReport v2 API keys)

app.add_typer(open311_app, name="open311")
from sotong.search.cli import search_app  # noqa: E402  (the portal issue's search index)

app.add_typer(search_app, name="search")
# Later issues hook their command groups in here, one line each, importing their Typer app from their own
# package so this file stays small: app.add_typer(triage_app, name="triage"), name="import", name="pii" ...


@app.callback()
def _main() -> None:
    """소통 Sotong command line."""
    # Each invocation is a start-up: read the environment afresh (tests run many commands in one process).
    reset_settings_cache()
    wiring.install()


# --------------------------------------------------------------------------------------------- helpers


def _ok(text: str) -> None:
    console.print(f"[green]✓[/green] {escape(text)}")


# --------------------------------------------------------------------------------------------- top level


@app.command()
def version() -> None:
    """Print the installed version."""
    console.print(f"sotong {__version__}")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Address to bind (default: SOTONG_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default: SOTONG_PORT, 8000)."),
    reload: bool = typer.Option(False, "--reload", help="Restart on code changes (development only)."),
    with_worker: bool | None = typer.Option(
        None,
        "--with-worker/--no-worker",
        help="Also deliver the outbox and sweep deadlines in this process (default: on with SQLite).",
    ),
) -> None:
    """Serve the portal, staff console and API with uvicorn."""
    import threading

    import uvicorn

    settings = settings_or_error()
    bind_host = host or settings.host
    bind_port = port or settings.port
    if port is not None and not 1 <= port <= 65535:
        raise InvalidInput("port must be between 1 and 65535")
    engine = make_engine(settings.database_url)
    try:
        if not schema.is_current(engine):
            err_console.print("[yellow]warning:[/yellow] the database is not migrated: run `sotong db upgrade`")
    finally:
        engine.dispose()
    console.print(f"Sotong on [bold]http://{bind_host}:{bind_port}/[/bold]  (staff: /staff/, API: /api/v1/docs)")
    # The embedded SQLite install has no separate worker process: receipts, notifications and escalations
    # would never move. One in-process worker is safe there; production runs `sotong worker` beside it.
    stop = threading.Event()
    if with_worker if with_worker is not None else settings.is_sqlite:
        from sotong import worker as worker_loop  # loads every channel and the triage models: only when needed

        factory = session_factory(get_engine(settings.database_url))
        threading.Thread(
            target=worker_loop.run_forever,
            kwargs={
                "session_factory": factory,
                "worker_id": f"serve:{worker_loop.default_worker_id()}",
                "stop": stop,
            },
            name="sotong-worker",
            daemon=True,
        ).start()
        console.print("with an embedded worker (outbox delivery and deadline escalations)")
    try:
        uvicorn.run(
            "sotong.app:create_app",
            factory=True,
            host=bind_host,
            port=bind_port,
            reload=reload,
            proxy_headers=True,
        )
    finally:
        stop.set()


@app.command()
def worker(
    worker_id: str | None = typer.Option(None, "--id", help="Name in claims and logs (default: host:pid)."),
    once: bool = typer.Option(
        False, "--once", help="One pass (deliver, sweep deadlines, triage, poll channels), then exit."
    ),
) -> None:
    """Deliver the outbox, raise deadline escalations and triage new cases; run as many as you like side by side."""
    from sotong import worker as worker_loop  # loads every channel and the triage models: only when needed

    settings = settings_or_error()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the schema check is not news
    name = worker_id or worker_loop.default_worker_id()
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    try:
        if not schema.is_current(engine):
            raise InvalidInput("the database schema is not up to date: run `sotong db upgrade` first")
        if once:
            done = worker_loop.run_pass(factory, worker_id=name)
            _ok(
                f"worker {name}: {done.delivered} deliveries processed, {done.escalated} escalations raised, "
                f"{done.triaged} cases triaged, {done.polled} channel accounts polled"
            )
            return
        console.print(f"worker [bold]{escape(name)}[/bold] started (Ctrl-C or SIGTERM stops it after the current item)")
        # run_forever installs its own SIGTERM/SIGINT handlers: the first finishes the item in hand.
        worker_loop.run_forever(factory, worker_id=name)
    finally:
        engine.dispose()


@app.command()
def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing if any organisation exists."),
    seed: int = typer.Option(2012, help="Random seed: the same seed gives the same demo."),
    messages: int = typer.Option(300, min=0, max=20_000, help="How many citizen messages to generate."),
) -> None:
    """Load the demo: 서울특별시, 송파구 and 마포구 with staff personas and a month of complaints."""
    from sotong.demo.loader import load_demo

    with session_scope() as session:
        org_count = session.scalar(select(func.count()).select_from(Organisation)) or 0
        if org_count:
            if if_empty:
                from sotong.demo.data import DEMO_PASSWORD
                from sotong.demo.loader import existing_demo_logins

                console.print("The database already has organisations: demo not loaded again.")
                logins = existing_demo_logins(session)
                if logins:
                    _print_logins(logins, password=f"{DEMO_PASSWORD} (unless changed)")
                return
            raise InvalidInput(
                "the database already has organisations: the demo loads into an empty database "
                "(use --if-empty to skip quietly)"
            )
        started = time.monotonic()
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            tasks: dict[str, Any] = {}

            def on_progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = progress.add_task(step, total=total)
                progress.update(tasks[step], completed=done, total=total)

            result = load_demo(session, seed=seed, messages=messages, progress=on_progress)
        elapsed = time.monotonic() - started
    _ok(f"demo loaded in {elapsed:.1f}s: {result.case_count} cases from {result.message_count} messages")
    _print_logins(result.logins, password=result.password)


def _print_logins(logins: list[Login], *, password: str) -> None:
    table = Table(title=f"Demo logins (password for all: {password})")
    table.add_column("Username", style="bold", no_wrap=True)
    table.add_column("Role", no_wrap=True)
    table.add_column("기관·부서 Organisation")
    for login in logins:
        where = f"{login.org_name} {login.department}" if login.department else login.org_name
        table.add_row(login.username, login.role.value, where)
    console.print(table)
    console.print("Portal: / · Staff console: /staff/ · API docs: /api/v1/docs · Health: /healthz")


# --------------------------------------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads", help="Target revision (default: every head).")) -> None:
    """Apply the migrations (creates the SQLite file if needed)."""
    url = settings_or_error().database_url
    schema.upgrade(url, revision)
    _ok(f"database at {revision}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and whether it is up to date."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    url = settings_or_error().database_url
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    heads = set(ScriptDirectory.from_config(schema.alembic_config(url)).get_heads())
    console.print(f"current: {', '.join(sorted(current)) or '(empty database)'}")
    console.print(f"head:    {', '.join(sorted(heads))}")
    if current == heads:
        _ok("up to date")
    else:
        err_console.print("[yellow]not up to date:[/yellow] run `sotong db upgrade`")
        raise typer.Exit(1)


# --------------------------------------------------------------------------------------------- org, dept


@org_app.command("create")
def org_create(
    slug: str = typer.Option(..., help="ASCII identifier, e.g. songpa."),
    name: str = typer.Option(..., help="Full name, e.g. 송파구."),
    short_name: str = typer.Option(..., help="Short form used in case numbers, e.g. 송파."),
    parent: str | None = typer.Option(None, help="Slug of the parent organisation (the city of a district)."),
) -> None:
    """Create an organisation."""
    from sotong.orgs import actions

    with session_scope() as session:
        parent_id = organisation_by_slug(session, parent).id if parent else None
        org = actions.create_organisation(
            session, actor=CLI, slug=slug, name=name, short_name=short_name, parent_id=parent_id
        )
        _ok(f"organisation {org.name} ({org.slug}) created")


@dept_app.command("create")
def dept_create(
    org: str = typer.Option(..., help="Organisation slug."),
    name: str = typer.Option(..., help="Department name, e.g. 도로과."),
    code: str | None = typer.Option(None, help="Short ASCII code, e.g. roads."),
    email: str | None = typer.Option(None, help="The department's e-mail address."),
) -> None:
    """Add a department to an organisation."""
    from sotong.orgs import actions

    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        department = actions.create_department(
            session, actor=CLI, org_id=organisation.id, name=name, code=code, email=email
        )
        _ok(f"department {department.name} created in {organisation.name}")


# --------------------------------------------------------------------------------------------- user


_ROLES = ", ".join(r.value for r in Role)


@user_app.command("create")
def user_create(
    org: str = typer.Option(..., help="Organisation slug."),
    username: str = typer.Option(..., help="Login name."),
    role: str = typer.Option(..., help=f"One of: {_ROLES}."),
    department: str | None = typer.Option(None, help="Department name (managers and officers need one)."),
    display_name: str | None = typer.Option(None, help="Name shown to colleagues."),
    email: str | None = typer.Option(None, help="E-mail address."),
    password: str | None = typer.Option(None, help="Password; asked for (hidden) when absent."),
) -> None:
    """Create a staff account."""
    from sotong.orgs import actions

    parsed_role = parse_enum(Role, role, "role")
    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        department_id = department_by_name(session, organisation, department).id if department else None
        if password is None:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        user = actions.create_user(
            session,
            actor=CLI,
            org_id=organisation.id,
            username=username,
            password=password,
            role=parsed_role,
            display_name=display_name,
            department_id=department_id,
            email=email,
        )
        _ok(f"user {user.username} ({user.role.value}) created in {organisation.name}")


# --------------------------------------------------------------------------------------------- case


@case_app.command("show")
def case_show(number: str = typer.Argument(..., help="Public case number, e.g. 2026-송파-000123.")) -> None:
    """Show a case: status, deadlines, messages and its timeline."""
    from sotong.audit.service import case_timeline
    from sotong.cases import service

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
    from pydantic import ValidationError

    from sotong.cases import service
    from sotong.cases.commands import COMMANDS

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
        _ok(f"{case.number}: {action} done, now {case.status.value}")
        if outcome.new_case_number:
            console.print(f"see {outcome.new_case_number}")


# --------------------------------------------------------------------------------------------- sla


@sla_app.command("create")
def sla_create(
    org: str = typer.Option(..., help="Organisation slug."),
    name: str = typer.Option(..., help="What the policy is for, e.g. 'X 30분 답변'."),
    priority: int = typer.Option(100, help="Lower wins when several policies match."),
    channel: str | None = typer.Option(None, help="Only for this channel (x, facebook, web, ...)."),
    category: str | None = typer.Option(None, help="Only for this category code."),
    department: str | None = typer.Option(None, help="Only for this department name."),
    complaint_type: str | None = typer.Option(None, "--type", help="Only for this complaint type."),
    value: int | None = typer.Option(None, help="Resolution period (with --unit)."),
    unit: str | None = typer.Option(None, help="hours (working hours) or days (working days)."),
    first_response: int | None = typer.Option(None, help="Receipt target in working minutes."),
    answer_target: int | None = typer.Option(None, help="Answer target in working minutes (Daejeon: 30)."),
) -> None:
    """Add a deadline policy; one that cannot be satisfied is refused with the reason."""
    from sotong.cases.models import ComplaintType, PeriodUnit
    from sotong.orgs.models import Category, Channel

    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        category_id = None
        if category is not None:
            category_id = session.scalar(
                select(Category.id).where(Category.org_id == organisation.id, Category.code == category)
            )
            if category_id is None:
                raise NotFound(f"unknown category {category!r} in {organisation.name}")
        policy = deadline_actions.create_sla_policy(
            session,
            actor=CLI,
            org_id=organisation.id,
            name=name,
            priority=priority,
            channel=parse_enum(Channel, channel, "channel") if channel else None,
            category_id=category_id,
            department_id=department_by_name(session, organisation, department).id if department else None,
            complaint_type=parse_enum(ComplaintType, complaint_type, "complaint type") if complaint_type else None,
            resolution_value=value,
            resolution_unit=parse_enum(PeriodUnit, unit, "unit") if unit else None,
            first_response_minutes=first_response,
            answer_target_minutes=answer_target,
        )
        _ok(f"policy {policy.name!r} created in {organisation.name}")


@sla_app.command("closure")
def sla_closure(
    org: str = typer.Option(..., help="Organisation slug."),
    day: str = typer.Option(..., help="The closed day, YYYY-MM-DD."),
    reason: str = typer.Option(..., help="Why, e.g. 구민의 날."),
) -> None:
    """Close the organisation for a day beyond the national holidays (deadlines skip it)."""
    import datetime as dt

    try:
        closed = dt.date.fromisoformat(day)
    except ValueError:
        raise InvalidInput(f"{day!r} is not a date (YYYY-MM-DD)") from None
    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        deadline_actions.add_closure_day(session, actor=CLI, org_id=organisation.id, day=closed, reason=reason)
        _ok(f"{organisation.name} closed on {closed.isoformat()}: {reason}")


def main() -> None:
    """Entry point for `python -m sotong.cli`."""
    app()


if __name__ == "__main__":
    main()
