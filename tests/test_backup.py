"""`sotong backup` / `sotong restore`: onto a fresh database (PostgreSQL and SQLite), files for the service user only,
the env file kept, and the restored copy paused until an administrator resumes it."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong import backup as backups
from sotong import worker
from sotong.cases.models import Case, Message
from sotong.db import make_engine, session_factory
from sotong.errors import InvalidInput
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.runtime import service as runtime
from sotong.settings import Settings
from tests import pg
from tests.factories import World, new_case

ENV = "SOTONG_SECRET_KEY=q8V3-kLz0pWn7xRt2YbH5mJc9uEs4GdA6fTi1\nSOTONG_CREDENTIALS_KEY=k\n"


@pytest.fixture
def fresh_url(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind, as an administrator creates one to restore into."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'sotong.db'}"
        return
    admin = request.getfixturevalue("pg_admin_url")
    url = pg.create_database(admin, prefix="sotong_restore")
    yield url
    pg.drop_database(admin, url)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _counts(url: str) -> tuple[int, int, int]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            return (
                s.scalar(select(func.count()).select_from(Case)) or 0,
                s.scalar(select(func.count()).select_from(Message)) or 0,
                s.scalar(select(func.count()).where(OutboxItem.status == OutboxStatus.pending)) or 0,
            )
    finally:
        engine.dispose()


def test_a_backup_restores_onto_a_fresh_database_paused(
    settings: Settings, session: Session, world: World, db_url: str, fresh_url: str, tmp_path: Path
) -> None:
    new_case(session, world, text="잠실동 12-3 앞 하수구 악취가 심합니다")
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    (settings.media_dir / "ab").mkdir()
    (settings.media_dir / "ab" / "photo.jpg").write_bytes(b"\xff\xd8 photo")
    env_file = tmp_path / "env"
    env_file.write_text(ENV)
    before = _counts(db_url)
    assert before[2] >= 1  # the receipt waits in the outbox

    written = backups.backup(settings, into=tmp_path / "backups", env_file=env_file)
    assert _mode(written) == 0o700
    assert all(_mode(path) == 0o600 for path in written.iterdir()), {p.name: oct(_mode(p)) for p in written.iterdir()}
    assert (written / "env").read_text() == ENV

    target = settings.model_copy(update={"database_url": fresh_url, "media_dir": tmp_path / "media-restored"})
    done = backups.restore(target, directory=written, env_to=tmp_path / "restored.env")
    assert _counts(fresh_url) == before
    assert (target.media_dir / "ab" / "photo.jpg").read_bytes() == b"\xff\xd8 photo"
    assert (tmp_path / "restored.env").read_text() == ENV and _mode(tmp_path / "restored.env") == 0o600

    engine = make_engine(fresh_url)
    try:
        factory = session_factory(engine)
        with factory() as s:
            assert runtime.paused(s) == done.paused_reason and "restored from" in done.paused_reason
        assert worker.run_pass(factory, worker_id="copy").delivered == 0  # the receipt is not sent twice
    finally:
        engine.dispose()
    assert _counts(fresh_url)[2] == before[2]

    with pytest.raises(InvalidInput, match="not empty"):
        backups.restore(target, directory=written)


def test_a_damaged_backup_is_refused(settings: Settings, world: World, fresh_url: str, tmp_path: Path) -> None:
    written = backups.backup(settings, into=tmp_path / "backups", env_file=None)
    (written / "media.tar.gz").write_bytes(b"not what was written")
    target = settings.model_copy(update={"database_url": fresh_url})
    with pytest.raises(InvalidInput, match=r"media\.tar\.gz is missing or damaged"):
        backups.restore(target, directory=written)
