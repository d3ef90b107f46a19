"""RSS 2.0 and Atom feeds of new and answered public cases: valid XML with the required elements, filtered by
organisation and category, masked text only, no non-public case."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases.models import Answer
from sotong.portal.feeds import clean
from tests.factories import World
from tests.portal.stats_data import NOW, build_known_set, case_at

ATOM = "{http://www.w3.org/2005/Atom}"


def rss_items(client: TestClient, url: str) -> list[ET.Element]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    for required in ("title", "link", "description"):
        assert (channel.findtext(required) or "").strip(), required
    assert channel.find(f"{ATOM}link[@rel='self']") is not None
    items = channel.findall("item")
    for item in items:
        for required in ("title", "link", "guid", "pubDate", "description"):
            assert (item.findtext(required) or "").strip(), required
        assert parsedate_to_datetime(item.findtext("pubDate") or "").tzinfo is not None
    return items


def atom_entries(client: TestClient, url: str) -> list[ET.Element]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{required}") or "").strip(), required
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        for required in ("id", "title", "updated", "content"):
            assert (entry.findtext(f"{ATOM}{required}") or "").strip(), required
        dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "")
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    return entries


def numbers_rss(items: list[ET.Element]) -> list[str]:
    return [(i.findtext("link") or "").rsplit("/", 1)[-1] for i in items]


def numbers_atom(entries: list[ET.Element]) -> list[str]:
    return [(e.findtext(f"{ATOM}id") or "").rsplit("/", 1)[-1] for e in entries]


def test_new_feeds_list_public_cases_newest_first(client: TestClient, session: Session, world: World) -> None:
    known = build_known_set(session, world)
    public = [known.a, known.b, known.c, known.d, known.e, known.f, known.old]
    newest_first = [c.number for c in sorted(public, key=lambda c: c.id, reverse=True)]
    assert numbers_rss(rss_items(client, "/feeds/new.rss")) == newest_first
    assert numbers_atom(atom_entries(client, "/feeds/new.atom")) == newest_first
    for hidden in (known.private, known.whistle, known.hidden):
        assert hidden.number not in client.get("/feeds/new.rss").text
        assert hidden.number not in client.get("/feeds/new.atom").text


def test_answered_feeds_carry_the_answer_newest_answer_first(
    client: TestClient, session: Session, world: World
) -> None:
    known = build_known_set(session, world)
    session.add(Answer(org_id=known.a.org_id, case_id=known.a.id, body="raw", public_body="보수 완료했습니다"))
    session.commit()
    answered = sorted([known.a, known.b, known.e, known.old], key=lambda c: c.answered_at, reverse=True)  # type: ignore[arg-type, return-value]
    items = rss_items(client, "/feeds/answered.rss")
    assert numbers_rss(items) == [c.number for c in answered]
    a_item = next(i for i in items if known.a.number in (i.findtext("link") or ""))
    assert "보수 완료했습니다" in (a_item.findtext("description") or "")
    assert parsedate_to_datetime(a_item.findtext("pubDate") or "") == known.a.answered_at
    assert numbers_atom(atom_entries(client, "/feeds/answered.atom")) == [c.number for c in answered]


def test_feeds_filter_by_category_and_organisation(client: TestClient, session: Session, world: World) -> None:
    known = build_known_set(session, world)
    waste = numbers_rss(rss_items(client, "/feeds/new.rss?category=waste"))
    assert sorted(waste) == sorted([known.e.number, known.f.number])
    road = numbers_atom(atom_entries(client, "/feeds/new.atom?category=road-damage&org=songpa"))
    assert sorted(road) == sorted([known.a.number, known.b.number, known.c.number, known.d.number])
    assert numbers_rss(rss_items(client, "/feeds/new.rss?org=seoul")) == [known.old.number]
    assert numbers_atom(atom_entries(client, "/feeds/answered.atom?org=songpa&category=waste")) == [known.e.number]
    assert rss_items(client, "/feeds/new.rss?category=no-such-code") == []
    assert client.get("/feeds/new.rss?org=nowhere").status_code == 404
    assert client.get("/feeds/old.rss").status_code == 404
    assert client.get("/feeds/new.json").status_code == 404


def test_feed_text_is_masked_and_xml_safe(client: TestClient, session: Session, world: World) -> None:
    raw = "가로등 고장\x07 연락 010-2345-6789 <b>&amp;</b>"
    case = case_at(session, world, received=NOW, text=raw)
    case.public_text = raw  # even a public text that escaped masking is masked on the way out
    session.commit()
    for url in ("/feeds/new.rss", "/feeds/new.atom"):
        body = client.get(url).content
        ET.fromstring(body)  # parses: control character dropped, markup escaped
        text = body.decode("utf-8")
        assert "010-2345-6789" not in text and "[전화번호]" in text
        assert "<b>" not in text
    assert clean("a\x00b\x1fc") == "abc"
