"""`sotong channels add|list`: registering official accounts from the command line, secrets never printed."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sotong.cli import app
from sotong.orgs.models import Channel, ChannelAccount
from tests.factories import World

runner = CliRunner()


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SOTONG_DATABASE_URL", db_url)
    return db_url


def test_add_and_list_an_account(cli_db: str, world: World, session: Session) -> None:
    added = runner.invoke(
        app,
        [
            "channels", "add", "--org", "songpa", "--channel", "email", "--handle", "minwon@songpa.go.kr",
            "--department", "도로과", "--config", '{"imap_host": "127.0.0.1", "imap_password": "s3cret-pw"}',
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    account = session.scalars(select(ChannelAccount).where(ChannelAccount.handle == "minwon@songpa.go.kr")).one()
    assert account.channel is Channel.email and account.department_id == world.roads.id
    listed = runner.invoke(app, ["channels", "list", "--org", "songpa"])
    assert listed.exit_code == 0 and "minwon@songpa.go.kr" in listed.output
    assert "s3cret-pw" not in listed.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--channel", "pigeon", "--handle", "x"], "unknown channel"),
        (["--channel", "x", "--handle", "@a", "--config", "{not json"], "not JSON"),
        (["--channel", "x", "--handle", "@a", "--config", "[1]"], "JSON object"),
        (["--channel", "x", "--handle", "@a", "--department", "없는과"], "unknown department"),
        (["--channel", "x", "--handle", "@songpaOK"], "already exists"),
    ],
)
def test_bad_input_is_a_clear_error(cli_db: str, world: World, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["channels", "add", "--org", "songpa", *args])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
