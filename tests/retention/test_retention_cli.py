"""`sotong retention show|run [--dry-run]`: the periods, and a purge (or its counts) from the command line."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from sotong.cli import app
from sotong.db import atomic, make_engine, session_factory
from sotong.orgs.models import LoginAttempt
from sotong.retention.models import RetentionRun
from sotong.settings import reset_settings_cache

runner = CliRunner()


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SOTONG_DATABASE_URL", db_url)
    reset_settings_cache()
    return db_url


def _counts(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return (
                session.scalar(select(func.count()).select_from(LoginAttempt)) or 0,
                session.scalar(select(func.count()).select_from(RetentionRun)) or 0,
            )
    finally:
        engine.dispose()


def test_dry_run_then_run(cli_db: str) -> None:
    assert (
        runner.invoke(
            app, ["org", "create", "--slug", "gangdong", "--name", "강동구", "--short-name", "강동"]
        ).exit_code
        == 0
    )
    engine = make_engine(cli_db)
    with session_factory(engine)() as session, atomic(session):
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
        session.add(LoginAttempt(username="ghost", ip="203.0.113.9", succeeded=False, at=old))
        session.add(LoginAttempt(username="ghost", ip="203.0.113.9", succeeded=False))
    engine.dispose()

    shown = runner.invoke(app, ["retention", "show"])
    assert shown.exit_code == 0 and "gangdong" in shown.output and "1095" in shown.output

    dry = runner.invoke(app, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 rows would be removed" in dry.output and "nothing was changed" in dry.output
    assert _counts(cli_db) == (2, 0)

    done = runner.invoke(app, ["retention", "run"])
    assert done.exit_code == 0, done.output
    assert "1 rows removed or anonymised" in done.output
    assert _counts(cli_db) == (1, 1)
