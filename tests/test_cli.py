"""The `sotong` command line: migrations, administration commands and their errors (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sotong.actors import Role
from sotong.cases import actions
from sotong.cases.deadlines.models import SlaPolicy
from sotong.cases.models import PeriodUnit
from sotong.cli import app
from sotong.db import make_engine, session_factory
from sotong.orgs.models import Channel, Organisation, User
from sotong.orgs.passwords import verify_password
from sotong.settings import reset_settings_cache
from tests.factories import World, inbound

runner = CliRunner()


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI pointed at an empty, migrated database."""
    monkeypatch.setenv("SOTONG_DATABASE_URL", db_url)
    return db_url


def sotong(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def _ok(*args: str, input: str | None = None) -> Any:
    result = sotong(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


def _fails(*args: str, message: str, input: str | None = None) -> Any:
    result = sotong(*args, input=input)
    assert result.exit_code == 1, result.output
    assert "error:" in result.output
    assert message in result.output
    assert "Traceback" not in result.output
    return result


def _users(url: str) -> dict[str, User]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return {u.username: u for u in session.scalars(select(User))}
    finally:
        engine.dispose()


@pytest.fixture
def songpa(cli_db: str) -> str:
    _ok("org", "create", "--slug", "seoul", "--name", "서울특별시", "--short-name", "서울")
    _ok("org", "create", "--slug", "songpa", "--name", "송파구", "--short-name", "송파", "--parent", "seoul")
    _ok("dept", "create", "--org", "songpa", "--name", "도로과", "--code", "roads")
    return cli_db


# --------------------------------------------------------------------------------------------- db


def test_db_upgrade_creates_and_migrates_an_empty_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "nested" / "fresh.db"
    monkeypatch.setenv("SOTONG_DATABASE_URL", f"sqlite:///{path}")

    not_yet = sotong("db", "current")
    assert not_yet.exit_code == 1
    assert "(empty database)" in not_yet.output

    _ok("db", "upgrade")
    assert path.exists()
    current = _ok("db", "current")
    assert "up to date" in current.output
    _ok("db", "upgrade")  # twice is harmless


def test_commands_refuse_an_unmigrated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOTONG_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    _fails("org", "create", "--slug", "x", "--name", "X", "--short-name", "X", message="sotong db upgrade")
    _fails("demo", "--messages", "1", message="sotong db upgrade")


def test_bad_configuration_is_a_red_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOTONG_DATABASE_URL", "mysql://nope")
    _fails("db", "upgrade", message="invalid configuration")


def test_a_production_refusal_names_each_variable_in_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """What an administrator reads after an upgrade that needs a new setting: the variables, no pydantic noise."""
    monkeypatch.setenv("SOTONG_ENV", "production")
    monkeypatch.setenv("SOTONG_DATABASE_URL", "postgresql://sotong@127.0.0.1/sotong")
    monkeypatch.setenv("SOTONG_SECRET_KEY", "k7Qz-2vLp9Xw4Rt8Yb3Nc6Md1Fh5Gj0Ks")
    monkeypatch.setenv("SOTONG_BASE_URL", "https://minwon.example.go.kr")
    monkeypatch.delenv("SOTONG_ALLOWED_HOSTS", raising=False)
    for port, named in (("99999", "SOTONG_PORT:"), ("8000", "SOTONG_ALLOWED_HOSTS must name")):
        monkeypatch.setenv("SOTONG_PORT", port)
        reset_settings_cache()
        result = sotong("db", "current")
        assert result.exit_code == 1
        output = " ".join(result.output.split())
        assert named in output
        assert "errors.pydantic.dev" not in output and "type=value_error" not in output


def test_version_is_the_installed_package_metadata() -> None:
    from importlib.metadata import version

    assert _ok("version").output.strip() == f"sotong {version('sotong')}"


def test_a_database_migrated_by_a_newer_release_is_never_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "newer.db"
    monkeypatch.setenv("SOTONG_DATABASE_URL", f"sqlite:///{path}")
    _ok("db", "upgrade")
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # what release 9.1.0 would leave behind
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00dfacefeed'")
        conn.exec_driver_sql(
            "INSERT INTO schema_releases (version, revision, applied_at) VALUES ('9.1.0', 'f00dfacefeed', '2027-01-01')"
        )
    engine.dispose()
    _fails("db", "upgrade", message="install sotong 9.1.0 or newer")
    current = sotong("db", "current")
    assert current.exit_code == 1 and "install sotong 9.1.0 or newer" in current.output
    _fails("worker", "--once", message="install sotong 9.1.0 or newer")
    _fails("org", "create", "--slug", "x", "--name", "X", "--short-name", "X", message="sotong 9.1.0")


def test_db_upgrade_logs_the_release_that_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sotong import __version__

    monkeypatch.setenv("SOTONG_DATABASE_URL", f"sqlite:///{tmp_path / 'log.db'}")
    _ok("db", "upgrade")
    assert f"last migrated by sotong {__version__}" in _ok("db", "current").output


# --------------------------------------------------------------------------------------------- org, dept


def test_org_create_with_parent(songpa: str) -> None:
    engine = make_engine(songpa)
    with session_factory(engine)() as session:
        orgs = {o.slug: o for o in session.scalars(select(Organisation))}
    engine.dispose()
    assert orgs["songpa"].parent_id == orgs["seoul"].id
    assert orgs["songpa"].short_name == "송파"


def test_org_create_errors(songpa: str) -> None:
    _fails("org", "create", "--slug", "songpa", "--name", "송파", "--short-name", "송2", message="exists")
    _fails("org", "create", "--slug", "gangnam", "--name", "강남구", "--short-name", "송파", message="exists")
    _fails(
        "org",
        "create",
        "--slug",
        "gangnam",
        "--name",
        "강남구",
        "--short-name",
        "강남",
        "--parent",
        "busan",
        message="unknown organisation 'busan'",
    )
    _fails("org", "create", "--slug", "강남", "--name", "강남구", "--short-name", "강남", message="slug must be ASCII")


def test_dept_create_errors(songpa: str) -> None:
    _fails("dept", "create", "--org", "nowhere", "--name", "도로과", message="unknown organisation 'nowhere'")
    _fails("dept", "create", "--org", "songpa", "--name", "도로과", message="already exists")


# --------------------------------------------------------------------------------------------- user


def test_user_create(songpa: str) -> None:
    result = _ok(
        "user",
        "create",
        "--org",
        "songpa",
        "--username",
        "songpa.roads.officer",
        "--role",
        "officer",
        "--department",
        "도로과",
        "--password",
        "s3cret-password",
        "--display-name",
        "이서준 주무관",
    )
    assert "songpa.roads.officer" in result.output
    user = _users(songpa)["songpa.roads.officer"]
    assert user.role is Role.officer
    assert user.display_name == "이서준 주무관"
    assert user.department_id is not None
    assert verify_password(user.password_hash, "s3cret-password")


def test_user_create_asks_for_the_password_without_echoing_it(songpa: str) -> None:
    result = _ok(
        "user",
        "create",
        "--org",
        "songpa",
        "--username",
        "songpa.admin",
        "--role",
        "admin",
        input="typed-secret-1\ntyped-secret-1\n",
    )
    assert "typed-secret-1" not in result.output
    assert verify_password(_users(songpa)["songpa.admin"].password_hash, "typed-secret-1")


def test_user_create_errors(songpa: str) -> None:
    base = ["user", "create", "--username", "kim", "--password", "long-enough-1"]
    _fails(*base, "--org", "nowhere", "--role", "admin", message="unknown organisation 'nowhere'")
    _fails(
        *base, "--org", "songpa", "--role", "officer", "--department", "우주과", message="unknown department '우주과'"
    )
    _fails(*base, "--org", "songpa", "--role", "boss", message="unknown role 'boss'")
    _fails(*base, "--org", "songpa", "--role", "officer", message="needs a department")
    _fails(
        "user",
        "create",
        "--org",
        "songpa",
        "--username",
        "kim",
        "--role",
        "admin",
        "--password",
        "short",
        message="at least 8 characters",
    )
    _ok(*base, "--org", "songpa", "--role", "admin")
    _fails(*base, "--org", "songpa", "--role", "viewer", message="username 'kim' is taken")
    assert set(_users(songpa)) == {"kim"}  # nothing left behind by the refusals


# --------------------------------------------------------------------------------------------- serve, worker


def test_serve_runs_the_app_factory_with_uvicorn(cli_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from sotong import worker

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append((a, kw)))
    # The embedded worker (on by default with SQLite) is replaced: the real one would go on loading the Korean
    # models and logging in this test process long after the test, starving the next test's live server.
    embedded: list[dict[str, Any]] = []

    def run_forever(**kwargs: Any) -> None:
        embedded.append(kwargs)
        kwargs["stop"].wait(10)

    monkeypatch.setattr(worker, "run_forever", run_forever)
    _ok("serve", "--host", "0.0.0.0", "--port", "8123", "--with-worker")
    assert embedded and embedded[0]["worker_id"].startswith("serve:")
    assert embedded[0]["stop"].is_set(), "the embedded worker is told to stop when the server stops"
    (args, kwargs) = calls[0]
    assert args == ("sotong.app:create_app",)
    assert kwargs["factory"] is True
    assert (kwargs["host"], kwargs["port"], kwargs["reload"]) == ("0.0.0.0", 8123, False)

    monkeypatch.setenv("SOTONG_PORT", "8765")
    _ok("serve")
    assert (calls[1][1]["host"], calls[1][1]["port"]) == ("127.0.0.1", 8765)


def test_worker_once_on_an_empty_database(cli_db: str) -> None:
    result = _ok("worker", "--once", "--id", "test-worker")
    assert "test-worker" in result.output


def test_make_run_reprints_the_demo_logins_on_a_later_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOTONG_DATABASE_URL", f"sqlite:///{tmp_path / 'again.db'}")
    reset_settings_cache()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["demo", "--messages", "20"]).exit_code == 0
    again = runner.invoke(app, ["demo", "--if-empty"])
    assert again.exit_code == 0
    assert "not loaded again" in again.output and "songpa.roads.officer" in again.output


# --------------------------------------------------------------------------------------------- case and sla


def test_case_act_runs_the_life_cycle_and_refuses_with_clear_errors(
    cli_db: str, world: World, session: Session
) -> None:
    case = actions.receive_message(session, account_id=world.x_account.id, inbound=inbound()).case
    _ok(
        "case",
        "act",
        case.number,
        "triage",
        "--data",
        json.dumps({"complaint_type": "grievance", "category_id": world.pothole.id}),
    )
    shown = _ok("case", "show", case.number)
    assert "triaged" in shown.output and "case.triaged" in shown.output
    _fails("case", "act", case.number, "close", message="cannot close a case that is triaged")
    _fails("case", "act", case.number, "hold", "--data", '{"reason": ""}', message="bad --data for hold")
    _fails("case", "act", case.number, "explode", message="unknown action 'explode'")
    _fails("case", "act", case.number, "assign", "--data", '{"officer_id": 424242}', message="unknown officer")
    _fails("case", "show", "2026-송파-999999", message="no such case")


def test_sla_create_and_closure(cli_db: str, world: World, session: Session) -> None:
    _ok(
        "sla",
        "create",
        "--org",
        "songpa",
        "--name",
        "X 30분",
        "--channel",
        "x",
        "--answer-target",
        "30",
        "--first-response",
        "10",
        "--department",
        world.roads.name,
        "--type",
        "grievance",
        "--priority",
        "5",
    )
    _ok(
        "sla",
        "create",
        "--org",
        "songpa",
        "--name",
        "도로 3일",
        "--category",
        "road-damage",
        "--value",
        "3",
        "--unit",
        "days",
    )
    # Every option reaches the stored policy (a command that dropped one still exited 0).
    stored = {p.name: p for p in session.scalars(select(SlaPolicy))}
    x_policy, road_policy = stored["X 30분"], stored["도로 3일"]
    assert (x_policy.channel, x_policy.answer_target_minutes, x_policy.first_response_minutes) == (Channel.x, 30, 10)
    assert (x_policy.department_id, x_policy.complaint_type, x_policy.priority) == (world.roads.id, "grievance", 5)
    assert x_policy.category_id is None and x_policy.resolution_value is None
    assert road_policy.category_id == world.pothole.id and road_policy.channel is None
    assert (road_policy.resolution_value, road_policy.resolution_unit) == (3, PeriodUnit.days)
    assert road_policy.priority == 100 and road_policy.department_id is None
    _fails("sla", "create", "--org", "songpa", "--name", "bad", "--category", "nope", message="unknown category")
    _fails("sla", "create", "--org", "songpa", "--name", "bad", "--value", "48", "--unit", "hours", message="use days")
    _fails("sla", "create", "--org", "songpa", "--name", "bad", "--value", "3", message="both a value and a unit")
    _fails("sla", "create", "--org", "songpa", "--name", "bad", "--channel", "pigeon", message="unknown channel")
    _fails("sla", "create", "--org", "songpa", "--name", "bad", "--department", "없는과", message="unknown department")
    _fails("sla", "create", "--org", "atlantis", "--name", "bad", message="unknown organisation")
    _ok("sla", "closure", "--org", "songpa", "--day", "2026-12-24", "--reason", "구민의 날")
    _fails(
        "sla", "closure", "--org", "songpa", "--day", "2026-12-24", "--reason", "again", message="already a closure day"
    )
    _fails("sla", "closure", "--org", "songpa", "--day", "24/12/2026", "--reason", "x", message="not a date")


def test_worker_once_delivers_sweeps_and_triages(cli_db: str, world: World, session: Session) -> None:
    actions.receive_message(session, account_id=world.x_account.id, inbound=inbound())
    result = _ok("worker", "--once", "--id", "w1")
    assert "1 deliveries processed" in result.output and "1 cases triaged" in result.output
