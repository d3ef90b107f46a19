"""What the benchmarks share: a fresh database, a free port, the shared secret, a percentile, a lean client, and
the uvicorn server they measure (its command line, environment and CPU time); for the triage benchmarks, where
the development data lives and the relevance model `sotong triage train` would build from it.

(`run_all.py` skips files starting with "_": this is not a benchmark of its own.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from sotong.triage.pipeline import TriageModel

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
# The development data beside the repository (../shared/data), read by the triage benchmarks by default.
DEV_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Shared by the benchmark process, its server and its worker: channel credentials are sealed with a key derived
# from it, so all of them must agree.
SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"


def fresh_database(name: str) -> str:
    """SOTONG_BENCH_DATABASE_URL if set, else database `name` on 127.0.0.1:5432, dropped and recreated."""
    url = os.environ.get("SOTONG_BENCH_DATABASE_URL")
    if url:
        return url
    with psycopg.connect(f"{DEFAULT_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(url: str, port: int, **extra: str) -> dict[str, str]:
    """The environment of the app under test: production settings on `url`, answering as 127.0.0.1:`port`."""
    return {
        **os.environ,
        **extra,
        "SOTONG_DATABASE_URL": url,
        "SOTONG_ENV": "production",
        "SOTONG_SECRET_KEY": SECRET_KEY,
        "SOTONG_BASE_URL": f"http://127.0.0.1:{port}",
        "SOTONG_ALLOWED_HOSTS": "127.0.0.1",
    }


def uvicorn_command(port: int, workers: int) -> list[str]:
    """uvicorn serving the app factory on 127.0.0.1:`port` with `workers` processes, as production runs it."""
    return [
        sys.executable, "-m", "uvicorn", "sotong.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
        "--loop", "uvloop", "--http", "httptools",  # what `auto` picks when installed (uvicorn[standard]); said aloud
        # Keep-alive longer than any think time or pause between a client's requests: otherwise uvicorn may close
        # a connection just as the client reuses it (a race every HTTP/1.1 client hits under load).
        "--timeout-keep-alive", "75",
    ]  # fmt: skip


def server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """User + system CPU of uvicorn and its worker processes so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rpartition(")")[2].split()  # after the command name, which may hold spaces
            pid, parent = int(stat.parent.name), int(fields[1])
            if server.pid in (pid, parent):
                total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def pct(values: list[float], q: float) -> float:
    """The q-quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class KeepAlive:
    """One HTTP/1.1 keep-alive connection speaking just enough HTTP for a load generator.

    httpx spends more CPU per request than a lean server does to answer it; on a two-core machine shared with the
    server that makes the client the bottleneck being measured. This writes the request bytes and reads the status
    line, the headers and a Content-Length body, and reconnects when the server closes.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST `body` to `path`; returns the status code and the response body."""
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n{head}\r\n"
        ).encode() + body
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(request)
        status_line, _, rest = (await self._reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
        length, close = 0, False
        for line in rest.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
            elif name == b"transfer-encoding":
                raise RuntimeError("chunked responses are not spoken by this bench client")
        payload = await self._reader.readexactly(length)
        if close:
            await self.close()
        return int(status_line.split()[1]), payload

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


def history_relevance_model(path: Path, seed: int = 42) -> tuple[TriageModel, list[str], list[bool]]:
    """A relevance model trained like `sotong triage train`: four fifths of the labelled rows at `path` (stratified,
    `seed`) plus the seed corpus; returned with the other fifth's texts and flags to score it on."""
    from sklearn.model_selection import train_test_split

    from sotong.triage.pipeline import seed_training_set, train

    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    flags = [str(r["relevant"]).lower() in ("true", "1") for r in rows]
    train_rows, test_rows = train_test_split(
        list(zip(rows, flags, strict=True)), test_size=0.2, stratify=flags, random_state=seed
    )
    seed_texts, _, seed_flags = seed_training_set()
    model = train(
        texts=[str(r["text"]) for r, _ in train_rows] + seed_texts,
        relevant=[f for _, f in train_rows] + seed_flags,
        source="bench",
    )
    return model, [str(r["text"]) for r, _ in test_rows], [f for _, f in test_rows]
