"""`sotong token create|list|revoke`: a token printed once, listed by its prefix, revoked; bad scopes refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sotong.cli import app
from sotong.db import make_engine, session_factory
from sotong.orgs.models import ApiToken
from sotong.orgs.tokens import token_hash
from sotong.settings import reset_settings_cache

runner = CliRunner()


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SOTONG_DATABASE_URL", db_url)
    reset_settings_cache()
    return db_url


def _run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def _tokens(db_url: str) -> list[ApiToken]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(ApiToken)))
    finally:
        engine.dispose()


def test_create_list_and_revoke_a_token(cli_db: str) -> None:
    _run("org", "create", "--slug", "gangdong", "--name", "강동구", "--short-name", "강동", "--no-standard-categories")
    created = _run(
        "token", "create", "--org", "gangdong", "--name", "stats", "--scope", "cases:read", "--scope", "cases:write"
    )
    plain = re.search(r"sot_[A-Za-z0-9_-]{43}", created.output)
    assert plain, created.output
    [row] = _tokens(cli_db)
    assert (row.token_hash, row.scopes, row.expires_at) == (token_hash(plain.group(0)), "cases:read cases:write", None)

    listed = _run("token", "list", "--org", "gangdong").output
    assert row.prefix in listed and plain.group(0) not in listed and "active" in listed

    _run("token", "revoke", "--org", "gangdong", str(row.id))
    assert _tokens(cli_db)[0].revoked_at is not None
    assert "revoked" in _run("token", "list", "--org", "gangdong").output


def test_an_unknown_scope_or_another_organisations_token_is_refused(cli_db: str) -> None:
    _run("org", "create", "--slug", "gangdong", "--name", "강동구", "--short-name", "강동", "--no-standard-categories")
    _run("org", "create", "--slug", "mapo", "--name", "마포구", "--short-name", "마포", "--no-standard-categories")
    refused = _run("token", "create", "--org", "gangdong", "--name", "x", "--scope", "cases:delete", code=1)
    assert "unknown scope 'cases:delete'" in refused.output
    _run("token", "create", "--org", "mapo", "--name", "x", "--scope", "cases:read")
    [row] = _tokens(cli_db)
    assert "no API token" in _run("token", "revoke", "--org", "gangdong", str(row.id), code=1).output
    assert _tokens(cli_db)[0].revoked_at is None
