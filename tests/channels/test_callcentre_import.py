"""Call-centre and counter import: CSV and Excel, row errors by number, privacy, nothing imported twice."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sotong.cases.models import Case, CaseStatus, Message
from sotong.channels.callcentre.importer import import_file
from sotong.cli import app
from sotong.orgs.models import Channel, ChannelAccount
from sotong.settings import Settings
from tests.factories import World

HEADER = ["접수일시", "민원인", "연락처", "민원내용", "분야", "담당부서", "접수번호"]
ROWS = [
    [
        "2026-11-20 09:15",
        "김철수",
        "010-1234-5678",
        "잠실역 4번 출구 앞 보도블럭이 깨졌습니다",
        "road-damage",
        "",
        "120-0001",
    ],
    ["2026-11-20 10:40", "", "", "석촌호수 산책로 가로등이 꺼져 있어요", "", "청소행정과", ""],
    ["어제쯤", "이영희", "010-9876-5432", "날짜가 잘못된 행", "", "", "120-0003"],
    ["2026-11-20 11:00", "박민수", "010-5555-6666", "", "", "", "120-0004"],
    ["2026-11-20 11:30", "", "", "없는 부서로 보낸 민원", "", "우주항공과", "120-0005"],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_csv_rows_become_cases_bad_rows_are_reported_and_a_rerun_imports_nothing(
    session: Session, world: World, settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "120.csv", ROWS)
    report = import_file(session, path=path, org_slug="songpa", source="120")
    assert report.imported == 2
    assert [(e.row, e.message) for e in report.errors] == [
        (4, "received_at '어제쯤' is not a date and time (e.g. 2026-11-20 14:05)"),
        (5, "text is empty"),
        (6, "unknown department '우주항공과'"),
    ]
    cases = list(session.scalars(select(Case).order_by(Case.id)))
    assert len(cases) == 2
    first, second = cases
    assert first.channel is Channel.phone
    assert first.received_at == dt.datetime(2026, 11, 20, 0, 15, tzinfo=dt.UTC)  # 09:15 in Seoul
    assert first.contact == {"phone": "010-1234-5678"}  # the reply route, staff only
    assert first.author_handle == "010-****-5678"
    assert first.category_id == world.pothole.id and first.department_id == world.roads.id
    assert first.status is CaseStatus.triaged
    assert second.department_id == world.cleaning.id
    message = session.scalar(select(Message).where(Message.case_id == first.id))
    assert message is not None and message.author_name == "김철수" and message.external_id == "120:120-0001"
    assert "김철수" not in (first.public_text or "") and "010-1234-5678" not in (first.public_text or "")
    account = session.get(ChannelAccount, first.channel_account_id)
    assert account is not None and account.handle == "120"

    again = import_file(session, path=path, org_slug="songpa", source="120")
    assert (again.imported, again.duplicates, len(again.errors)) == (0, 2, 3)
    assert _count(session, Case) == 2


def test_xlsx_with_real_dates_and_counter_source(
    session: Session, world: World, settings: Settings, tmp_path: Path
) -> None:
    rows: list[list[object]] = [
        [
            dt.datetime(2026, 11, 21, 14, 0),
            "최지우",
            "01011112222",
            "금요 민원실: 놀이터 그네가 부서졌어요",
            "",
            "",
            None,
        ],
        [dt.datetime(2026, 11, 21, 14, 30), None, None, "금요 민원실: 버스정류장 의자 교체 요청", None, None, None],
    ]
    path = write_xlsx(tmp_path / "counter.xlsx", rows)
    report = import_file(session, path=path, org_slug="songpa", source="counter")
    assert (report.imported, report.errors) == (2, [])
    channels = set(session.scalars(select(Case.channel)))
    assert channels == {Channel.visit}
    # No reference column: the content identifies the row, so the same export again imports nothing.
    again = import_file(session, path=path, org_slug="songpa", source="counter")
    assert (again.imported, again.duplicates) == (0, 2)
    assert _count(session, Case) == 2


def test_cli_import_shows_progress_counts_and_row_numbers(
    session: Session, world: World, settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "cp949.csv", ROWS[:3], encoding="cp949")  # Excel on Korean Windows
    runner = CliRunner()
    result = runner.invoke(app, ["channels", "import", str(path), "--org", "songpa", "--source", "120"])
    assert result.exit_code == 1, result.output  # a row was refused
    assert "2 imported, 0 already imported before, 1 refused (of 3 rows)" in result.output
    assert "row 4:" in result.output
    assert "010-9876-5432" not in result.output  # nothing personal printed
    again = runner.invoke(app, ["channels", "import", str(path), "--org", "songpa", "--source", "120"])
    assert "0 imported, 2 already imported before" in again.output
    bad = runner.invoke(app, ["channels", "import", str(path), "--org", "songpa", "--source", "fax"])
    assert bad.exit_code != 0 and "unknown source" in bad.output


def test_a_file_without_the_required_columns_is_refused(
    session: Session, world: World, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("date,who\n2026-11-20,kim\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["channels", "import", str(path), "--org", "songpa", "--source", "120"])
    assert result.exit_code != 0
    assert "received_at, text" in result.output
    assert _count(session, Case) == 0
