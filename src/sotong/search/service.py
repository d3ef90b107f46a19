"""Matching search terms against the stored documents, on whichever database runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, column, exists, func, literal_column, select, text
from sqlalchemy.orm import Session

from sotong.cases.models import Case
from sotong.search.analysis import query_terms
from sotong.search.models import CaseSearchDoc
from sotong.search.schema import FTS_TABLE


def _fts5_query(terms: list[str]) -> str:
    # Every term quoted: a morpheme is data, never FTS5 syntax (AND, NEAR, *, column filters).
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _doc_matches(terms: list[str], dialect: str) -> ColumnElement[bool]:
    """A condition on `CaseSearchDoc`: its document holds every term."""
    if dialect == "postgresql":
        # The same expression as the GIN index, or the planner cannot use it.
        tsv = func.to_tsvector(literal_column("'simple'::regconfig"), CaseSearchDoc.terms)
        tsq = func.plainto_tsquery(literal_column("'simple'::regconfig"), " ".join(terms))
        return tsv.op("@@")(tsq)
    fts = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_query").bindparams(
        fts_query=_fts5_query(terms)
    )
    return CaseSearchDoc.case_id.in_(fts.columns(column("rowid", Integer)))


def doc_condition(query: str, dialect: str) -> ColumnElement[bool] | None:
    """A condition on `CaseSearchDoc` (join it to `Case`) for "holds every term of `query`"; None when the query
    has no searchable term.
    """
    terms = query_terms(query)
    return _doc_matches(terms, dialect) if terms else None


def matches(query: str, dialect: str) -> ColumnElement[bool] | None:
    """A condition on `Case` for "the case's search document holds every term of `query`"; None when the
    query has no searchable term (only particles or punctuation), so the caller can say so.
    """
    terms = query_terms(query)
    if not terms:
        return None
    return exists(select(1).where(CaseSearchDoc.case_id == Case.id, _doc_matches(terms, dialect)))


def count_matches(session: Session, query: str, *, cap: int, estimate_above: int | None = None) -> int:
    """How many publicly listed cases match `query`, counting at most `cap`.

    Only publicly listed cases have a document, so the index alone answers; joining the cases table to count a
    common word costs a pass over it. Even capped, PostgreSQL reads a word's whole GIN posting list (70-180 ms for
    a word in half of 1,000,000 cases), so with `estimate_above` a query the planner expects to match at least that
    many documents is not counted: `cap` is returned ("more than ...") on the planner's word.
    """
    terms = query_terms(query)
    if not terms:
        return 0
    dialect = session.get_bind().dialect.name
    matching = select(CaseSearchDoc.case_id).where(_doc_matches(terms, dialect))
    if estimate_above is not None and dialect == "postgresql" and _estimated_rows(session, matching) >= estimate_above:
        return cap
    matched = matching.limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(matched)) or 0


def _estimated_rows(session: Session, query: Select[Any]) -> float:
    """The PostgreSQL planner's row estimate for `query` (from the GIN index's element statistics), not run."""
    compiled = query.compile(dialect=session.get_bind().dialect)
    plan: Any = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
    return float(plan[0]["Plan"]["Plan Rows"])
