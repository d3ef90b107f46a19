"""Keeping search documents in step with cases, on the write path, in the writer's own transaction.

Every change that can alter what the public may find goes through the session: a case opened, its public
text rewritten, its release, its public/private/공익신고 flags or its hidden status changed, an answer written.
A flush listener notices those and rewrites the case's document before the transaction commits, so no action
has to remember the index and a rolled-back action leaves no document behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, event, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from sotong.cases.models import Answer, Case, CaseStatus
from sotong.cases.service import public_condition
from sotong.db import atomic, utcnow
from sotong.search.analysis import document
from sotong.search.models import CaseSearchDoc

_CASE_FIELDS = ("public_text", "is_public", "is_whistleblower", "released_at", "citizen_private")


def _changed(obj: Any, names: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _status_crossed_hidden(case: Case) -> bool:
    history = inspect(case).attrs["status"].history
    values = [*history.added, *history.deleted]
    return bool(history.has_changes()) and any(v == CaseStatus.rejected for v in values)


def cases_to_reindex(session: Session) -> set[int]:
    """Ids of the cases whose public searchable content changes in the flush under way."""
    ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Case | Answer) and obj.id is not None:
            ids.add(obj.id if isinstance(obj, Case) else obj.case_id)
    for obj in session.dirty:
        if isinstance(obj, Case) and (_changed(obj, _CASE_FIELDS) or _status_crossed_hidden(obj)):
            ids.add(obj.id)
        elif isinstance(obj, Answer) and _changed(obj, ("public_body",)):
            ids.add(obj.case_id)
    return {i for i in ids if i is not None}


def reindex(connection: Connection, case_ids: Iterable[int]) -> int:
    """Rewrite the search documents of these cases from the database; returns how many are now searchable."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return 0
    rows = connection.execute(
        select(Case.id, Case.public_text, Case.received_at).where(Case.id.in_(wanted), public_condition())
    ).all()
    listed = {row.id: row.public_text for row in rows}
    received = {row.id: row.received_at for row in rows}
    answers: dict[int, list[str | None]] = {}
    if listed:
        for case_id, body in connection.execute(
            select(Answer.case_id, Answer.public_body).where(Answer.case_id.in_(listed)).order_by(Answer.id)
        ):
            answers.setdefault(case_id, []).append(body)
    # Delete then insert: one statement shape on both databases (the SQLite triggers see a delete and an insert).
    connection.execute(delete(CaseSearchDoc).where(CaseSearchDoc.case_id.in_(wanted)))
    docs = [
        {
            "case_id": case_id,
            "terms": document([text, *answers.get(case_id, [])]),
            "received_at": received[case_id],
            "updated_at": utcnow(),
        }
        for case_id, text in listed.items()
    ]
    if docs:
        connection.execute(insert(CaseSearchDoc), docs)
    return len(docs)


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    ids = cases_to_reindex(session)
    if ids:
        reindex(session.connection(), ids)


def install() -> None:
    """Keep search documents in step with every flush of every session from now on (sotong/wiring.py; idempotent).

    Registered at start-up rather than on import: cases write the rows, search follows them, and cases import
    nothing of search.
    """
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def reindex_all(session: Session, *, batch_size: int = 1000) -> int:
    """Rebuild every search document (the backfill behind `sotong search reindex`); commits per batch."""
    total = 0
    last_id = 0
    while True:
        ids = list(session.scalars(select(Case.id).where(Case.id > last_id).order_by(Case.id).limit(batch_size)))
        if not ids:
            return total
        with atomic(session):
            total += reindex(session.connection(), ids)
        last_id = ids[-1]
