"""No personal data reaches the statistics, map, feeds or exports: cases salted with every kind of personal data
(names with 님/씨, phone numbers in every writing, resident registration numbers, e-mail, addresses below street
level, car plates, account and card numbers...) plus 공익신고 and non-public cases; every output is parsed."""

from __future__ import annotations

import csv
import io
import json
import re
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import CaseStatus, ComplaintType, RejectReason
from tests.factories import World, inbound, publish
from tests.portal.stats_data import NOW
from tests.text.pii_salted import Salted, salted_set

TIME_FIELDS = {"received_at", "first_responded_at", "answered_at", "closed_at", "due_at"}
EXACT = (37.5123456, 127.1012345)
AUTHOR = "@secret_author_handle"
CONTACT = "private.contact@example.org"
STREET_ADDRESS = "서울 송파구 올림픽로 300 101동 1001호"
MARKER = "비공개표지문장"


def salted_cases(session: Session, world: World) -> tuple[list[Salted], list[str]]:
    """Public cases carrying the salted set (five pieces per case, half of them answered with more of it),
    and the numbers of cases that must never be published."""
    rows = salted_set()
    groups = [rows[i : i + 5] for i in range(0, len(rows), 5)]
    op, mgr, officer = world.actor(world.operator), world.actor(world.manager), world.actor(world.officer)
    for n, group in enumerate(groups):
        message = InboundMessage(
            external_id=f"salted-{n}",
            text="\n".join(r.text for r in group)
            + "\n보도블럭이 깨져 있어 보수를 요청합니다.",  # a complaint, not chatter
            received_at=NOW,
            author_handle=AUTHOR,
            author_name="홍길동",
            latitude=EXACT[0],
            longitude=EXACT[1],
            address=STREET_ADDRESS,
            contact={"email": CONTACT, "phone": "010-9876-5432"},
        )
        case = actions.receive_message(session, account_id=world.x_account.id, inbound=message).case
        assert case is not None
        publish(session, world, case)
        if n % 2 == 0:
            actions.triage(
                session, actor=op, case_id=case.id, complaint_type=ComplaintType.other, category_id=world.pothole.id
            )
            actions.assign(session, actor=mgr, case_id=case.id, officer_id=world.officer.id)
            answer_rows = groups[(n + 1) % len(groups)]
            actions.answer(session, actor=officer, case_id=case.id, body="\n".join(r.text for r in answer_rows))
    hidden_numbers = []
    for flag in ("is_public", "is_whistleblower", "rejected", "unreleased"):
        text = f"{MARKER} {flag} 김철수님 010-1111-2222 hidden.person@example.org 보도블럭 보수를 요청합니다"
        case = actions.receive_message(
            session, account_id=world.x_account.id, inbound=inbound(text, received_at=NOW)
        ).case
        assert case is not None
        if flag == "unreleased":  # waiting in 공개 검토
            hidden_numbers.append(case.number)
            continue
        publish(session, world, case)  # released first: each flag alone must take it off again
        if flag == "is_public":
            actions.triage(session, actor=op, case_id=case.id, complaint_type=ComplaintType.other, is_public=False)
        elif flag == "is_whistleblower":
            actions.triage(
                session, actor=op, case_id=case.id, complaint_type=ComplaintType.other, is_whistleblower=True
            )
        else:
            actions.reject(session, actor=op, case_id=case.id, reason=RejectReason.spam)
            assert case.status is CaseStatus.rejected
        hidden_numbers.append(case.number)
    return rows, hidden_numbers


def distinctive(secret: str) -> bool:
    """A secret that cannot turn up by chance in a page's dates, numbers or coordinates."""
    return len(secret) >= 8 or bool(re.search(r"[^\x00-\x7f]|@", secret))


def assert_clean(name: str, raw: str, texts: list[str], rows: list[Salted], hidden: list[str]) -> None:
    joined = "\n".join(texts)
    leaks = [r for r in rows if r.secret in joined or (distinctive(r.secret) and r.secret in raw)]
    assert leaks == [], f"{name} leaks {[(r.kind, r.secret) for r in leaks[:10]]}"
    for forbidden in (*hidden, MARKER, AUTHOR, CONTACT, "010-9876-5432", "1001호", "37.5123456", "127.1012345"):
        assert forbidden not in raw, f"{name} shows {forbidden}"


def test_nothing_personal_in_any_public_output(client: TestClient, session: Session, world: World) -> None:
    rows, hidden = salted_cases(session, world)
    assert {r.kind for r in rows} >= {
        "name",
        "phone",
        "landline",
        "rrn",
        "email",
        "address",
        "plate",
        "account",
        "card",
    }

    page = client.get("/stats?period=all")
    assert page.status_code == 200
    assert_clean("stats", page.text, [page.text], rows, hidden)

    clusters = client.get("/stats/map.json?period=all&cell=0.0001")
    data = clusters.json()
    assert_clean("map", clusters.text, [clusters.text], rows, hidden)
    assert all((c["latitude"], c["longitude"]) != EXACT for c in data["clusters"])

    for kind in ("new", "answered"):
        rss = client.get(f"/feeds/{kind}.rss")
        channel = ET.fromstring(rss.content).find("channel")
        assert channel is not None
        texts = [el.text or "" for el in channel.iter()]
        assert len(channel.findall("item")) > 0
        assert_clean(f"{kind}.rss", rss.text, texts, rows, hidden)
        atom = client.get(f"/feeds/{kind}.atom")
        texts = [el.text or "" for el in ET.fromstring(atom.content).iter()]
        assert_clean(f"{kind}.atom", atom.text, texts, rows, hidden)

    csv_response = client.get("/data/cases.csv")
    csv_rows = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"), newline="")))
    assert len(csv_rows) == len(range(0, len(rows), 5))
    texts = [v for r in csv_rows for k, v in r.items() if k not in TIME_FIELDS]
    assert_clean("cases.csv", csv_response.text, texts, rows, hidden)
    assert any("[전화번호]" in t for t in texts) and any("[이름]" in t for t in texts)

    json_response = client.get("/data/cases.json")
    cases = json.loads(json_response.content)["cases"]
    assert len(cases) == len(csv_rows)
    texts = [str(v) for c in cases for k, v in c.items() if k not in TIME_FIELDS and v is not None]
    assert_clean("cases.json", json_response.text, texts, rows, hidden)
    assert all(c["answer"] is None or "[" in c["answer"] for c in cases)
