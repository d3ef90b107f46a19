"""Reading for Open311: services from the organisation's categories, requests from its public cases.

Everything a request shows is what the transparency portal shows: public, not 공익신고, not hidden, text and
address masked, location coarsened. The raw complaint (`Case.body`) never leaves through this API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sotong.cases import service as cases
from sotong.cases.models import Case, CaseStatus, Message
from sotong.errors import NotFound, SotongError
from sotong.orgs.models import Category, Channel, Organisation
from sotong.settings import get_settings
from sotong.text import pii

# The standard's defaults for GET /requests: the last 90 days, at most 1000 requests.
DEFAULT_WINDOW = dt.timedelta(days=90)
MAX_WINDOW = dt.timedelta(days=90)
MAX_REQUESTS = 1000
# Public coordinates are snapped to a grid of this many degrees (~55 m north-south, ~45 m east-west in Korea),
# so a citizen's doorstep is never published.
LOCATION_GRID_DEGREES = 0.0005

CLOSED_STATUSES = (CaseStatus.answered, CaseStatus.closed, CaseStatus.transferred_out)
OPEN_STATUSES = tuple(s for s in CaseStatus if s not in CLOSED_STATUSES and s is not CaseStatus.rejected)


class Open311Error(SotongError):
    """An error the standard defines: rendered as `[{"code": .., "description": ..}]` or `<errors>`."""

    code = "open311"

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.http_status = status
        self.description = description


def jurisdiction(session: Session, jurisdiction_id: str | None) -> Organisation:
    """The organisation a request is about: `jurisdiction_id` is its slug; optional where only one exists."""
    if jurisdiction_id:
        org = session.scalar(select(Organisation).where(Organisation.slug == jurisdiction_id))
        if org is None:
            raise Open311Error(404, f"unknown jurisdiction_id {jurisdiction_id!r}")
        return org
    default = get_settings().open311_default_jurisdiction
    if default:
        return jurisdiction(session, default)
    orgs = list(session.scalars(select(Organisation).order_by(Organisation.slug).limit(21)))
    if len(orgs) == 1:
        return orgs[0]
    slugs = ", ".join(o.slug for o in orgs[:20])
    raise Open311Error(400, f"jurisdiction_id is required: one of {slugs}")


# --------------------------------------------------------------------------------------------- services


def service_list(session: Session, org: Organisation) -> list[dict[str, Any]]:
    """GET /services: one realtime service per category of the organisation."""
    rows = list(session.scalars(select(Category).where(Category.org_id == org.id).order_by(Category.code)))
    departments = cases.department_names(session, [c.department_id for c in rows])
    out = []
    for category in rows:
        out.append(
            {
                "service_code": category.code,
                "service_name": category.name,
                "description": category.description or category.name,
                # No extra attributes: a description, a location and optional photos say enough.
                "metadata": False,
                "type": "realtime",
                "keywords": None,
                "group": departments.get(category.department_id) if category.department_id else None,
            }
        )
    return out


def service_category(session: Session, org: Organisation, service_code: str) -> Category:
    category = session.scalar(select(Category).where(Category.org_id == org.id, Category.code == service_code))
    if category is None:
        raise Open311Error(404, f"unknown service_code {service_code!r}")
    return category


def service_definition(session: Session, org: Organisation, service_code: str) -> dict[str, Any]:
    """GET /services/{code}: the definition; our services take no attributes beyond the standard fields."""
    category = service_category(session, org, service_code)
    return {"service_code": category.code, "attributes": []}


# --------------------------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class RequestQuery:
    """The standard filters of GET /requests, already parsed."""

    service_request_ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: tuple[str, ...] = ()


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


MIN_YEAR, MAX_YEAR = 1900, 9998


def parse_datetime(value: str, name: str) -> dt.datetime:
    """A W3C datetime (2010-01-01T00:00:00Z or with an offset); without an offset it is Korean local time."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C datetime such as 2026-01-31T09:00:00+09:00") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        # The year 1 or 9999 overflows once moved to UTC or a day added: a 400, not a 500.
        raise Open311Error(400, f"{name} must lie between the years {MIN_YEAR} and {MAX_YEAR}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(get_settings().timezone))
    return parsed.astimezone(dt.UTC)


def parse_query(params: dict[str, str]) -> RequestQuery:
    """Validate the filters; anything the standard does not allow is a 400 naming the parameter."""
    statuses = _split(params.get("status"))
    for status in statuses:
        if status not in ("open", "closed"):
            raise Open311Error(400, f"status must be open or closed, not {status!r}")
    start = parse_datetime(params["start_date"], "start_date") if params.get("start_date") else None
    end = parse_datetime(params["end_date"], "end_date") if params.get("end_date") else None
    if start and end:
        if end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > MAX_WINDOW:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return RequestQuery(
        service_request_ids=_split(params.get("service_request_id")),
        service_codes=_split(params.get("service_code")),
        start=start,
        end=end,
        statuses=statuses,
    )


def find_requests(
    session: Session, org: Organisation, query: RequestQuery, *, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """GET /requests: newest first, at most 1000; `service_request_id` overrides every other filter."""
    stmt = cases.publicly_listed().where(Case.org_id == org.id)
    if query.service_request_ids:
        stmt = stmt.where(Case.number.in_(query.service_request_ids))
    else:
        now = now or dt.datetime.now(dt.UTC)
        end = query.end or (query.start + DEFAULT_WINDOW if query.start else now)
        start = query.start or end - DEFAULT_WINDOW
        stmt = stmt.where(Case.received_at >= start, Case.received_at <= end)
        if query.service_codes:
            codes = select(Category.id).where(Category.org_id == org.id, Category.code.in_(query.service_codes))
            stmt = stmt.where(Case.category_id.in_(codes))
        if query.statuses and set(query.statuses) != {"open", "closed"}:
            wanted = CLOSED_STATUSES if query.statuses == ("closed",) else OPEN_STATUSES
            stmt = stmt.where(Case.status.in_(wanted))
    rows = list(
        session.scalars(
            stmt.options(selectinload(Case.answers))
            .order_by(Case.received_at.desc(), Case.id.desc())
            .limit(MAX_REQUESTS)
        )
    )
    return serialise(session, org, rows)


def get_request(session: Session, org: Organisation, service_request_id: str) -> dict[str, Any]:
    """GET /requests/{id}: one public request, or 404 (a non-public one looks exactly like a missing one)."""
    case = session.scalar(
        cases.publicly_listed()
        .where(Case.org_id == org.id, Case.number == service_request_id)
        .options(selectinload(Case.answers))
    )
    if case is None:
        raise Open311Error(404, f"no service request {service_request_id!r}")
    return serialise(session, org, [case])[0]


def token_request(session: Session, org: Organisation, token: str) -> dict[str, Any]:
    """GET /tokens/{token}: the request a POST's token became (ours become cases at once)."""
    row = session.execute(
        select(Message.case_id, Case.number)
        .join(Case, Case.id == Message.case_id)
        .where(Message.org_id == org.id, Message.channel == Channel.open311, Message.external_id == token_key(token))
    ).first()
    if row is None:
        raise NotFound(f"no token {token!r}")
    return {"service_request_id": row.number, "token": token}


def token_key(token: str) -> str:
    """The external id under which a POSTed request's message is stored (unique per account, so idempotent)."""
    return f"open311:{token}"


def _requested_codes(session: Session, case_ids: list[int]) -> dict[int, str]:
    """The service_code each POSTed request asked for, by case."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Message.case_id, Message.raw)
        .where(Message.case_id.in_(case_ids), Message.channel == Channel.open311)
        .order_by(Message.id)
    )
    codes: dict[int, str] = {}
    for case_id, raw in rows:
        if case_id is not None and case_id not in codes and isinstance(raw, dict) and raw.get("service_code"):
            codes[case_id] = str(raw["service_code"])
    return codes


def coarse(value: float | None) -> float | None:
    """A coordinate snapped to the public grid."""
    if value is None:
        return None
    return round(round(value / LOCATION_GRID_DEGREES) * LOCATION_GRID_DEGREES, 6)


def w3c(value: dt.datetime | None, zone: ZoneInfo) -> str | None:
    """ISO 8601 with the organisation's offset, e.g. 2026-11-22T10:15:00+09:00."""
    if value is None:
        return None
    return value.astimezone(zone).isoformat(timespec="seconds")


def open311_status(status: CaseStatus) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"


def serialise(session: Session, org: Organisation, rows: Sequence[Case]) -> list[dict[str, Any]]:
    """Cases as GeoReport v2 requests (masked and coarsened; see the module docstring)."""
    zone = ZoneInfo(org.timezone)
    categories = {
        c.id: c for c in session.scalars(select(Category).where(Category.id.in_({r.category_id for r in rows})))
    }
    departments = cases.department_names(session, [r.department_id for r in rows])
    requested = _requested_codes(
        session, [r.id for r in rows if r.category_id is None and r.channel is Channel.open311]
    )
    base = get_settings().base_url
    out: list[dict[str, Any]] = []
    for case in rows:
        category = categories.get(case.category_id) if case.category_id else None
        answer = case.answers[-1] if case.answers else None
        notes = answer.public_body if answer is not None and answer.public_body else None
        if notes is None and case.status is CaseStatus.transferred_out:
            notes = "다른 기관으로 이송되었습니다."
        description = case.public_text if case.public_text is not None else pii.mask(case.body)
        updated = case.closed_at or case.answered_at or case.updated_at
        out.append(
            {
                "service_request_id": case.number,
                "status": open311_status(case.status),
                "status_notes": notes,
                "service_name": category.name if category else None,
                # Until triage files it, a request keeps the service the client asked for.
                "service_code": category.code if category else requested.get(case.id, ""),
                "description": description[:4000],
                "agency_responsible": departments.get(case.department_id) if case.department_id else org.name,
                "service_notice": None,
                "requested_datetime": w3c(case.received_at, zone),
                "updated_datetime": w3c(updated, zone),
                "expected_datetime": w3c(case.due_at, zone),
                "address": pii.mask(case.address) if case.address else None,
                "address_id": None,
                "zipcode": None,
                "lat": coarse(case.latitude),
                "long": coarse(case.longitude),
                # The public case page: photos and the answer, masked; never a raw upload URL.
                "media_url": f"{base}/cases/{quote(case.number)}",
            }
        )
    return out
