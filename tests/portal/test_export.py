"""Open-data exports: every public case in CSV (UTF-8 with BOM) and JSON, the documented schema, filters by
organisation and received dates, and rows read batch by batch (never the whole table at once)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from sotong.db import session_factory
from sotong.portal import export
from sotong.portal.stats import coarsen
from tests.factories import World
from tests.portal.stats_data import NOW, build_known_set, case_at


def read_csv(client: TestClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    assert "\r\n" in text
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == export.FIELD_NAMES
    return list(reader)


def read_json(client: TestClient, url: str) -> dict[str, object]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    doc: dict[str, object] = json.loads(response.content)
    return doc


def test_csv_and_json_hold_every_public_case_and_nothing_else(
    client: TestClient, session: Session, world: World
) -> None:
    known = build_known_set(session, world)
    public = {c.number for c in (known.a, known.b, known.c, known.d, known.e, known.f, known.old)}
    rows = read_csv(client, "/data/cases.csv")
    assert {r["number"] for r in rows} == public and len(rows) == len(public)
    doc = read_json(client, "/data/cases.json")
    cases = doc["cases"]
    assert isinstance(cases, list)
    assert {c["number"] for c in cases} == public
    assert all(set(c) == set(export.FIELD_NAMES) for c in cases)
    meta = doc["meta"]
    assert isinstance(meta, dict) and meta["licence"] and meta["fields"] == export.FIELD_NAMES

    a = next(c for c in cases if c["number"] == known.a.number)
    assert a["organisation"] == "songpa" and a["department"] == "도로과"
    assert a["category"] == "road-damage" and a["category_name"] == "도로 파손"
    assert a["channel"] == "x" and a["status"] == "answered" and a["answered_on_time"] is True
    assert a["received_at"].endswith("Z") and a["text"] == known.a.public_text
    b = next(c for c in cases if c["number"] == known.b.number)
    assert b["answered_on_time"] is False
    d = next(c for c in cases if c["number"] == known.d.number)
    assert d["answered_on_time"] is None and d["answered_at"] is None
    row_a = next(r for r in rows if r["number"] == known.a.number)
    assert row_a["answered_on_time"] == "true" and row_a["latitude"] == ""


def test_filters_by_organisation_and_local_dates(client: TestClient, session: Session, world: World) -> None:
    known = build_known_set(session, world)
    assert [r["number"] for r in read_csv(client, "/data/cases.csv?org=seoul")] == [known.old.number]
    # 2026-11-20 in Seoul: c (01:00 local, still the 19th in UTC) and d.
    day = read_json(client, "/data/cases.json?from=2026-11-20&to=2026-11-20")["cases"]
    assert isinstance(day, list)
    assert sorted(c["number"] for c in day) == sorted([known.c.number, known.d.number])
    week = read_csv(client, "/data/cases.csv?org=songpa&from=2026-11-16&to=2026-11-19")
    assert sorted(r["number"] for r in week) == sorted([known.a.number, known.b.number, known.f.number])
    assert client.get("/data/cases.csv?from=yesterday").status_code == 422
    assert client.get("/data/cases.json?org=nowhere").status_code == 404


def test_locations_are_coarsened_and_formulas_defused(client: TestClient, session: Session, world: World) -> None:
    case = case_at(
        session,
        world,
        received=NOW,
        text='=HYPERLINK("http://evil") 가로등',
        latitude=37.5123456,
        longitude=127.1012345,
    )
    row = next(r for r in read_csv(client, "/data/cases.csv") if r["number"] == case.number)
    lat, lon = float(row["latitude"]), float(row["longitude"])
    assert (lat, lon) == coarsen(37.5123456, 127.1012345)
    assert abs(lat - 37.5123456) * 111_320 < 50 and abs(lon - 127.1012345) * 88_000 < 50
    assert row["text"].startswith("'=")
    doc = read_json(client, "/data/cases.json")
    cases = doc["cases"]
    assert isinstance(cases, list)
    assert cases[0]["text"].startswith("=")  # JSON is data, not a spreadsheet: unchanged
    assert "37.5123456" not in json.dumps(doc)


def test_export_reads_in_batches_and_streams(
    client: TestClient, session: Session, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [
        case_at(session, world, received=NOW, text=f"석촌호수 앞 보도블럭 {i}번째 파손 신고합니다") for i in range(11)
    ]
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM cases" in statement and "ORDER BY cases.id" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        rows: Iterator[dict[str, object]] = export.records(
            session_factory(engine), export.ExportFilter(), base_url="http://x", batch=4
        )
        first = next(rows)
        assert first["number"] == made[0].number
        assert len(statements) == 1  # one batch read so far, not the table
        rest = list(rows)
        assert [r["number"] for r in [first, *rest]] == [c.number for c in made]
        assert len(statements) == 3  # 4 + 4 + 3
    finally:
        event.remove(engine, "before_cursor_execute", count)

    monkeypatch.setattr(export, "BATCH", 3)
    with client.stream("GET", "/data/cases.json") as response:
        assert "content-length" not in response.headers  # streamed, not built in memory first
        body = b"".join(response.iter_bytes())
    numbers = [c["number"] for c in json.loads(body)["cases"]]
    assert numbers == [c.number for c in made]
    chunks = list(export.csv_chunks(iter([dict.fromkeys(export.FIELD_NAMES, "x")] * 5), rows_per_chunk=2))
    assert len(chunks) == 3


def test_schema_page_documents_every_field(client: TestClient, world: World) -> None:
    html = client.get("/data").text
    for field in export.FIELDS:
        assert f"<code>{field.name}</code>" in html
        assert field.meaning_key not in html  # every meaning is translated
    assert "CC BY 4.0" in html and "BOM" in html
    assert "CC BY 4.0" in client.get("/data?lang=en").text
