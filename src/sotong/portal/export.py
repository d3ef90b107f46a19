"""Open data: every public case as CSV or JSON, streamed in batches so a million rows never sit in memory.

The rows are read by keyset pagination on the primary key (`id > last ORDER BY id LIMIT n`), one short query
per batch, so the export holds no long transaction or server-side cursor and costs the same on page 1 and on
page 1,000. The schema (`FIELDS`) is the one documented on `/data`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from sotong.cases.models import Answer, Case
from sotong.orgs.models import Category, Department, Organisation
from sotong.portal.stats import coarsen, public_filter

BATCH = 1000
# Excel on Korean Windows reads a CSV without a byte-order mark as CP949 and shows UTF-8 Hangul as mojibake;
# the BOM makes it read UTF-8. Other tools (Python's csv with utf-8-sig, R, LibreOffice) skip it.
BOM = "\ufeff"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    meaning_key: str  # i18n key of the description on /data


FIELDS: list[Field] = [
    Field("number", "string", "stats.field.number"),
    Field("url", "string (URL)", "stats.field.url"),
    Field("organisation", "string", "stats.field.organisation"),
    Field("organisation_name", "string", "stats.field.organisation_name"),
    Field("department", "string | null", "stats.field.department"),
    Field("category", "string | null", "stats.field.category"),
    Field("category_name", "string | null", "stats.field.category_name"),
    Field("complaint_type", "string", "stats.field.complaint_type"),
    Field("channel", "string", "stats.field.channel"),
    Field("status", "string", "stats.field.status"),
    Field("received_at", "datetime (ISO 8601, UTC)", "stats.field.received_at"),
    Field("first_responded_at", "datetime | null", "stats.field.first_responded_at"),
    Field("answered_at", "datetime | null", "stats.field.answered_at"),
    Field("closed_at", "datetime | null", "stats.field.closed_at"),
    Field("due_at", "datetime", "stats.field.due_at"),
    Field("answered_on_time", "boolean | null", "stats.field.answered_on_time"),
    Field("latitude", "number | null", "stats.field.latitude"),
    Field("longitude", "number | null", "stats.field.longitude"),
    Field("title", "string", "stats.field.title"),
    Field("text", "string", "stats.field.text"),
    Field("answer", "string | null", "stats.field.answer"),
]
FIELD_NAMES = [f.name for f in FIELDS]
_TEXT_FIELDS = ("title", "text", "answer", "department", "category_name", "organisation_name")


@dataclass(frozen=True)
class ExportFilter:
    """Which public cases an export carries: an organisation, a received-at window (UTC bounds)."""

    org_id: int | None = None
    received_from: dt.datetime | None = None
    received_to: dt.datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [public_filter()]
        if self.org_id is not None:
            where.append(Case.org_id == self.org_id)
        if self.received_from is not None:
            where.append(Case.received_at >= self.received_from)
        if self.received_to is not None:
            where.append(Case.received_at < self.received_to)
        return where


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def _lookups(session: Session) -> tuple[dict[int, tuple[str, str]], dict[int, str], dict[int, tuple[str, str]]]:
    orgs = {
        i: (slug, name)
        for i, slug, name in session.execute(select(Organisation.id, Organisation.slug, Organisation.name))
    }
    depts = {i: name for i, name in session.execute(select(Department.id, Department.name))}
    cats = {i: (code, name) for i, code, name in session.execute(select(Category.id, Category.code, Category.name))}
    return orgs, depts, cats


def records(
    sessions: sessionmaker[Session], export: ExportFilter, *, base_url: str, batch: int = BATCH
) -> Iterator[dict[str, Any]]:
    """Every public case of the export as a dict of `FIELDS`, oldest id first, read `batch` rows at a time.

    Each batch uses its own short session, so a slow download never keeps a transaction open on the database.
    """
    with sessions() as session:
        orgs, depts, cats = _lookups(session)
    last_id = 0
    where = export.conditions()
    while True:
        with sessions() as session:
            cases = list(
                session.execute(select(*_COLUMNS).where(*where, Case.id > last_id).order_by(Case.id).limit(batch))
            )
            if not cases:
                return
            answers: dict[int, str] = {}
            for case_id, body in session.execute(
                select(Answer.case_id, Answer.public_body)
                .where(Answer.case_id.in_([c.id for c in cases]))
                .order_by(Answer.created_at, Answer.id)
            ):
                if body:
                    answers[case_id] = body  # the latest public answer wins
            rows = [_record(c, answers.get(c.id), orgs, depts, cats, base_url) for c in cases]
        last_id = cases[-1].id
        yield from rows
        if len(cases) < batch:
            return


# Only the columns the export needs, as plain rows: loading whole ORM objects made the export five times slower.
_COLUMNS = (
    Case.id,
    Case.org_id,
    Case.number,
    Case.department_id,
    Case.category_id,
    Case.complaint_type,
    Case.channel,
    Case.status,
    Case.received_at,
    Case.first_responded_at,
    Case.answered_at,
    Case.closed_at,
    Case.due_at,
    Case.latitude,
    Case.longitude,
    Case.public_text,
    Case.public_title,
)


def _value(enum_or_text: Any) -> str:
    return str(getattr(enum_or_text, "value", enum_or_text))


def _record(
    c: Any,
    answer: str | None,
    orgs: dict[int, tuple[str, str]],
    depts: dict[int, str],
    cats: dict[int, tuple[str, str]],
    base_url: str,
) -> dict[str, Any]:
    lat = lon = None
    if c.latitude is not None and c.longitude is not None:
        lat, lon = coarsen(c.latitude, c.longitude)
    text = c.public_text or ""
    first_line = c.public_title or (text.strip().splitlines()[0] if text.strip() else "")
    org_slug, org_name = orgs.get(c.org_id, ("", ""))
    cat_code, cat_name = cats.get(c.category_id, (None, None)) if c.category_id else (None, None)
    on_time = None if c.answered_at is None else c.answered_at <= c.due_at
    return {
        "number": c.number,
        "url": f"{base_url}/cases/{c.number}",
        "organisation": org_slug,
        "organisation_name": org_name,
        "department": depts.get(c.department_id) if c.department_id else None,
        "category": cat_code,
        "category_name": cat_name,
        "complaint_type": _value(c.complaint_type),
        "channel": _value(c.channel),
        "status": _value(c.status),
        "received_at": _iso(c.received_at),
        "first_responded_at": _iso(c.first_responded_at),
        "answered_at": _iso(c.answered_at),
        "closed_at": _iso(c.closed_at),
        "due_at": _iso(c.due_at),
        "answered_on_time": on_time,
        "latitude": lat,
        "longitude": lon,
        # Never Case.title or Case.body: only what was written through the mask (public_title is masked too).
        "title": first_line[:100],
        "text": text,
        "answer": answer,
    }


def _csv_cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # A citizen's text starting with = + - @ would run as a formula when the file is opened in a spreadsheet.
    if name in _TEXT_FIELDS and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_chunks(rows: Iterator[dict[str, Any]], *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The rows as CSV (UTF-8 with BOM, header first, RFC 4180 quoting and CRLF line ends), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(FIELD_NAMES)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(name, row[name]) for name in FIELD_NAMES])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def json_chunks(rows: Iterator[dict[str, Any]], *, meta: dict[str, Any], rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The rows as one JSON document `{"meta": {...}, "cases": [...]}`, written piece by piece."""
    head = json.dumps(meta, ensure_ascii=False)
    parts: list[str] = ['{"meta": ' + head + ', "cases": [\n']
    first = True
    for row in rows:
        parts.append(("" if first else ",\n") + json.dumps(row, ensure_ascii=False))
        first = False
        if len(parts) >= rows_per_chunk:
            yield "".join(parts).encode("utf-8")
            parts = []
    parts.append("\n]}\n")
    yield "".join(parts).encode("utf-8")
