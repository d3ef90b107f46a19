"""The demo as a first-time user meets it: every staff page answers, in Korean, on the data `make run` loads."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong import orgs
from sotong.app import create_app
from sotong.audit.models import AuditEvent
from sotong.cases.answers.models import AnswerTemplate
from sotong.cases.models import Answer, Case, CaseStatus, Message
from sotong.cases.service import is_published
from sotong.db import make_engine, session_factory
from sotong.demo import data
from sotong.i18n import catalogue
from sotong.orgs.models import Category, ChannelAccount, Department, Organisation, User
from sotong.settings import get_settings, reset_settings_cache
from tests.web.conftest import login


@pytest.fixture
def demo_client(demo_db: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A browser on the web app over the loaded demo."""
    monkeypatch.setenv("SOTONG_DATABASE_URL", demo_db[0])
    reset_settings_cache()
    engine = make_engine(demo_db[0])
    with TestClient(create_app(settings=get_settings(), engine=engine)) as client:
        yield client
    engine.dispose()


@pytest.fixture
def loaded(demo_db: tuple[str, str]) -> Iterator[Session]:
    engine = make_engine(demo_db[0])
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def test_the_audit_log_shows_the_demo_set_up(demo_client: TestClient) -> None:
    # The demo's standard answers store their required elements as a list, which the log once looked up as a name.
    login(demo_client, "songpa.admin", data.DEMO_PASSWORD)
    page = demo_client.get("/staff/admin/audit")
    assert page.status_code == 200, page.text
    assert "표준답안 추가" in page.text
    assert "['" not in page.text  # a list is written as text, not as Python


# --------------------------------------------------------------------------------------------- Korean everywhere

# Words a Korean page may show in Latin letters: names of products and standards, file formats, and the
# abbreviations Korean officials write in Latin letters themselves.
ALLOWED = {
    "sotong",
    "sms",
    "api",
    "url",
    "csv",
    "json",
    "open311",
    "png",
    "jpeg",
    "jpg",
    "heic",
    "webp",
    "gif",
    "openstreetmap",
    "osm",
    "http",
    "https",
    "www",
    "kakao",
    "naver",
    "faq",
    "pdf",
    "id",
    "ip",
    "qr",
    "english",
    "rss",
    "atom",
    "bom",
    "cc",
    "by",
    "iso",
    "utc",
    "rfc",
    "crlf",
    "post",
    "hmac",
    "sha",
}
# Pages that document machine-readable values (open data's fields, types and codes) and show them as they are.
CODE_PAGES = {"/data"}
# A word made of Latin letters only, standing alone (handles, e-mail addresses, user names, URLs and numbers
# have @ . _ / : - or digits next to them and are data, not interface).
LATIN_WORD = re.compile(r"(?<![\w@./:#?=&%+-])[A-Za-z]{2,}(?![\w@./:#?=&%+-])")
IDENTIFIER = re.compile(r"(?<![\w@./:#?=&%+-])[a-z]+(?:_[a-z]+)+(?![\w@./:#?=&%+-])")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# Who acted, as the timeline and the audit log write it: "접수 · 민원인", never "접수 · citizen".
ACTOR_CODES = re.compile(r"·\s*(citizen|worker|system|cli)\s*(?:$|—)", re.M)
CHANNEL_CODE = re.compile(
    r"(?:^|[\s(·])(x|kakao|naver|web|email|sms|facebook|mastodon|callcentre|open311)(?:$|[\s)·,])"
)


def _visible_text(page: str) -> str:
    """The text a person reads: no scripts, styles or tags, but the alt/title/aria-label/placeholder texts."""
    # Scripts and styles are not read; <code> and <kbd> show literal values and keys on purpose.
    page = re.sub(r"<(script|style|code|kbd)\b.*?</\1>", " ", page, flags=re.S | re.I)
    attributes = re.findall(r'\b(?:alt|title|aria-label|placeholder)="([^"]*)"', page)
    page = re.sub(r"<[^>]+>", "\n", page)
    return html.unescape(page + "\n" + "\n".join(attributes))


def _problems(page: str, keys: set[str], prefixes: set[str], data_words: set[str]) -> list[str]:
    """Everything on the page a Korean reader should not see: keys, codes, placeholders, English words."""
    text = _visible_text(page)
    found = []
    for match in re.finditer(r"\b([a-z_]+)\.[a-z0-9_.]*[a-z0-9_]\b", text):
        if match.group(0).endswith((".csv", ".json", ".geojson", ".xml", ".png")):
            continue  # a file name
        if match.group(0) in keys or match.group(1) in prefixes:
            found.append(f"raw key {match.group(0)!r}")
    found += [f"identifier {m!r}" for m in IDENTIFIER.findall(text) if m not in data_words]
    found += [f"placeholder {m!r}" for m in PLACEHOLDER.findall(text) if m not in data_words]
    found += [f"actor code {m!r}" for m in ACTOR_CODES.findall(text)]
    for line in text.splitlines():
        for m in CHANNEL_CODE.findall(line.strip()):
            found.append(f"channel code {m!r} in {line.strip()[:60]!r}")
        for word in LATIN_WORD.findall(line):
            if word.lower() not in ALLOWED and word not in data_words:
                found.append(f"English {word!r} in {line.strip()[:80]!r}")
    return sorted(set(found))


def _data_words(session: Session) -> set[str]:
    """Latin words the demo's own data holds (complaints, answers, names, handles): shown as written."""
    texts: list[str | None] = []
    for column in (Case.body, Case.public_text, Case.title, Case.address, Case.hold_reason, Case.author_handle):
        texts += session.scalars(select(column))
    texts += session.scalars(select(Message.text))
    texts += session.scalars(select(Answer.body))
    texts += session.scalars(select(AuditEvent.details))  # reasons typed by staff  # type: ignore[arg-type]
    for model in (Organisation, Department, Category):
        texts += session.scalars(select(model.name))
    texts += session.scalars(select(User.display_name))
    texts += session.scalars(select(User.username))
    texts += session.scalars(select(ChannelAccount.handle))
    texts += session.scalars(select(Category.code))
    texts += session.scalars(select(Category.standard_code))
    # The standard taxonomy's codes, shown beside their names on the category page (orgs/taxonomy.tsv).
    taxonomy = Path(orgs.__file__).resolve().parent / "taxonomy.tsv"
    texts += [line.split("\t", 1)[0] for line in taxonomy.read_text(encoding="utf-8").splitlines()]
    texts += session.scalars(select(Department.code))
    texts += session.scalars(select(AnswerTemplate.title))
    texts += session.scalars(select(AnswerTemplate.body))
    # The test client's address in the log-in events, a channel setting's name as the platform spells it.
    words: set[str] = {"testclient", "base_url"}
    for value in texts:
        words.update(re.findall(r"[A-Za-z_]{2,}", str(value or "")))
        words.update(re.findall(r"[A-Za-z]{2,}", str(value or "")))
        words.update(re.findall(r"\{[a-z_]+\}", str(value or "")))  # a standard answer's placeholders
    return words


def _pages(session: Session) -> dict[str, list[str]]:
    """Every page to look at, by who looks: the admin, an officer, the public."""
    cases = list(session.scalars(select(Case).join(Organisation).where(Organisation.slug == "songpa")))
    by_status: dict[CaseStatus, Case] = {}
    for case in cases:
        by_status.setdefault(case.status, case)
    # Cases that came in by transfer, and every timeline event type the demo wrote once each.
    sample = list(by_status.values()) + [c for c in cases if c.source_case_id][:2]
    actions_seen: set[str] = set()
    for case_id, action in session.execute(
        select(AuditEvent.case_id, AuditEvent.action).where(AuditEvent.case_id.in_([c.id for c in cases]))
    ):
        if action not in actions_seen:
            actions_seen.add(action)
            sample.append(session.get(Case, case_id))  # type: ignore[arg-type]
    numbers = sorted({c.number for c in sample})
    admin = [
        "/staff/",
        "/staff/cases",
        "/staff/inbox",
        "/staff/inbox?status=all",
        "/staff/queue",
        "/staff/notifications",
        "/staff/review",
        "/staff/admin",
        "/staff/admin/departments",
        "/staff/admin/users",
        "/staff/admin/categories",
        "/staff/admin/rules",
        "/staff/admin/sla",
        "/staff/admin/calendar",
        "/staff/admin/audit",
        "/staff/admin/channels",
        "/staff/admin/answer-templates",
        *(f"/staff/cases/{n}" for n in numbers),
        "/staff/cases/2026-송파-999999",  # not found: the error page
    ]
    public = [c for c in sample if is_published(c)]
    portal = ["/", "/stats", "/best", "/data", "/report", "/track", *(f"/cases/{c.number}" for c in public)]
    # The last three: refused, in Korean.
    officer = ["/staff/", "/staff/queue", "/staff/admin", "/staff/inbox", "/staff/review"]
    return {"songpa.admin": admin, "songpa.roads.officer": officer, "": portal}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_page_speaks_the_language(demo_client: TestClient, loaded: Session, lang: str) -> None:
    keys = set(catalogue("ko"))
    prefixes = {k.split(".", 1)[0] for k in keys}
    data_words = _data_words(loaded)
    report: dict[str, list[str]] = {}
    for username, paths in _pages(loaded).items():
        demo_client.cookies.clear()
        if username:
            login(demo_client, username, data.DEMO_PASSWORD)
        for path in paths:
            response = demo_client.get(path, params={"lang": lang})
            assert response.status_code < 500, (path, response.text[:300])
            found = _problems(response.text, keys, prefixes, data_words)
            if lang == "en" or path in CODE_PAGES:  # keys, actor codes and placeholders, never
                found = [f for f in found if f.startswith(("raw key", "placeholder", "actor code"))]
            if found:
                report[f"{username or 'public'} {path}"] = found
    assert report == {}, "\n".join(f"{page}: {problems}" for page, problems in report.items())
