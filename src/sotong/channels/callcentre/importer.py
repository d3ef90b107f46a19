"""Importing complaints taken by telephone (120 다산콜센터) or at the counter from a CSV or Excel export.

Columns (the header row names them; Korean or English, any order, unknown columns ignored):

| column | also accepted | required | becomes |
|---|---|---|---|
| received_at | 접수일시, 접수일, 일시 | yes | receipt time (without a zone: the organisation's, Asia/Seoul) |
| text | 민원내용, 내용 | yes | the complaint (public text is masked as for every channel) |
| name | 민원인, 성명, 이름 | no | the author's name, staff only (never public, never in the case text) |
| phone | 연락처, 전화번호, 휴대전화 | no | the reply route (SMS), staff only; shown to staff masked as 010-****-5678 |
| category | 분야, 유형 | no | category code or name: the case is triaged into it |
| department | 부서, 담당부서 | no | department name: the case is triaged to it |
| reference | 접수번호, 관리번호, external_id | no | the call centre's own number: how a re-import knows the row |

Each row is one transaction: a bad row is reported with its row number and skipped, the others go in.
Nothing is imported twice: the external id is ``<source>:<reference>`` or, without a reference, a hash of
(received at, phone, text); re-running the same file imports 0 rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases import actions
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import ComplaintType
from sotong.channels import accounts as channel_accounts
from sotong.db import atomic
from sotong.errors import InvalidInput, SotongError
from sotong.orgs.models import Category, Channel, ChannelAccount, Department, Organisation
from sotong.settings import get_settings

SOURCES: dict[str, tuple[Channel, str, str]] = {
    # source: (channel, handle of the account, its display name)
    "120": (Channel.phone, "120", "120 다산콜센터"),
    "counter": (Channel.visit, "counter", "민원 창구"),
}

COLUMNS: dict[str, tuple[str, ...]] = {
    "received_at": ("received_at", "접수일시", "접수일", "일시", "received"),
    "text": ("text", "민원내용", "내용", "complaint"),
    "name": ("name", "민원인", "성명", "이름", "citizen_name"),
    "phone": ("phone", "연락처", "전화번호", "휴대전화", "citizen_phone"),
    "category": ("category", "분야", "유형"),
    "department": ("department", "부서", "담당부서"),
    "reference": ("reference", "접수번호", "관리번호", "external_id", "external_reference"),
}
REQUIRED = ("received_at", "text")

_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y/%m/%d %H:%M")
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{6,18}[0-9]$")


@dataclass
class RowError:
    row: int  # as a spreadsheet shows it: the header is row 1
    message: str


@dataclass
class ImportReport:
    """What an import did: new cases, rows seen before, rows refused (with their row numbers)."""

    imported: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    case_numbers: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.imported + self.duplicates + len(self.errors)


def _header_map(header: list[Any]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = str(raw or "").strip().lower().replace(" ", "_")
        for key, aliases in COLUMNS.items():
            if name in aliases and key not in positions:
                positions[key] = index
    missing = [key for key in REQUIRED if key not in positions]
    if missing:
        raise InvalidInput(f"the header row lacks the column(s) {', '.join(missing)} (see docs/channels.md)")
    return positions


def read_rows(path: Path) -> tuple[dict[str, int], Iterator[tuple[int, list[Any]]], int]:
    """The header positions, the data rows (with their row numbers) and their count, from CSV or Excel."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        workbook.close()
    elif suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        # Excel on Korean Windows saves CSV in CP949; everything else sends UTF-8 (often with a BOM).
        for encoding in ("utf-8-sig", "cp949"):
            try:
                content = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InvalidInput(f"{path.name} is neither UTF-8 nor CP949 text")
        rows = [list(r) for r in csv.reader(io.StringIO(content))]
    else:
        raise InvalidInput(f"{path.name}: only .csv and .xlsx files can be imported")
    if not rows:
        raise InvalidInput(f"{path.name} is empty")
    positions = _header_map(rows[0])
    data = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(str(c or "").strip() for c in row)]
    return positions, iter(data), len(data)


def _cell(row: list[Any], positions: dict[str, int], key: str) -> Any:
    index = positions.get(key)
    if index is None or index >= len(row):
        return None
    value = row[index]
    return value.strip() or None if isinstance(value, str) else value


def _received_at(value: Any, tz: ZoneInfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(9, 0))
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            for fmt in _DATE_FORMATS:
                try:
                    moment = dt.datetime.strptime(value, fmt).replace(tzinfo=tz)
                    break
                except ValueError:
                    continue
            else:
                raise InvalidInput(f"received_at {value!r} is not a date and time (e.g. 2026-11-20 14:05)") from None
    else:
        raise InvalidInput("received_at is empty")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def mask_phone(phone: str) -> str:
    """010-1234-5678 → 010-****-5678: enough for staff to recognise a caller, useless to anyone else."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 8:
        return "****"
    return f"{digits[:3]}-****-{digits[-4:]}"


def _lookup(session: Session, org: Organisation, category: Any, department: Any) -> tuple[int | None, int | None]:
    category_id = department_id = None
    if category:
        name = str(category)
        found = session.scalar(
            select(Category).where(Category.org_id == org.id, (Category.code == name) | (Category.name == name))
        )
        if found is None:
            raise InvalidInput(f"unknown category {name!r}")
        category_id, department_id = found.id, found.department_id
    if department:
        name = str(department)
        dept = session.scalar(select(Department).where(Department.org_id == org.id, Department.name == name))
        if dept is None:
            raise InvalidInput(f"unknown department {name!r}")
        department_id = dept.id
    return category_id, department_id


def intake_account(session: Session, org: Organisation, source: str) -> ChannelAccount:
    """The organisation's account for this source (120 or counter), registered on first import."""
    channel, handle, display = SOURCES[source]
    account = session.scalar(
        select(ChannelAccount)
        .where(ChannelAccount.org_id == org.id, ChannelAccount.channel == channel)
        .order_by(ChannelAccount.enabled.desc(), ChannelAccount.id)
        .limit(1)
    )
    if account is not None:
        return account
    return channel_accounts.create_channel_account(
        session, actor=CLI, org_id=org.id, channel=channel, handle=handle, display_name=f"{org.name} {display}"
    )


def _external_id(source: str, reference: Any, received_at: dt.datetime, phone: str | None, text: str) -> str:
    if reference:
        return f"{source}:{str(reference).strip()}"
    # No reference: the row's content is its identity (the same call exported twice is the same call).
    digest = hashlib.sha256(f"{received_at.isoformat()}|{phone or ''}|{text}".encode()).hexdigest()
    return f"{source}:sha256:{digest[:32]}"


def import_file(
    session: Session,
    *,
    path: Path,
    org_slug: str,
    source: str,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import every row of the file as a case of the organisation; row errors are collected, not raised."""
    if source not in SOURCES:
        raise InvalidInput(f"unknown source {source!r} (one of: {', '.join(SOURCES)})")
    org = session.scalar(select(Organisation).where(Organisation.slug == org_slug))
    if org is None:
        raise InvalidInput(f"unknown organisation {org_slug!r}")
    positions, rows, count = read_rows(path)
    if on_start:
        on_start(count)
    account = intake_account(session, org, source)
    account_id, account_enabled = account.id, account.enabled
    if not account_enabled:
        raise InvalidInput(f"the {source} account of {org.name} is disabled")
    tz = ZoneInfo(org.timezone or get_settings().timezone)
    report = ImportReport()
    for number, row in rows:
        try:
            _import_row(session, report, org, account_id, source, positions, row, tz)
        except SotongError as exc:
            session.rollback()
            report.errors.append(RowError(number, exc.message))
        if progress:
            progress(1)
    return report


def _import_row(
    session: Session,
    report: ImportReport,
    org: Organisation,
    account_id: int,
    source: str,
    positions: dict[str, int],
    row: list[Any],
    tz: ZoneInfo,
) -> None:
    text = str(_cell(row, positions, "text") or "").strip()
    if not text:
        raise InvalidInput("text is empty")
    received_at = _received_at(_cell(row, positions, "received_at"), tz)
    phone_cell = _cell(row, positions, "phone")
    phone = str(phone_cell).strip() if phone_cell is not None else None
    if phone and not _PHONE.match(phone):
        raise InvalidInput(f"phone {mask_phone(phone)} is not a telephone number")
    name_cell = _cell(row, positions, "name")
    category_id, department_id = _lookup(
        session, org, _cell(row, positions, "category"), _cell(row, positions, "department")
    )
    inbound = InboundMessage(
        external_id=_external_id(source, _cell(row, positions, "reference"), received_at, phone, text),
        text=text,
        received_at=received_at,
        author_handle=mask_phone(phone) if phone else None,
        author_name=str(name_cell).strip() if name_cell else None,
        raw={"source": source, "reference": str(_cell(row, positions, "reference") or "") or None},
        contact={"phone": phone} if phone else {},
    )
    with atomic(session):  # the case and its triage commit together, or neither
        outcome = actions.receive_message(session, account_id=account_id, inbound=inbound, actor=CLI)
        assert outcome.case is not None  # a call is never a chat bubble
        if not outcome.created:
            report.duplicates += 1
            return
        if outcome.new_case and (category_id is not None or department_id is not None):
            # The call centre already classified it: take its word instead of waiting for triage.
            actions.triage(
                session,
                actor=CLI,
                case_id=outcome.case.id,
                complaint_type=ComplaintType.other,
                category_id=category_id,
                department_id=department_id,
            )
    report.imported += 1
    report.case_numbers.append(outcome.case.number)
