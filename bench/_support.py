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
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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
        # The load generator speaks plain HTTP on loopback, where a Secure session cookie is never sent back (every
        # staff form would then fail its CSRF check): the bench stands where a TLS-terminating proxy would.
        "SOTONG_TLS_AT_PROXY": "true",
        "SOTONG_COOKIE_SECURE": "false",
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
        # As `sotong serve` sets it: a worker loading the Korean analyser (seconds holding the GIL) misses the default
        # 5 s liveness ping on a busy machine and is killed and restarted, again and again, never coming up.
        "--timeout-worker-healthcheck", "60",
    ]  # fmt: skip


def start_uvicorn(env: dict[str, str], port: int, workers: int, log: Path | None = None) -> subprocess.Popen[bytes]:
    """Start `uvicorn_command` and wait (up to 3 minutes: production workers loading the app on a busy two-core
    machine) until /healthz answers; its output goes to `log` when given."""
    out = log.open("wb") if log is not None else None
    # A session of its own: on a failed start the whole group goes, uvicorn's worker processes included (killing
    # the parent alone left them running, orphaned, eating the cores of the next measurement).
    proc = subprocess.Popen(
        uvicorn_command(port, workers), env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop_uvicorn(proc, at_once=True)
    raise SystemExit("uvicorn did not come up" + (f" (its log: {log})" if log is not None else ""))


def stop_uvicorn(proc: subprocess.Popen[bytes], *, at_once: bool = False) -> None:
    """Stop uvicorn and its worker processes: SIGTERM (they finish their requests), SIGKILL after 30 s."""
    if not at_once:
        proc.terminate()
        try:
            proc.wait(timeout=30)
            return
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


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


def silent_facebook_page(
    session: Session, org_id: int, *, handle: str, page_id: str, app_secret: str, department_id: int | None = None
) -> int:
    """A Facebook Page account of the organisation whose replies go nowhere (its Graph URL is a closed port): the
    benchmarks take webhooks in on it and measure intake, never delivery. Returns its id."""
    from sotong.actors import CLI
    from sotong.channels import accounts as channel_accounts
    from sotong.orgs.models import Channel

    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=org_id,
        channel=Channel.facebook,
        handle=handle,
        department_id=department_id,
        config={
            "page_id": page_id,
            "page_access_token": "bench-token",
            "app_secret": app_secret,
            "verify_token": "bench-verify",
            "graph_url": "http://127.0.0.1:9/",  # nothing is delivered during a benchmark
        },
    ).id


# Varied citizen messages for the benchmarks that must not flatter: a few fixed sentences repeated make every
# cache (the morpheme analyser's word cache, the relevance model's features, PostgreSQL's pages) look better than a
# city's real stream, where most messages bring words the process has not met. Built from parts, none of them the
# seed corpus's sentences, so a model trained on that corpus meets them as unseen text.
_AREAS = [
    "석촌동",
    "방이2동",
    "가락본동",
    "문정1동",
    "잠실3동",
    "오금동",
    "마천1동",
    "풍납2동",
    "거여동",
    "장지동",
    "송파1동",
    "삼전동",
    "위례동",
    "신천동",
    "가락2동",
    "오륜동",
    "잠실본동",
    "문정2동",
    "석촌역",
    "몽촌토성역",
]
_PLACES = [
    "사거리",
    "버스정류장 앞",
    "초등학교 후문",
    "어린이공원",
    "재래시장 입구",
    "주민센터 옆 골목",
    "지하철 3번 출구",
    "아파트 정문",
    "산책로",
    "공영주차장",
    "육교 밑",
    "하천변 자전거도로",
    "상가 뒷길",
    "경로당 앞",
    "놀이터",
]
_PROBLEMS = [
    ("가로등이", ["꺼져 있어요", "깜빡거립니다", "밤새 안 들어와요"]),
    ("보도블록이", ["들떠서 걸려 넘어질 뻔했어요", "깨져 있습니다", "꺼져서 물이 고여요"]),
    ("불법 주차 차량이", ["소화전을 막고 있어요", "며칠째 그대로입니다", "인도를 막고 있어요"]),
    ("쓰레기가", ["무단으로 쌓여 있어요", "수거가 안 되고 있습니다", "악취가 심해요"]),
    ("맨홀 뚜껑이", ["덜컹거려요", "열려 있어 위험합니다"]),
    ("신호등이", ["고장 나서 계속 빨간불이에요", "소리 안내가 안 나옵니다"]),
    ("공사 소음이", ["새벽부터 시작돼요", "주말에도 계속됩니다"]),
    ("현수막이", ["불법으로 걸려 있어요", "찢어져 날립니다"]),
    ("나무가", ["쓰러질 것 같아요", "가지가 전선에 닿아 있어요"]),
    ("배수구가", ["막혀서 비만 오면 넘쳐요", "낙엽으로 덮여 있습니다"]),
    ("킥보드가", ["점자블록 위에 방치돼 있어요", "길을 막고 쓰러져 있어요"]),
    ("흡연자들이", ["금연구역에서 계속 담배를 피워요", "꽁초를 버리고 가요"]),
]
_WHEN = ["", "어제부터 ", "일주일째 ", "오늘 아침에 보니 ", "지난주부터 ", "밤마다 ", "{n}일째 ", "오후 {n}시쯤 "]
_ASK = [
    "",
    " 확인 부탁드립니다.",
    " 빨리 조치해 주세요!",
    " 언제 고쳐지나요?",
    " 위험하니 서둘러 주세요.",
    " 처리 부탁드려요 ㅠㅠ",
]
_CHATTER = [
    "구청장님 화이팅! 오늘 축제 정말 좋았어요",
    "{area} 벚꽃 너무 예쁘네요 ㅎㅎ",
    "송파구 소식 잘 보고 있어요 감사합니다",
    "주말에 {area} 나들이 다녀왔어요~",
    "이번 공연 재밌었어요 또 해주세요",
]


def varied_complaints(n: int, seed: int = 11, chatter: float = 0.1) -> list[str]:
    """`n` varied citizen messages (about `chatter` of them greetings and praise), reproducible for a seed."""
    import random

    rng = random.Random(seed)
    texts: list[str] = []
    for _ in range(n):
        area = rng.choice(_AREAS)
        if rng.random() < chatter:
            text = rng.choice(_CHATTER).format(area=area)
        else:
            subject, outcomes = rng.choice(_PROBLEMS)
            when = rng.choice(_WHEN).format(n=rng.randint(2, 11))
            text = f"{area} {rng.choice(_PLACES)} {when}{subject} {rng.choice(outcomes)}.{rng.choice(_ASK)}"
        # A detail of its own (a pole, a building, a bus line) keeps most messages distinct, as real ones are.
        detail = rng.choice(
            [
                "",
                f" ({rng.randint(1, 40)}번 전봇대)",
                f" {rng.randint(101, 130)}동 앞",
                f" {rng.randint(300, 3999)}번 버스",
            ]
        )
        texts.append(text + detail)
    return texts
