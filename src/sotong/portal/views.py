"""Public portal: the list of public cases and a case's tracking page (the complaint form is channels/webform).

Only masked text (`Case.public_text`, `Answer.public_body`) and public timeline events ever reach these pages.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sotong.audit.service import case_timeline
from sotong.cases import service
from sotong.orgs.models import Organisation
from sotong.web.deps import DbSession
from sotong.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20


def _org_names(orgs: list[Organisation]) -> dict[int, str]:
    return {o.id: o.name for o in orgs}


@router.get("/")
def index(request: Request, db: DbSession, page: int = 1, org: str | None = None) -> Response:
    """Public cases, newest first: masked text, masked answer, status and dates."""
    orgs = service.organisations(db)
    chosen = next((o for o in orgs if o.slug == org), None)
    page = max(1, page)
    items, total = service.list_public_cases(db, org_id=chosen.id if chosen else None, page=page, page_size=PAGE_SIZE)
    return render(
        request,
        "portal/index.html",
        {
            "items": items,
            "total": total,
            "page": page,
            "pages": max(1, math.ceil(total / PAGE_SIZE)),
            "orgs": orgs,
            "org_names": _org_names(orgs),
            "chosen": chosen,
        },
    )


@router.get("/cases/{number}")
def track(number: str, request: Request, db: DbSession) -> Response:
    """The public tracking page of one case, with its public timeline."""
    case = service.get_public_case(db, number=number)
    orgs = service.organisations(db)
    return render(
        request,
        "portal/case.html",
        {
            "case": case,
            "org_names": _org_names(orgs),
            "timeline": case_timeline(db, case_id=case.id, public_only=True),
        },
    )
