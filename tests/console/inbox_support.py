"""For the inbox tests: cases that wait at the desk with their automatic triage (fixtures in conftest.py)."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from sotong.cases.models import Case
from sotong.triage import actions as triage_actions
from tests.factories import World, new_case

_authors = itertools.count(1)
ROAD_TEXT = "석촌호수 앞 보도블럭이 깨져서 위험합니다 보수 부탁드립니다"


def desk_case(session: Session, world: World, text: str = ROAD_TEXT, **kwargs: object) -> Case:
    """A case received on Songpa's X account and triaged by the model (not routed: it waits at the desk).

    Each comes from another citizen: the same author twice in a row would be merged as a follow-up.
    """
    kwargs.setdefault("author", f"@citizen_{next(_authors)}")
    case = new_case(session, world, text=text, **kwargs)
    triage_actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    return case
