from sqlalchemy.orm import Session

from sotong.cases.models import CaseStatus
from tests.factories import World, case_in_status


def test_every_status_reachable(session: Session, world: World) -> None:
    for status in CaseStatus:
        case = case_in_status(session, world, status)
        assert case.status is status, status
