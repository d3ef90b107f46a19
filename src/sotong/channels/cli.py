"""`sotong channels ...`: poll the polled channels (Mastodon, X) by hand, all due accounts or one."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from sotong.db import make_engine, session_factory
from sotong.errors import InvalidInput
from sotong.settings import get_settings

channels_app = typer.Typer(help="Channel accounts: poll mentions now.", no_args_is_help=True)
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
