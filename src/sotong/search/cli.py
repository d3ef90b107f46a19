"""`sotong search reindex`: rebuild the public search documents (after an import that bypassed the actions,
or when the morpheme analyser changed)."""

from __future__ import annotations

import typer

from sotong.cli_support import session_scope
from sotong.search import index

search_app = typer.Typer(help="Korean full-text search of public cases.", no_args_is_help=True)


@search_app.command("reindex")
def reindex_command(
    batch_size: int = typer.Option(1000, "--batch-size", min=1, max=100_000, help="Cases per transaction."),
) -> None:
    """Rewrite every case's search document from its masked text and answers."""
    with session_scope() as session:
        searchable = index.reindex_all(session, batch_size=batch_size)
    typer.echo(f"{searchable} public cases indexed")
