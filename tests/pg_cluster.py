"""A throwaway PostgreSQL cluster for the tests when no server answers (pytest-postgresql's executor).

PostgreSQL refuses to run as root, so as root every pg_ctl call goes through `runuser -u postgres` in a
temporary directory owned by that user. If the cluster cannot start, the error says what to install:
the PostgreSQL half of the suite must fail loudly, never be skipped.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

try:
    from pytest_postgresql.executors import PostgreSQLExecutor
except ImportError:  # pytest-postgresql < 7 named the module in the singular
    from pytest_postgresql.executor import PostgreSQLExecutor  # type: ignore[no-redef]

from tests.pg import PostgresUnavailable

HOW_TO_FIX = (
    "Install the PostgreSQL server binaries (Debian/Ubuntu: `apt-get install postgresql`; Fedora: "
    "`dnf install postgresql-server`; macOS: `brew install postgresql@15`), or start a server and point "
    "SOTONG_TEST_POSTGRES_URL at it (e.g. postgresql://postgres@127.0.0.1:5432/postgres). "
    "SOTONG_TEST_PG_CTL may name the pg_ctl to use."
)
SERVICE_USER = "postgres"


def find_pg_ctl() -> str:
    """The pg_ctl to start the cluster with: SOTONG_TEST_PG_CTL, PATH, pg_config's bindir, distro folders."""
    chosen = os.environ.get("SOTONG_TEST_PG_CTL")
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise PostgresUnavailable(f"SOTONG_TEST_PG_CTL={chosen} is not an executable pg_ctl. {HOW_TO_FIX}")
        return chosen
    candidates = [shutil.which("pg_ctl")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        candidates.append(str(Path(bindir) / "pg_ctl"))
    # Debian keeps the server out of PATH; take the newest version installed.
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]), reverse=True
    )
    candidates += ["/usr/local/pgsql/bin/pg_ctl", "/opt/homebrew/bin/pg_ctl", "/usr/local/bin/pg_ctl"]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise PostgresUnavailable(f"No PostgreSQL server answers and pg_ctl was not found. {HOW_TO_FIX}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_service_user(pg_ctl: str, root: Path) -> str:
    """A pg_ctl wrapper that runs it as the `postgres` user (we are root), owning `root`."""
    try:
        user = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"Running as root, and there is no {SERVICE_USER!r} user to run PostgreSQL as (it refuses root). "
            f"Create one (`useradd --system {SERVICE_USER}`) or run the tests as an ordinary user. {HOW_TO_FIX}"
        ) from None
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    os.chown(root, user.pw_uid, user.pw_gid)
    wrapper = root / "pg_ctl-as-postgres"
    wrapper.write_text(f'#!/bin/sh\nexec {runuser} -u {SERVICE_USER} -- {pg_ctl} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


@contextmanager
def throwaway_cluster(port: int | None = None) -> Iterator[str]:
    """Start a fresh cluster (trust auth, superuser `postgres`) and yield its admin URL; remove it afterwards."""
    pg_ctl = find_pg_ctl()
    port = port or _free_port()
    root = Path(tempfile.mkdtemp(prefix="sotong-pg-"))
    executable = _as_service_user(pg_ctl, root) if os.geteuid() == 0 else pg_ctl
    executor = PostgreSQLExecutor(
        executable=executable,
        host="127.0.0.1",
        port=port,
        datadir=str(root / "data"),
        unixsocketdir=str(root),
        logfile=str(root / "postgresql.log"),
        startparams="-w",
        dbname="postgres",
        user="postgres",
        # The suite runs a worker per CPU plus the concurrency tests' processes.
        postgres_options="-c max_connections=200 -c fsync=off -c full_page_writes=off",
        timeout=120,
    )
    try:
        executor.start()
    except Exception as exc:
        log_path = root / "postgresql.log"
        log = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else "(no server log written)"
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(
            f"No PostgreSQL server answers, and starting a throwaway cluster with {pg_ctl} on port {port} "
            f"failed: {exc!r}\nServer log:\n{log}\n{HOW_TO_FIX}"
        ) from exc
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        _wait_until_accepting(url)
        yield url
    finally:
        try:
            executor.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _wait_until_accepting(url: str, timeout: float = 60.0) -> None:
    """pg_ctl may return while the server still answers "the database system is starting up" (seen under load)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"the throwaway cluster never accepted connections: {exc}") from exc
            time.sleep(0.2)
