"""The demo, loaded once per backend for every test of the package (loading it is the slow part)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from sotong import schema
from sotong.cli import app
from sotong.settings import reset_settings_cache
from tests import pg

runner = CliRunner()
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="package", params=BACKENDS)
def demo_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The demo with 60 messages, loaded once per backend through the CLI as `make run` does: (url, output)."""
    admin = None
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        admin = request.getfixturevalue("pg_admin_url")
        url = pg.create_database(admin, prefix="sotong_demo")
        schema.upgrade(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOTONG_DATABASE_URL", url)
        result = runner.invoke(app, ["demo", "--messages", "60", "--seed", "7"])
    reset_settings_cache()
    assert result.exit_code == 0, result.output
    yield url, result.output
    if admin is not None:
        pg.drop_database(admin, url)
