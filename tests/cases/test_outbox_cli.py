"""`sotong outbox list|retry|resolve`: the deliveries that wait for a person, from the command line."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sotong.cli import app
from sotong.db import atomic
from sotong.outbox.models import OutboxItem, OutboxStatus
from tests.factories import World, new_case

runner = CliRunner()


def test_list_retry_and_resolve(db_url: str, world: World, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOTONG_DATABASE_URL", db_url)
    cases = [new_case(session, world) for _ in range(2)]
    with atomic(session):
        items = [session.scalars(select(OutboxItem).where(OutboxItem.case_id == c.id)).one() for c in cases]
        for item in items:
            item.status, item.error_code, item.last_error = (
                OutboxStatus.failed,
                "config",
                "x: account config lacks 'user_id'",
            )

    listed = runner.invoke(app, ["outbox", "list", "--org", "songpa"])
    assert listed.exit_code == 0, listed.output
    assert all(c.number in listed.output for c in cases) and "failed" in listed.output

    assert runner.invoke(app, ["outbox", "retry", str(items[0].id)]).exit_code == 0
    resolved = runner.invoke(app, ["outbox", "resolve", str(items[1].id), "--how", "phone", "--note", "통화"])
    assert resolved.exit_code == 0, resolved.output
    refused = runner.invoke(app, ["outbox", "resolve", str(items[1].id), "--how", "phone"])
    assert refused.exit_code == 1 and "error:" in refused.output

    session.expire_all()
    assert [session.get(OutboxItem, i.id).status for i in items] == [OutboxStatus.pending, OutboxStatus.resolved]  # type: ignore[union-attr]
    shown = runner.invoke(app, ["outbox", "list", "--case", cases[1].number])
    assert "resolved" in shown.output
