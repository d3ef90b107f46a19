"""What a category mapping would do: the model's first choice on an organisation's recent cases, counted per
label, so the routing page can say "이 매핑이면 최근 50건 중 n건이 …로 갑니다" before anything is saved."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.triage.models import TriageResult

RECENT = 50


def recent_first_choices(session: Session, org_id: int, limit: int = RECENT) -> Counter[str]:
    """How often each label was the model's first choice among the organisation's `limit` newest decisions."""
    rows = session.scalars(
        select(TriageResult.candidates)
        .where(TriageResult.org_id == org_id, TriageResult.relevant.is_(True))
        .order_by(TriageResult.id.desc())
        .limit(limit)
    )
    return Counter(str(c[0].get("code")) for c in rows if c)
