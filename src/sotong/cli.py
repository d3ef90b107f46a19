"""The `sotong` command: serve, worker, db, demo here; every other command group in its package's cli.py.

Commands never write rows themselves: they call the action functions with the CLI actor, so every change
made here is validated and audited exactly like one made in the staff console.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select
from typer.core import TyperGroup

from sotong import __version__, logs, schema, wiring
from sotong.cases.cli import case_app
from sotong.cases.deadlines.cli import sla_app
from sotong.cases.outbox_cli import outbox_app
from sotong.channels.cli import channels_app
from sotong.channels.open311.cli import open311_app
from sotong.cli_support import console, err_console, ok, session_scope, settings_or_error
from sotong.db import get_engine, make_engine, session_factory
from sotong.demo.data import DEMO_PASSWORD
from sotong.demo.loader import Login, existing_demo_logins, load_demo
from sotong.errors import InvalidInput, SotongError
from sotong.orgs.cli import category_app, dept_app, org_app, token_app, user_app
from sotong.orgs.models import Organisation
from sotong.retention.cli import retention_app
from sotong.search.cli import search_app
from sotong.settings import reset_settings_cache
from sotong.triage.cli import pii_app, triage_app


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

# Each package's command group lives in its own cli.py; one line each here.
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(dept_app, name="dept")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(retention_app, name="retention")
app.add_typer(category_app, name="categories")
app.add_typer(case_app, name="case")
app.add_typer(sla_app, name="sla")
app.add_typer(triage_app, name="triage")
app.add_typer(pii_app, name="pii")
app.add_typer(channels_app, name="channels")
app.add_typer(open311_app, name="open311")
app.add_typer(search_app, name="search")
app.add_typer(outbox_app, name="outbox")


def _worker_loop() -> ModuleType:
    """The worker module, imported by the commands that run it only: it brings scikit-learn and the triage
    models' code, over a second of start-up that `sotong db upgrade` or `sotong version` need not pay."""
    from sotong import worker

    return worker


@app.callback()
def _main() -> None:
    """소통 Sotong command line."""
    # Each invocation is a start-up: read the environment afresh (tests run many commands in one process).
    reset_settings_cache()
    wiring.install()


# --------------------------------------------------------------------------------------------- top level


@app.command()
def version() -> None:
    """Print the installed version."""
    console.print(f"sotong {__version__}")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Address to bind (default: SOTONG_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default: SOTONG_PORT, 8000)."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Web processes (each ~750 MB of memory)."),
    proxy_trusted: list[str] | None = typer.Option(
        None,
        "--proxy-trusted",
        help="A reverse proxy's address or network (CIDR) whose X-Forwarded-For/-Proto are believed; repeat for "
        "several (default: SOTONG_PROXY_TRUSTED, 127.0.0.1).",
    ),
    reload: bool = typer.Option(False, "--reload", help="Restart on code changes (development only)."),
    with_worker: bool | None = typer.Option(
        None,
        "--with-worker/--no-worker",
        help="Also deliver the outbox and sweep deadlines in this process (default: on with SQLite).",
    ),
) -> None:
    """Serve the portal, staff console and API with uvicorn."""
    import os
    import threading

    import uvicorn

    if proxy_trusted:
        # The web processes build their settings from the environment (each of --workers N is a new process).
        os.environ["SOTONG_PROXY_TRUSTED"] = ",".join(proxy_trusted)
        reset_settings_cache()
    settings = settings_or_error()
    bind_host = host or settings.host
    bind_port = port or settings.port
    if port is not None and not 1 <= port <= 65535:
        raise InvalidInput("port must be between 1 and 65535")
    if reload and workers > 1:
        raise InvalidInput("--reload runs one process: leave out --workers")
    engine = make_engine(settings.database_url)
    try:
        found = schema.status(engine)
        if found.state is schema.SchemaState.ahead:
            raise InvalidInput(found.advice)
        if found.state is not schema.SchemaState.current:
            err_console.print(f"[yellow]warning:[/yellow] {escape(found.advice)}")
    finally:
        engine.dispose()
    console.print(f"Sotong on [bold]http://{bind_host}:{bind_port}/[/bold]  (staff: /staff/, API: /api/v1/docs)")
    # The embedded SQLite install has no separate worker process: receipts, notifications and escalations
    # would never move. One in-process worker is safe there; production runs `sotong worker` beside it.
    stop = threading.Event()
    if with_worker if with_worker is not None else settings.is_sqlite:
        factory = session_factory(get_engine(settings.database_url))
        threading.Thread(
            target=_worker_loop().run_forever,
            kwargs={
                "session_factory": factory,
                "worker_id": f"serve:{_worker_loop().default_worker_id()}",
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
            workers=workers,
            # A web process loading the Korean analyser (seconds of C++ holding the GIL) misses uvicorn's 5 s
            # liveness ping and is killed and restarted, again and again on a busy machine: give it a minute.
            timeout_worker_healthcheck=60,
            # The app believes X-Forwarded-* from SOTONG_PROXY_TRUSTED itself (so tests and other servers get
            # the same), and writes its own access log (route, duration, request id, no query string).
            proxy_headers=False,
            access_log=False,
            server_header=False,
            log_config=logs.dict_config(json_lines=settings.json_logs, level=settings.log_level),
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
    settings = settings_or_error()
    logs.configure(json_lines=settings.json_logs, level=settings.log_level)
    name = worker_id or _worker_loop().default_worker_id()
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    try:
        found = schema.status(engine)
        if found.state is not schema.SchemaState.current:
            raise InvalidInput(found.advice)
        if once:
            done = _worker_loop().run_pass(factory, worker_id=name)
            ok(
                f"worker {name}: {done.delivered} deliveries processed, {done.escalated} escalations raised, "
                f"{done.triaged} cases triaged, {done.polled} channel accounts polled"
            )
            return
        console.print(f"worker [bold]{escape(name)}[/bold] started (Ctrl-C or SIGTERM stops it after the current item)")
        # run_forever installs its own SIGTERM/SIGINT handlers: the first finishes the item in hand.
        _worker_loop().run_forever(factory, worker_id=name)
    finally:
        engine.dispose()


@app.command()
def pause(
    reason: str = typer.Option("paused by an administrator", "--reason", help="Shown in /readyz and the worker log."),
) -> None:
    """Stop every worker's deliveries and channel polling (intake, triage and escalations carry on)."""
    from sotong.actors import CLI
    from sotong.runtime import actions as runtime_actions

    with session_scope() as session:
        runtime_actions.pause(session, actor=CLI, reason=reason)
    ok("deliveries and channel polling paused: `sotong resume` starts them again")


@app.command()
def resume() -> None:
    """Let the workers deliver and poll again (after `sotong pause`, or on a copy restored from a backup)."""
    from sotong.actors import CLI
    from sotong.runtime import actions as runtime_actions
    from sotong.runtime import service as runtime

    with session_scope() as session:
        was = runtime.paused(session)
        runtime_actions.resume(session, actor=CLI)
    ok(f"deliveries and channel polling resumed (were paused: {was})" if was else "deliveries and polling were running")


@app.command()
def backup(
    into: Path = typer.Option(Path("backups"), "--to", help="Directory to write the backup into (created 0700)."),
    env_file: Path | None = typer.Option(
        Path(".env"),
        "--env-file",
        help="The env file with SOTONG_SECRET_KEY and SOTONG_CREDENTIALS_KEY, copied into the backup "
        "(default ./.env; /etc/sotong/env on a server).",
    ),
) -> None:
    """Back up the database (pg_dump custom format), the media directory and the env file, readable by you only."""
    from sotong import backup as backups

    settings = settings_or_error()
    env = env_file if env_file is not None and env_file.is_file() else None
    started = time.monotonic()
    written = backups.backup(settings, into=into, env_file=env)
    ok(f"backup written to {written} in {time.monotonic() - started:.1f}s")
    if env is None:
        err_console.print(
            "[yellow]warning:[/yellow] no env file copied (--env-file): keep SOTONG_SECRET_KEY and "
            "SOTONG_CREDENTIALS_KEY elsewhere, or restored channel credentials cannot be decrypted"
        )


@app.command()
def restore(
    directory: Path = typer.Argument(..., help="A directory written by `sotong backup`."),
    env_to: Path | None = typer.Option(None, "--env-to", help="Write the backup's env file here (0600)."),
    replace: bool = typer.Option(False, "--replace", help="Drop what the target database holds first."),
) -> None:
    """Restore a backup onto the configured (fresh) database and media directory; deliveries and polling stay
    paused until `sotong resume`."""
    from sotong import backup as backups

    settings = settings_or_error()
    started = time.monotonic()
    done = backups.restore(settings, directory=directory, env_to=env_to, replace=replace)
    ok(f"restored {directory} in {time.monotonic() - started:.1f}s")
    if done.env_written:
        ok(f"env file written to {done.env_written}: use it for this copy's processes")
    err_console.print(
        "[yellow]paused:[/yellow] deliveries and channel polling stay off on this copy; check it, then "
        "`sotong resume` (only where this copy replaces the original)"
    )


@app.command()
def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing if any organisation exists."),
    seed: int = typer.Option(2012, help="Random seed: the same seed gives the same demo."),
    messages: int = typer.Option(300, min=0, max=20_000, help="How many citizen messages to generate."),
) -> None:
    """Load the demo: 서울특별시, 송파구 and 마포구 with staff personas and a month of complaints."""
    with session_scope() as session:
        org_count = session.scalar(select(func.count()).select_from(Organisation)) or 0
        if org_count:
            if if_empty:
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
    ok(f"demo loaded in {elapsed:.1f}s: {result.case_count} cases from {result.message_count} messages")
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
    # Where a first-time user writes as a citizen on each platform (the demo's accounts point there).
    console.print(
        "Practice channels (연습용 샌드박스): "
        + " · ".join(f"/sandbox/{p}/" for p in ("kakao", "x", "facebook", "naver", "mastodon", "sms", "email"))
    )


# --------------------------------------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads", help="Target revision (default: every head).")) -> None:
    """Apply the migrations (creates the SQLite file if needed)."""
    url = settings_or_error().database_url
    try:
        schema.upgrade(url, revision)
    except schema.DatabaseAhead as exc:
        raise InvalidInput(str(exc)) from None
    ok(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="The revision to go back to (a release's head).")) -> None:
    """Undo migrations down to `revision`: the rollback of an upgrade, before reinstalling the older release."""
    url = settings_or_error().database_url
    schema.downgrade(url, revision)
    ok(f"database at {revision}: now install the release whose head this is")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and whether it is up to date."""
    url = settings_or_error().database_url
    engine = make_engine(url)
    try:
        found = schema.status(engine)
    finally:
        engine.dispose()
    console.print(f"current: {', '.join(sorted(found.revisions)) or '(empty database)'}")
    console.print(f"head:    {', '.join(sorted(found.heads))}  (sotong {__version__})")
    if found.migrated_by:
        console.print(f"last migrated by sotong {found.migrated_by}")
    if found.state is schema.SchemaState.current:
        ok("up to date")
    else:
        err_console.print(f"[yellow]not up to date:[/yellow] {escape(found.advice)}")
        raise typer.Exit(1)


def main() -> None:
    """Entry point for `python -m sotong.cli`."""
    app()


if __name__ == "__main__":
    main()
