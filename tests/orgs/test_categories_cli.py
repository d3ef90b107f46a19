"""`sotong categories`: a new organisation gets the standard taxonomy, lists it and maps it to departments."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sotong.cli import app
from sotong.db import make_engine, session_factory
from sotong.orgs.models import Category, Department
from sotong.orgs.taxonomy import standard_codes
from sotong.settings import reset_settings_cache

runner = CliRunner()


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SOTONG_DATABASE_URL", db_url)
    reset_settings_cache()
    return db_url


def _ok(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def _categories(db_url: str) -> dict[str, Category]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return {c.code: c for c in session.scalars(select(Category))}
    finally:
        engine.dispose()


def test_a_new_organisation_gets_the_standard_categories_and_maps_them(cli_db: str) -> None:
    _ok("org", "create", "--slug", "gangdong", "--name", "강동구", "--short-name", "강동")
    assert set(_categories(cli_db)) == set(standard_codes())
    _ok("dept", "create", "--org", "gangdong", "--name", "주차관리과")
    _ok("categories", "import", "--org", "gangdong")  # the usual department now exists: it is attached
    engine = make_engine(cli_db)
    with session_factory(engine)() as session:
        parking_dept = session.scalar(select(Department).where(Department.name == "주차관리과"))
        assert parking_dept is not None
        dept_id = parking_dept.id
    engine.dispose()
    assert _categories(cli_db)["parking"].department_id == dept_id
    _ok("dept", "create", "--org", "gangdong", "--name", "도로과")
    _ok("categories", "map", "--org", "gangdong", "--code", "road", "--department", "도로과")
    _ok("categories", "create", "--org", "gangdong", "--code", "pothole", "--name", "포트홀", "--standard", "road")
    listed = _ok("categories", "list", "--org", "gangdong").output
    assert "pothole" in listed and "도로과" in listed
    standard = _ok("categories", "standard").output
    assert "streetlight" in standard and "가로등" in standard


def test_an_unknown_standard_code_is_refused(cli_db: str) -> None:
    _ok("org", "create", "--slug", "gangdong", "--name", "강동구", "--short-name", "강동", "--no-standard-categories")
    assert _categories(cli_db) == {}
    result = runner.invoke(
        app, ["categories", "create", "--org", "gangdong", "--code", "x", "--name", "엑스", "--standard", "nope"]
    )
    assert result.exit_code != 0 and "not a standard category" in result.output
