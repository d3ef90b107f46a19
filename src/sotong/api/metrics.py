"""GET /metrics: Prometheus text format, for the city's monitoring.

Two kinds of series. The web process's own (`sotong_http_*`, counted by `web/access.py`, per process). And the
installation's, read from the database at each scrape, so every web process gives the same answer and nothing is
lost when a process restarts: queue depths, outbox states, deliveries by channel and outcome, worker heartbeats,
triage times.

Not public: with `SOTONG_METRICS_TOKEN` a scraper sends `Authorization: Bearer <token>`; without one only clients
on loopback or private addresses are answered (behind a trusted proxy, the address the proxy saw).
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sotong.cases.models import Case, CaseStatus
from sotong.channels.intake.events import EventStatus, InboundEvent
from sotong.db import utcnow
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.runtime import service as runtime

router = APIRouter(include_in_schema=False)

# Deliveries and triage are summed over this window: recent enough to alert on, cheap on a large outbox.
WINDOW = dt.timedelta(hours=1)


class InstallationCollector(Collector):
    """The installation's series, read from the database when scraped."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        since = now - WINDOW
        with self.sessions() as session:
            yield from _outbox(session, now, since)
            yield from _intake(session)
            yield from _workers(session, now)
            yield from _triage(session, since)


def _outbox(session: Session, now: dt.datetime, since: dt.datetime) -> Iterator[GaugeMetricFamily]:
    waiting = GaugeMetricFamily(
        "sotong_outbox_open", "Outbox items not yet delivered, by transport and state", labels=["transport", "status"]
    )
    open_states = (OutboxStatus.pending, OutboxStatus.sending)
    for transport, status, count in session.execute(
        select(OutboxItem.transport, OutboxItem.status, func.count())
        .where(OutboxItem.status.in_(open_states))
        .group_by(OutboxItem.transport, OutboxItem.status)
    ):
        waiting.add_metric([transport, str(status.value)], count)
    yield waiting
    due = GaugeMetricFamily("sotong_outbox_due", "Outbox items due for delivery now (the delivery backlog)")
    due.add_metric(
        [],
        session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(OutboxItem.status == OutboxStatus.pending, OutboxItem.next_attempt_at <= now)
        )
        or 0,
    )
    yield due
    failed = GaugeMetricFamily(
        "sotong_outbox_failed", "Outbox items that failed for good (shown to staff), by transport", labels=["transport"]
    )
    for transport, count in session.execute(
        select(OutboxItem.transport, func.count())
        .where(OutboxItem.status == OutboxStatus.failed)
        .group_by(OutboxItem.transport)
    ):
        failed.add_metric([transport], count)
    yield failed
    retrying = GaugeMetricFamily(
        "sotong_outbox_retrying",
        "Outbox items waiting for another attempt after a failed one, by transport",
        labels=["transport"],
    )
    for transport, count in session.execute(
        select(OutboxItem.transport, func.count())
        .where(OutboxItem.status == OutboxStatus.pending, OutboxItem.attempts > 0)
        .group_by(OutboxItem.transport)
    ):
        retrying.add_metric([transport], count)
    yield retrying
    delivered = GaugeMetricFamily(
        "sotong_deliveries_last_hour",
        "Deliveries sent in the last hour, by channel (transport) and outcome",
        labels=["channel", "outcome"],
    )
    for transport, count in session.execute(
        select(OutboxItem.transport, func.count())
        .where(OutboxItem.status == OutboxStatus.sent, OutboxItem.sent_at >= since)
        .group_by(OutboxItem.transport)
    ):
        delivered.add_metric([transport, "sent"], count)
    yield delivered


def _intake(session: Session) -> Iterator[GaugeMetricFamily]:
    events = GaugeMetricFamily(
        "sotong_inbound_events_waiting", "Queued webhooks not yet taken in, by channel", labels=["channel"]
    )
    for channel, count in session.execute(
        select(InboundEvent.channel, func.count())
        .where(InboundEvent.status.in_((EventStatus.pending, EventStatus.processing)))
        .group_by(InboundEvent.channel)
    ):
        events.add_metric([str(channel.value)], count)
    yield events
    untriaged = GaugeMetricFamily("sotong_cases_awaiting_triage", "Cases received and not yet triaged")
    untriaged.add_metric(
        [],
        session.scalar(
            select(func.count()).select_from(Case).where(Case.status == CaseStatus.received, Case.triaged_at.is_(None))
        )
        or 0,
    )
    yield untriaged


def _workers(session: Session, now: dt.datetime) -> Iterator[GaugeMetricFamily]:
    age = GaugeMetricFamily(
        "sotong_worker_heartbeat_age_seconds", "Seconds since each worker last reported", labels=["worker", "version"]
    )
    last_pass = GaugeMetricFamily(
        "sotong_worker_last_pass_seconds", "How long each worker's last pass took", labels=["worker"]
    )
    for beat in runtime.heartbeats(session):
        age.add_metric([beat.worker_id, beat.version], max(0.0, (now - beat.seen_at).total_seconds()))
        if beat.last_pass_seconds is not None:
            last_pass.add_metric([beat.worker_id], beat.last_pass_seconds)
    yield age
    yield last_pass
    paused = GaugeMetricFamily("sotong_paused", "1 while deliveries and channel polling are paused (sotong resume)")
    paused.add_metric([], 1.0 if runtime.paused(session) else 0.0)
    yield paused


def _triage(session: Session, since: dt.datetime) -> Iterator[GaugeMetricFamily]:
    """Arrival to triage decision of the last hour's triaged cases: count, mean and the slowest."""
    waits = [
        (triaged - received).total_seconds()
        for received, triaged in session.execute(
            select(Case.received_at, Case.triaged_at).where(Case.triaged_at >= since).limit(10_000)
        )
        if triaged is not None
    ]
    family = GaugeMetricFamily(
        "sotong_triage_seconds_last_hour",
        "Seconds from a case's arrival to its triage, over the cases triaged in the last hour",
        labels=["stat"],
    )
    family.add_metric(["count"], len(waits))
    family.add_metric(["mean"], sum(waits) / len(waits) if waits else 0.0)
    family.add_metric(["max"], max(waits) if waits else 0.0)
    yield family


def installation_registry(sessions: sessionmaker[Session]) -> CollectorRegistry:
    """A registry of the installation's series for one app (the process's own are in prometheus' REGISTRY)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(InstallationCollector(sessions))
    return registry


# Loopback and the private ranges of RFC 1918 / RFC 4193 (Python's is_private also counts documentation ranges).
INTERNAL = [
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
]


def _internal(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in INTERNAL)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """The metrics, to a scraper with the token (or, without a token configured, from an internal address)."""
    token = request.app.state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return PlainTextResponse("metrics need the token", status_code=401)
    elif not _internal(request.client.host if request.client else None):
        return PlainTextResponse("metrics are served to internal addresses only", status_code=403)
    body = generate_latest(REGISTRY) + generate_latest(request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
