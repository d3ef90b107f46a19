"""`sotong backup` and `sotong restore`: the database, the media directory and the env file, as one directory that
only the service user can read, restored onto a fresh database with deliveries and polling paused.

A backup directory holds:
  database.dump     PostgreSQL: `pg_dump --format=custom --no-owner --no-privileges` (any role can restore it)
  database.sqlite3  SQLite: a consistent copy made with SQLite's backup API while Sotong runs
  media.tar.gz      SOTONG_MEDIA_DIR (attachments, photos of results)
  env               the env file: SOTONG_SECRET_KEY (sessions, tracking links) and SOTONG_CREDENTIALS_KEY (channel
                    credentials): without them a restored copy cannot decrypt its channel accounts
  manifest.json     release, schema revision, time, and the SHA-256 of each file (checked before restoring)

Directories are created 0700 and files 0600: a dump holds every citizen's complaint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from sotong import __version__, schema
from sotong.actors import CLI
from sotong.db import make_engine, session_factory
from sotong.errors import InvalidInput
from sotong.runtime import actions as runtime_actions
from sotong.settings import Settings

MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media.tar.gz"
ENV = "env"


@dataclass(frozen=True)
class Restored:
    directory: Path
    env_written: Path | None
    paused_reason: str


def _libpq(url: str) -> str:
    """A URL pg_dump and pg_restore understand (no SQLAlchemy driver suffix)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InvalidInput("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _private_file(path: Path) -> None:
    os.chmod(path, 0o600)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise InvalidInput(
            f"{command[0]} not found: install the PostgreSQL client tools of the server's version"
        ) from None
    if done.returncode != 0:
        # pg_dump's and pg_restore's messages name objects, never row contents.
        raise InvalidInput(f"{what} failed: {done.stderr.strip()[-2000:]}")


def backup(settings: Settings, *, into: Path, env_file: Path | None, now: dt.datetime | None = None) -> Path:
    """Write a backup directory under `into` and return it."""
    now = now or dt.datetime.now(dt.UTC)
    into.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = into / f"sotong-{now:%Y%m%d-%H%M%S}"
    target.mkdir(mode=0o700)
    os.chmod(target, 0o700)  # whatever the umask
    previous_umask = os.umask(0o077)
    try:
        engine = make_engine(settings.database_url)
        try:
            found = schema.status(engine)
        finally:
            engine.dispose()
        files: list[Path] = []
        if settings.is_sqlite:
            copy = target / SQLITE_COPY
            source = sqlite3.connect(_sqlite_path(settings.database_url))
            destination = sqlite3.connect(copy)
            try:
                source.backup(destination)
            finally:
                destination.close()
                source.close()
            files.append(copy)
        else:
            dump = target / PG_DUMP
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={dump}",
                    _libpq(settings.database_url),
                ],
                "pg_dump",
            )
            files.append(dump)
        media = target / MEDIA
        with tarfile.open(media, "w:gz") as tar:
            if settings.media_dir.is_dir():
                tar.add(settings.media_dir, arcname="media")
        files.append(media)
        if env_file is not None:
            if not env_file.is_file():
                raise InvalidInput(f"env file {env_file} not found")
            shutil.copyfile(env_file, target / ENV)
            files.append(target / ENV)
        for path in files:
            _private_file(path)
        manifest = {
            "sotong": __version__,
            "created_at": now.isoformat(),
            "database": "sqlite" if settings.is_sqlite else "postgresql",
            "schema_revisions": sorted(found.revisions),
            "files": {path.name: _sha256(path) for path in files},
        }
        (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _private_file(target / MANIFEST)
    finally:
        os.umask(previous_umask)
    return target


def _check(directory: Path) -> dict[str, object]:
    path = directory / MANIFEST
    if not path.is_file():
        raise InvalidInput(f"{directory} is not a Sotong backup (no {MANIFEST})")
    manifest = dict(json.loads(path.read_text()))
    files = manifest.get("files")
    assert isinstance(files, dict)
    for name, digest in files.items():
        if not (directory / name).is_file() or _sha256(directory / name) != digest:
            raise InvalidInput(f"the backup's {name} is missing or damaged (SHA-256 differs from the manifest)")
    return manifest


def _has_tables(url: str) -> bool:
    engine = make_engine(url)
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def restore(settings: Settings, *, directory: Path, env_to: Path | None = None, replace: bool = False) -> Restored:
    """Restore `directory` onto the configured database and media directory, then pause deliveries and polling."""
    manifest = _check(directory)
    files = manifest["files"]
    assert isinstance(files, dict)
    revisions = manifest.get("schema_revisions") or []
    assert isinstance(revisions, list)
    if schema.unknown_revisions(settings.database_url, revisions):
        raise InvalidInput(
            f"this backup was made by sotong {manifest['sotong']}, newer than this code: install it first"
        )
    kind = "sqlite" if settings.is_sqlite else "postgresql"
    if manifest["database"] != kind:
        raise InvalidInput(f"this backup is of a {manifest['database']} database; SOTONG_DATABASE_URL is {kind}")
    if _has_tables(settings.database_url) and not replace:
        raise InvalidInput(
            "the target database is not empty: restore onto a freshly created database "
            "(or pass --replace to drop what is there first)"
        )
    if settings.is_sqlite:
        path = _sqlite_path(settings.database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(directory / SQLITE_COPY, path)
        _private_file(path)
    else:
        command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if replace:
            command += ["--clean", "--if-exists"]  # --if-exists: no error for what a fresh database lacks
        _run([*command, f"--dbname={_libpq(settings.database_url)}", str(directory / PG_DUMP)], "pg_restore")
    media_root = settings.media_dir
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(directory / MEDIA, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.name == "media" or m.name.startswith("media/")]
        for member in members:
            member.name = member.name.removeprefix("media").lstrip("/") or "."
        tar.extractall(media_root, members=members, filter="data")
    written = None
    if env_to is not None and ENV in files:
        previous_umask = os.umask(0o077)
        try:
            shutil.copyfile(directory / ENV, env_to)
            _private_file(env_to)
        finally:
            os.umask(previous_umask)
        written = env_to
    # A restored copy must not re-send what the original sent, nor read the live mailboxes, until someone decides.
    schema.upgrade(settings.database_url)  # a backup of an older release: its schema brought to this code's
    reason = f"restored from {directory.name} (made {manifest['created_at']} by sotong {manifest['sotong']})"
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            runtime_actions.pause(session, actor=CLI, reason=reason)
    finally:
        engine.dispose()
    return Restored(directory=directory, env_written=written, paused_reason=reason)
