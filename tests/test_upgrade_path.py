"""Upgrading from the previous release: its own code migrates an empty PostgreSQL database and loads the demo into
it, then this code migrates it and takes a web form complaint, triages it and answers a case of the old data.

The previous release is the newest `v*` tag before this version's (`git archive` of the tag: a clone of the
repository has its tags; a shallow one needs `git fetch --tags`).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from sotong import schema
from sotong.actors import Actor
from sotong.app import create_app
from sotong.cases import actions
from sotong.cases.models import Case, CaseStatus
from sotong.db import make_engine, session_factory
from sotong.orgs.models import User
from sotong.settings import get_settings, reset_settings_cache
from sotong.triage.actions import triage_pending
from sotong.triage.models import TriageResult
from tests import pg
from tests.channels.webform_support import form_data
from tests.test_released_migrations import ROOT, _manifest, _release_tags

pytestmark = pytest.mark.postgres_only
PREVIOUS = "v0.1.0"
# The commit the tag names: a checkout made without tags (CI's may be) still holds it in main's history.
PREVIOUS_COMMIT = "83cf69debbc8d0c9789845fc6f8fd1f6609ba7b4"


def _previous_release(tmp: Path) -> Path:
    """The previous release's source tree, from its git tag (or the commit it names)."""
    revision = PREVIOUS if PREVIOUS in _release_tags() else PREVIOUS_COMMIT
    done = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "src"], capture_output=True, check=False
    )
    assert done.returncode == 0, f"{PREVIOUS} ({PREVIOUS_COMMIT}) is not in this checkout: {done.stderr!r}"
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        tar.extractall(tmp, filter="data")
    return tmp / "src"


def _old_sotong(src: Path, url: str, media: Path, *args: str) -> str:
    """Run the previous release's `sotong` command (its code first on the path, this venv's libraries)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SOTONG_")},
        "PYTHONPATH": str(src),
        "SOTONG_ENV": "test",
        "SOTONG_DATABASE_URL": url,
        "SOTONG_MEDIA_DIR": str(media),
    }
    done = subprocess.run(
        [sys.executable, "-c", "from sotong.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=src.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def old_database(pg_admin_url: str, tmp_path: Path) -> Iterator[str]:
    url = pg.create_database(pg_admin_url, prefix="sotong_upgrade")
    yield url
    pg.drop_database(pg_admin_url, url)


def test_an_installation_of_the_previous_release_upgrades_and_works(
    old_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _previous_release(tmp_path / "previous")
    media = tmp_path / "media"
    assert "sotong 0.1.0" in _old_sotong(src, old_database, media, "version")
    _old_sotong(src, old_database, media, "db", "upgrade")
    _old_sotong(src, old_database, media, "demo", "--messages", "40")

    engine = make_engine(old_database)
    try:
        found = schema.status(engine)
        assert found.state is schema.SchemaState.behind
        assert sorted(found.revisions) == _manifest()[PREVIOUS]["heads"]
        with session_factory(engine)() as session:
            old_cases = session.scalar(select(func.count()).select_from(Case))
        assert old_cases and old_cases >= 40

        schema.upgrade(old_database)  # what `sotong db upgrade` does
        assert schema.status(engine).state is schema.SchemaState.current
        assert schema.status(engine).migrated_by  # the release log starts with this upgrade
        assert "ix_cases_org_status_received" in {ix["name"] for ix in inspect(engine).get_indexes("cases")}

        monkeypatch.setenv("SOTONG_DATABASE_URL", old_database)
        reset_settings_cache()
        settings = get_settings()
        with TestClient(create_app(settings=settings, engine=engine)) as browser:
            page = form_data(browser, settings, text="잠실역 4번 출구 앞 가로등이 밤새 꺼져 있어요. 확인 부탁드립니다.")
            assert browser.post("/report", data=page).status_code == 200
        factory = session_factory(engine)
        for _ in range(20):  # the old data's untriaged cases come first, a batch at a time
            if not triage_pending(factory):
                break
        with factory() as session:
            new = session.scalar(select(Case).order_by(Case.id.desc()).limit(1))
            assert new is not None and new.channel.value == "web"
            assert session.scalar(select(func.count()).where(TriageResult.case_id == new.id)) == 1
            # An officer of the old data answers a case of the old data.
            case = session.scalar(
                select(Case).where(Case.status == CaseStatus.in_progress, Case.officer_id.is_not(None)).limit(1)
            )
            assert case is not None, "the previous release's demo has cases in progress"
            officer = session.get(User, case.officer_id)
            assert officer is not None
            answered = actions.answer(
                session, actor=Actor.for_user(officer), case_id=case.id, body="가로등을 교체했습니다. 감사합니다."
            )
            assert answered.case_id == case.id
            session.refresh(case)
            assert case.status is CaseStatus.answered
    finally:
        engine.dispose()


def test_a_rollback_goes_back_to_the_previous_release_schema(old_database: str, tmp_path: Path) -> None:
    src = _previous_release(tmp_path / "previous")
    schema.upgrade(old_database)
    (head,) = _manifest()[PREVIOUS]["heads"]  # type: ignore[misc]
    schema.downgrade(old_database, head)
    # The previous release's own code finds its schema current again.
    assert "up to date" in _old_sotong(src, old_database, tmp_path / "media", "db", "current")
