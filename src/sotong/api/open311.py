"""The Open311 GeoReport v2 endpoints: /open311/discovery.{fmt} and /open311/v2/....

Every handler answers in the format of its path suffix, including errors, so a client parsing XML never gets
an HTML or JSON error page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from sotong.api.open311_formats import FORMATS, error, render
from sotong.channels.open311 import actions, service
from sotong.channels.open311.models import Open311ApiKey
from sotong.channels.open311.service import Open311Error
from sotong.errors import AttachmentRejected, InvalidInput, NotFound, SotongError
from sotong.orgs.models import Organisation
from sotong.web.deps import AppSettings, DbSession

log = logging.getLogger(__name__)

router = APIRouter(prefix="/open311", tags=["Open311 GeoReport v2"])

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22T00:00:00+09:00"


def _answer(fmt: str, produce: Callable[[], Response]) -> Response:
    """Run a handler, turning every failure into the standard's error body in the requested format."""
    if fmt not in FORMATS:
        return error("json", 400, f"unsupported format {fmt!r}: use json or xml")
    try:
        return produce()
    except Open311Error as exc:
        return error(fmt, exc.http_status, exc.description)
    except NotFound as exc:
        return error(fmt, 404, exc.message)
    except (InvalidInput, AttachmentRejected) as exc:
        return error(fmt, 400, exc.message)
    except SotongError as exc:
        log.info("open311 request refused: %s", exc)
        return error(fmt, 400, exc.message)


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params.items())


@router.get("/discovery.{fmt}", summary="Discovery: where the GeoReport v2 endpoint is")
def discovery(fmt: str, settings: AppSettings) -> Response:
    def produce() -> Response:
        doc = {
            "changeset": CHANGESET,
            "contact": "소통 Sotong",
            "key_service": "API keys are issued by the organisation's administrator (sotong open311 key create).",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": f"{settings.base_url}/open311/v2",
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        }
        return render(fmt, "discovery", doc)

    return _answer(fmt, produce)


@router.get("/v2/services.{fmt}", summary="Service list (the organisation's categories)")
def services(fmt: str, request: Request, db: DbSession) -> Response:
    def produce() -> Response:
        org = service.jurisdiction(db, request.query_params.get("jurisdiction_id"))
        return render(fmt, "services", service.service_list(db, org))

    return _answer(fmt, produce)


@router.get("/v2/services/{service_code}.{fmt}", summary="Service definition")
def service_definition(service_code: str, fmt: str, request: Request, db: DbSession) -> Response:
    def produce() -> Response:
        org = service.jurisdiction(db, request.query_params.get("jurisdiction_id"))
        return render(fmt, "service_definition", service.service_definition(db, org, service_code))

    return _answer(fmt, produce)


@router.get("/v2/requests.{fmt}", summary="Service requests (public, masked)")
def requests(fmt: str, request: Request, db: DbSession) -> Response:
    def produce() -> Response:
        params = _params(request)
        org = service.jurisdiction(db, params.get("jurisdiction_id"))
        found = service.find_requests(db, org, service.parse_query(params))
        return render(fmt, "service_requests", found)

    return _answer(fmt, produce)


@router.get("/v2/requests/{service_request_id}.{fmt}", summary="One service request")
def request_by_id(service_request_id: str, fmt: str, request: Request, db: DbSession) -> Response:
    def produce() -> Response:
        org = service.jurisdiction(db, request.query_params.get("jurisdiction_id"))
        return render(fmt, "service_requests", [service.get_request(db, org, service_request_id)])

    return _answer(fmt, produce)


@router.get("/v2/tokens/{token}.{fmt}", summary="The service request a token became")
def token(token: str, fmt: str, request: Request, db: DbSession) -> Response:
    def produce() -> Response:
        org = service.jurisdiction(db, request.query_params.get("jurisdiction_id"))
        return render(fmt, "service_requests", [service.token_request(db, org, token)])

    return _answer(fmt, produce)


@router.post("/v2/requests.{fmt}", summary="Create a service request (form-encoded, api_key required)")
async def create_request(fmt: str, request: Request, db: DbSession) -> Response:
    # The standard posts application/x-www-form-urlencoded; multipart (with a `media` file) is accepted too.
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}

    def produce() -> Response:
        key = actions.authenticate(db, fields.get("api_key"))
        org = _post_jurisdiction(db, key, fields.get("jurisdiction_id"))
        submitted = actions.submit_request(
            db, key=key, org=org, form=fields, idempotency_key=request.headers.get("idempotency-key")
        )
        due = service.w3c(submitted.case.due_at, ZoneInfo(org.timezone)) or ""
        body = [
            {
                "service_request_id": submitted.case.number,
                "token": submitted.token,
                "service_notice": f"접수되었습니다. 처리 기한: {due[:16].replace('T', ' ')}",
                "account_id": None,
            }
        ]
        return render(fmt, "service_requests", body, status=201)

    # Database work runs in the thread pool, as FastAPI does for sync handlers.
    return await run_in_threadpool(_answer, fmt, produce)


def _post_jurisdiction(db: Session, key: Open311ApiKey, jurisdiction_id: str | None) -> Organisation:
    """A key works for its own organisation; naming another jurisdiction is refused like a bad key."""
    if not jurisdiction_id:
        org = db.get(Organisation, key.org_id)
        if org is None:
            raise Open311Error(403, "api_key is not valid")
        return org
    return service.jurisdiction(db, jurisdiction_id)
