"""Channels on PostgreSQL: a 100-mention poll, and the time from a message's arrival to its receipt.

    .venv/bin/python bench/channel_latency.py                 # 100-mention polls + 60 s of webhooks at 10/s
    .venv/bin/python bench/channel_latency.py --seconds 120 --rate 20

The promises measured (issue 6):
- poll-based intake of a 100-mention page is stored and acknowledged (cursor moved) in < 1 s: X (one page of
  100) and Mastodon (pages of 40, so three requests), each against its local fake speaking the real protocol,
  with the real client code (httpx for X, Mastodon.py for Mastodon), after the models are loaded as the worker
  does at start (that one-off load is shown on its own row); the SQL statements of each poll are counted;
- the time from a message's arrival (the webhook request reaching us) to its receipt being handed to the
  channel (the Graph API call returning) has p95 < 5 s with the worker running: signed Facebook comments are
  posted to uvicorn at a steady rate while `sotong worker` runs as its own process with its default poll
  interval, triage included (deliveries run in a thread of their own on PostgreSQL).

The database is SOTONG_BENCH_DATABASE_URL if set, else `sotong_bench_channels` on 127.0.0.1:5432, dropped and
recreated each run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, event, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fakes live with the tests

from tests.fakes import graph as fake_graph  # noqa: E402
from tests.fakes import mastodon as fake_mastodon  # noqa: E402
from tests.fakes import x as fake_x  # noqa: E402

from _support import SECRET_KEY, free_port, fresh_database, pct, server_env  # noqa: E402
from sotong import schema  # noqa: E402
from sotong.actors import CLI  # noqa: E402
from sotong.cases.models import Message  # noqa: E402
from sotong.channels import accounts as channel_accounts  # noqa: E402
from sotong.db import make_engine, session_factory  # noqa: E402
from sotong.orgs import actions as org_actions  # noqa: E402
from sotong.orgs.models import Channel  # noqa: E402
from sotong.outbox.models import OutboxItem, OutboxStatus  # noqa: E402

BENCH_DB = "sotong_bench_channels"
os.environ["SOTONG_SECRET_KEY"] = SECRET_KEY  # shared with the server and worker: credentials are sealed with it
console = Console()


class StatementCounter:
    """How many SQL statements an engine ran since the last `take()` (round trips are the cost of intake)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


def poll_figures(url: str, org_id: int, department_id: int) -> list[tuple[str, str]]:
    from sotong.channels.mastodon.poll import poll as mastodon_poll
    from sotong.channels.x.poll import poll as x_poll
    from sotong.worker import warm_models

    engine = make_engine(url)
    factory = session_factory(engine)
    statements = StatementCounter(engine)
    rows: list[tuple[str, str]] = []
    # The worker that polls loads the language models when it starts (outbox.worker.warm_models), not on the
    # first message: do the same here, and show what that costs once per process.
    started = time.perf_counter()
    warm_models()
    rows.append(("models loaded at worker start (once)", f"{(time.perf_counter() - started) * 1000:,.0f} ms"))
    with fake_x.running() as x, factory() as session:
        account = channel_accounts.create_channel_account(
            session,
            actor=CLI,
            org_id=org_id,
            channel=Channel.x,
            handle="@songpaOK",
            department_id=department_id,
            config={"base_url": x.base_url, "bearer_token": x.token, "user_id": x.me["id"]},
        )
        for n in range(100):
            x.mention(f"잠실역 {n}번 출구 앞 보도블럭이 깨졌어요", author=x.user(f"citizen{n}", f"시민{n}"))
        statements.take()
        started = time.perf_counter()
        result = x_poll(session, account_id=account.id)
        elapsed = time.perf_counter() - started
        rows.append(
            (
                "X: poll of 100 new mentions",
                f"{elapsed * 1000:,.0f} ms ({result.taken.stored} stored, {statements.take()} SQL statements)",
            )
        )
        started = time.perf_counter()
        again = x_poll(session, account_id=account.id)
        rows.append(("X: the next poll (nothing new)", f"{(time.perf_counter() - started) * 1000:,.0f} ms"))
        assert result.taken.stored == 100 and again.taken.stored == 0
    with fake_mastodon.running() as mastodon, factory() as session:
        account = channel_accounts.create_channel_account(
            session,
            actor=CLI,
            org_id=org_id,
            channel=Channel.mastodon,
            handle="@songpa@gov.social",
            department_id=department_id,
            config={"base_url": mastodon.base_url, "access_token": mastodon.token},
        )
        for n in range(100):
            mastodon.mention(f"석촌호수 산책로 가로등 {n}번이 꺼졌어요", author=mastodon.citizen(f"citizen{n}"))
        statements.take()
        started = time.perf_counter()
        polled = mastodon_poll(session, account_id=account.id)
        elapsed = time.perf_counter() - started
        rows.append(
            (
                "Mastodon: poll of 100 new mentions",
                f"{elapsed * 1000:,.0f} ms ({polled.taken.stored} stored, {statements.take()} SQL statements)",
            )
        )
        assert polled.taken.stored == 100
    engine.dispose()
    return rows


PLACES = (
    "가락시장 사거리",
    "잠실역 8번 출구",
    "석촌호수 동호",
    "올림픽공원 평화의문",
    "문정동 법조타운",
    "방이동 먹자골목",
    "오금역 3번 출구",
    "송파구청 앞",
    "마천동 시장 입구",
    "거여동 주민센터",
    "풍납토성 산책로",
    "장지동 버스차고지",
    "삼전동 어린이공원",
    "석촌동 고분군",
    "가든파이브 정문",
    "위례 중앙광장",
    "헬리오시티 후문",
    "성내천 자전거길",
)
PROBLEMS = (
    "신호등이 꺼져 있어요",
    "보도블럭이 깨져서 걸려 넘어질 뻔했습니다",
    "불법 주차 차량 때문에 통행이 어렵습니다",
    "쓰레기가 며칠째 쌓여 악취가 납니다",
    "가로등이 깜빡거려 밤에 무섭습니다",
    "맨홀 뚜껑이 들려 있어 위험해요",
    "공사 소음이 새벽까지 이어집니다",
    "버스 정류장 의자가 부서졌습니다",
    "도로에 포트홀이 생겼어요",
    "현수막이 인도를 막고 있습니다",
    "하수구가 막혀 물이 넘칩니다",
    "킥보드가 점자블록 위에 방치돼 있어요",
)
WHEN = ("오늘 아침부터", "어제 저녁에 보니", "일주일째", "출근길에 보니", "방금", "주말 내내")


def complaint(n: int) -> tuple[str, str]:
    """Message n of the run and its citizen: a different person each time, reporting a place and a problem (a
    single citizen posting near-identical comments is rightly triaged as one case's follow-ups, withdrawing
    their receipts, which would leave nothing to time)."""
    place = PLACES[n % len(PLACES)]
    problem = PROBLEMS[(n // len(PLACES)) % len(PROBLEMS)]
    when = WHEN[(n // (len(PLACES) * len(PROBLEMS))) % len(WHEN)]
    return f"{place} {when} {problem} ({n}번째 신고)", str(300_000 + n)


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)


def receipt_figures(url: str, org_id: int, department_id: int, seconds: float, rate: float) -> list[tuple[str, str]]:
    engine = make_engine(url)
    factory = session_factory(engine)
    rows: list[tuple[str, str]] = []
    with fake_graph.running() as graph:
        with factory() as session:
            account = channel_accounts.create_channel_account(
                session,
                actor=CLI,
                org_id=org_id,
                channel=Channel.facebook,
                handle="songpa.gu",
                department_id=department_id,
                config={
                    "page_id": graph.page_id,
                    "page_access_token": graph.page_token,
                    "app_secret": graph.app_secret,
                    "verify_token": "bench",
                    "graph_url": graph.graph_url,
                },
            )
            account_id = account.id
        port = free_port()
        env = server_env(url, port)
        sotong = str(Path(sys.executable).parent / "sotong")
        server = start([sotong, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"], env)
        worker = start([sotong, "worker"], env)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not come up")
                time.sleep(0.2)
            hook = f"http://127.0.0.1:{port}/hooks/facebook/{account_id}"
            sent = 0
            began = time.monotonic()
            with httpx.Client(timeout=30) as client:
                while time.monotonic() - began < seconds:
                    text, citizen = complaint(sent)
                    _, body = graph.comment(text, user_id=citizen, name=f"시민{sent}")
                    response = client.post(hook, content=body, headers=graph.sign(body))
                    response.raise_for_status()
                    sent += 1
                    pause = began + sent / rate - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
            # Let the worker hand over the last receipts.
            wait_until = time.monotonic() + 60
            while time.monotonic() < wait_until:
                with factory() as session:
                    done = session.scalars(
                        select(OutboxItem.id).where(
                            OutboxItem.kind == "receipt",
                            OutboxItem.transport == "facebook",
                            OutboxItem.status == OutboxStatus.sent,
                        )
                    ).all()
                if len(done) >= sent:
                    break
                time.sleep(0.5)
        finally:
            worker.terminate()
            server.terminate()
            worker.wait(timeout=60)
            server.wait(timeout=60)
    with factory() as session:
        # Arrival = the case's first message reaching us; handed over = the Graph API call returning.
        first = select(Message.case_id, func.min(Message.created_at).label("at")).group_by(Message.case_id).subquery()
        delays = [
            (sent_at - at).total_seconds()
            for sent_at, at in session.execute(
                select(OutboxItem.sent_at, first.c.at)
                .join(first, first.c.case_id == OutboxItem.case_id)
                .where(
                    OutboxItem.kind == "receipt",
                    OutboxItem.transport == "facebook",
                    OutboxItem.status == OutboxStatus.sent,
                )
            )
        ]
        # Triage hides exact repeats as duplicates: their receipts are withdrawn (cancelled), not late.
        withdrawn = session.scalar(
            select(func.count()).where(
                OutboxItem.kind == "receipt",
                OutboxItem.transport == "facebook",
                OutboxItem.status == OutboxStatus.cancelled,
            )
        )
    engine.dispose()
    rows.append(("messages sent at", f"{rate:g}/s for {seconds:g} s ({sent} messages)"))
    rows.append(("receipts handed to Facebook", f"{len(delays)} of {sent} ({withdrawn} withdrawn: duplicates)"))
    if delays:
        rows.append(("arrival → receipt p50", f"{pct(delays, 0.50):.2f} s"))
        rows.append(("arrival → receipt p95", f"{pct(delays, 0.95):.2f} s"))
        rows.append(("arrival → receipt max", f"{max(delays):.2f} s"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=10, help="webhook messages per second")
    args, _ = parser.parse_known_args()  # `make bench` passes --cases to every script
    url = fresh_database(BENCH_DB)
    schema.upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        org = org_actions.create_organisation(session, actor=CLI, slug="songpa", name="송파구", short_name="송파")
        roads = org_actions.create_department(session, actor=CLI, org_id=org.id, name="도로과")
        org_id, department_id = org.id, roads.id
    engine.dispose()

    rows = poll_figures(url, org_id, department_id)
    rows += receipt_figures(url, org_id, department_id, args.seconds, args.rate)
    table = Table(title="channels: polls and receipt latency (PostgreSQL)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
