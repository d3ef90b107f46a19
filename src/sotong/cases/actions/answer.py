"""Answering the citizen: the one action every caller uses (the answer form, the API, the CLI, the desk's
thank-you for a simple opinion, the demo).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_department_or_org_wide, require_role
from sotong.audit.service import record
from sotong.cases.actions.effects import add_attachment, audit, load_case, queue_to_citizen, snapshot, stop_clock
from sotong.cases.answers import render
from sotong.cases.answers.models import AnswerTemplate
from sotong.cases.attachments import validate_image
from sotong.cases.models import Answer, Case, CaseStatus
from sotong.cases.status import check_transition
from sotong.db import atomic, utcnow
from sotong.errors import InvalidInput, NotFound
from sotong.orgs.models import Department, User
from sotong.orgs.service import organisation
from sotong.settings import get_settings
from sotong.text.pii import mask


class RequiredElementsMissing(InvalidInput):
    """An answer with required elements (slots) left unfilled; `missing` names them for the form."""

    code = "required_elements_missing"

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(f"fill in the required elements first: {', '.join(missing)}", missing=list(missing))
        self.missing = list(missing)


@dataclass(frozen=True)
class Photo:
    """An image the officer attached to the answer (the result of the work)."""

    data: bytes
    filename: str | None = None


def missing_elements(template: AnswerTemplate | None, rendered_template: str | None, body: str) -> list[str]:
    """The required elements an answer leaves unfilled: slots still standing, or labelled lines left blank."""
    missing = render.unfilled_slots(body)
    if template is not None and rendered_template is not None:
        missing += [
            e for e in render.emptied_slots(rendered_template, body, template.required_elements) if e not in missing
        ]
    return missing


def answer(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    body: str,
    public_body: str | None = None,
    template: AnswerTemplate | None = None,
    rendered_template: str | None = None,
    photos: Sequence[Photo] = (),
) -> Answer:
    """Answer the citizen: checked, stored, masked for the portal, queued on the citizen's channel.

    Refused (nothing written) when a required element is left unfilled: a ``[[…]]`` slot still standing in the
    answer or its public version, or, given `template` and `rendered_template` (the template filled for this
    case, as the form received it), a labelled required line left blank. Photos of the result become the
    answer's own; the public version starts from `public_body` (or the answer), the citizen's handle replaced
    and personal data masked.
    """
    body = body.strip()
    if not body:
        raise InvalidInput("the answer is empty")
    missing = missing_elements(template, rendered_template, body)
    if missing:
        raise RequiredElementsMissing(missing)
    missing_in_public = render.unfilled_slots(public_body) if public_body else []
    if missing_in_public:
        raise RequiredElementsMissing(missing_in_public)
    settings = get_settings()
    if len(photos) > settings.max_attachments:
        raise InvalidInput(f"at most {settings.max_attachments} photos per answer")
    types = [validate_image(p.data, p.filename) for p in photos]  # refuse before anything is written
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("answer", case.status)
        require_role(actor, Role.admin, Role.operator, Role.dept_manager, Role.officer, what="answer cases")
        require_department_or_org_wide(actor, case.department_id, what="answer this case")
        if template is not None and template.org_id != case.org_id:
            raise NotFound("no such template in this organisation")
        before = snapshot(case)
        reply = Answer(
            org_id=case.org_id,
            case_id=case.id,
            author_id=actor.user_id,
            body=body,
            # Departments have leaked names inside published answers: the answer is masked too.
            public_body=mask(render.public_source(case, public_body or body)),
            signature=signature_for(session, actor=actor, case=case),
        )
        session.add(reply)
        session.flush()
        now = utcnow()
        case.status = CaseStatus.answered
        case.answered_at = now
        case.first_responded_at = case.first_responded_at or now
        stop_clock(case)
        audit(session, actor, case, "answered", before, details={"answer_id": reply.id}, is_public=True)
        queue_to_citizen(
            session,
            case,
            kind="answer",
            key=str(reply.id),
            payload={"answer_id": reply.id, "body": body, "signature": reply.signature},
        )
        stored = [
            add_attachment(
                session,
                org_id=reply.org_id,
                data=photo.data,
                content_type=content_type,
                filename=photo.filename,
                answer_id=reply.id,
            ).sha256
            for photo, content_type in zip(photos, types, strict=True)
        ]
        if template is not None or stored:
            record(
                session,
                actor=actor,
                action="answers.sent_with",
                org_id=reply.org_id,
                case_id=reply.case_id,
                details={
                    "answer_id": reply.id,
                    "template_id": template.id if template is not None else None,
                    "template": template.title if template is not None else None,
                    "photos": stored,
                },
            )
        session.flush()
    session.expire(reply, ["attachments"])
    return reply


def signature_for(session: Session, *, actor: Actor, case: Case) -> str | None:
    """공무원 실명제: "name · department · department phone" of the officer answering, when the case's organisation
    signs its public answers; None otherwise. Only staff facts: the citizen's name or number never enter it."""
    if not organisation(session, case.org_id).sign_answers or actor.user_id is None:
        return None
    user = session.get(User, actor.user_id)
    department_id = actor.department_id or case.department_id
    department = session.get(Department, department_id) if department_id is not None else None
    # A user made without a real name carries the login ID as display name: that is never published (it is half
    # of what an attacker needs), so such an answer is signed by the department alone.
    name = user.display_name if user and user.display_name != user.username else None
    parts = [name, department.name if department else None]
    parts.append(department.phone if department else None)
    return " · ".join(p.strip() for p in parts if p and p.strip())[:300] or None
