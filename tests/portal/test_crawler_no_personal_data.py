"""A crawler over every public surface finds none of the personal data citizens and officers wrote (issue 13).

Complaints carrying every shape that once leaked (names without a cue word and compound surnames, addresses down to
the flat, phone, resident, card and account numbers in odd writings, e-mail addresses in words, a car plate) are
filed through the web form, the JSON API and the webhooks of two public platforms (a Facebook comment, an X
mention) and polled from a third (Mastodon); an officer answers each, pasting a citizen's name, phone number and
address back; an operator releases them; the outbox worker posts the public replies. Then everything an anonymous
visitor, a search engine or an SNS follower can read is fetched, and no raw value is in it, nor its digits written
without separators (a masker that keeps 01045678901 leaks as much as one that keeps 010-4567-8901), while the
masked placeholders are (so the test fails if the cases were simply not published).

Runs on both databases: about 3-4 s each once kiwipiepy and the triage model are loaded (the first test of a
process pays ~4 s more for loading them).
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Case
from sotong.channels.mastodon.poll import poll
from sotong.orgs.models import ChannelAccount
from sotong.portal import actions as portal_actions
from sotong.settings import Settings
from sotong.text import pii
from tests.channels.conftest import answer_case
from tests.factories import World, publish
from tests.fakes.graph import FakeGraph
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX
from tests.portal.public_surfaces import (
    WORD,
    case_surfaces,
    file_by_api,
    file_by_facebook,
    file_by_web_form,
    file_by_x,
    surfaces,
)
from tests.text.pii_labelled import rrn_check_digit


@dataclass(frozen=True)
class Personal:
    """A personal value as written in a complaint or an answer, and other writings of it a masker could leave."""

    raw: str
    shape: str
    also: tuple[str, ...] = ()

    def forms(self) -> list[str]:
        digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", self.raw))
        # Ten digits or more are a number with no other meaning (phone, RRN, card, account): found in any writing.
        return [self.raw, *self.also, *([digits] if len(digits) >= 10 else [])]


def _rrn(twelve: str, separator: str) -> str:
    """A resident number issued before October 2020 (its check digit right), written with `separator`."""
    number = twelve + rrn_check_digit(twelve)
    return f"{number[:6]}{separator}{number[6:]}"


# Written with escapes: dashes and fullwidth digits that look like ASCII ones.
EN_DASH_PHONE = "010\u20136789\u20130123"
FULLWIDTH_PHONE = "\uff10\uff11\uff10-\uff17\uff18\uff19\uff10-\uff11\uff12\uff13\uff14"
EM_DASH_RRN = "850505\u20142345678"
DOT_RRN = _rrn("760312123456", ".")
UNDERSCORE_RRN = _rrn("901010254321", "_")
FULLWIDTH_AT_EMAIL = "leesh0303\uff20daum.net"
# What the web form and the API take beside the text: an address down to the flat, a phone number, an e-mail (one
# of each per complaint: the same contact again would be the same citizen adding to their open case).
ADDRESS_FIELD = Personal("오금로 41 807호", "address field", ("오금로 41", "807호"))
PHONE_FIELDS = [Personal(f"010-2468-{1357 + n}", "phone field") for n in range(3)]
EMAIL_FIELDS = [Personal(f"citizen{n}.kim@example.org", "e-mail field", (f"citizen{n}.kim",)) for n in range(3)]
FIELDS = [ADDRESS_FIELD, *PHONE_FIELDS, *EMAIL_FIELDS]
# Every shape listed under "What leaked" in issue 13.
VALUES = [
    Personal("김철수", "name: 안녕하세요 …입니다"),
    Personal("박영희", "name: 제 이름은 …예요"),
    Personal("조성호", "name: 저는 …입니다"),
    Personal("이영희", "name: only a particle after it"),
    Personal("홍길동", "name: after a phone number"),
    Personal("김하늘", "name: given name that is a noun, 님"),
    Personal("이보람", "name: given name that is a noun, 님"),
    Personal("남궁민수", "name: compound surname 남궁"),
    Personal("황보영희", "name: compound surname 황보"),
    Personal("제갈공명", "name: compound surname 제갈"),
    Personal("임하늘", "name: two particles after it"),
    Personal("선우진호", "name: compound surname 선우, 제 이름은 …고요"),
    Personal("석촌호수로 155 302호", "address: road, building and flat", ("155 302호", "302호")),
    Personal("1203호", "address: a flat alone"),
    Personal("1204호", "address: the flat next door"),
    Personal("잠실엘스 101-1203", "address: complex, building-flat", ("101-1203",)),
    Personal("010 - 4567 - 8901", "phone: spaced dashes"),
    Personal("010ㅡ5678ㅡ9012", "phone: ㅡ as a dash"),
    Personal(EN_DASH_PHONE, "phone: en dash"),
    Personal(FULLWIDTH_PHONE, "phone: fullwidth digits"),
    Personal("010/8901/2345", "phone: slashes"),
    Personal("010_9012_3456", "phone: underscores"),
    Personal(EM_DASH_RRN, "rrn: em dash"),
    Personal(DOT_RRN, "rrn: dot"),
    Personal(UNDERSCORE_RRN, "rrn: underscore"),
    Personal("201225-4123456", "rrn: issued after October 2020, no check digit"),
    Personal("hong.gd85 at example dot com", "email: in words", ("hong.gd85",)),
    Personal("parkjy77 골뱅이 naver.com", "email: 골뱅이", ("parkjy77",)),
    Personal(FULLWIDTH_AT_EMAIL, "email: fullwidth at sign", ("leesh0303",)),
    Personal("34나-5678", "plate", ("34나5678", "34나 5678")),
    Personal("110-123-456789", "account: 제 통장"),
    Personal("612301-04-178925", "account: KB"),
    Personal("352-0987-6543-21", "account: NH"),
    Personal("5500-0000-0000-0004", "card: a doubled digit above 4 in the Luhn check"),
]
COMPLAINTS = [
    f"안녕하세요 김철수입니다. 석촌호수로 155 302호 앞 {WORD}이 꺼졌어요. 010 - 4567 - 8901 또는 010ㅡ5678ㅡ9012로 "
    f"연락 주세요. 확인용 {EM_DASH_RRN}. 이웃도 한마디: 제 이름은 박영희예요. 1203호에서 {WORD}이 깜빡인다고 하고 "
    f"옆집 1204호에서도 그래요. {EN_DASH_PHONE} / {FULLWIDTH_PHONE}, hong.gd85 at example dot com",
    f"저는 조성호입니다. 이영희가 쓰레기를 {WORD} 밑 잠실엘스 101-1203 앞에 버려요. 연락처 010/8901/2345 "
    "홍길동입니다. 34나-5678 차량도 서 있어요. parkjy77 골뱅이 naver.com. 김하늘님, 이보람님, 남궁민수님, "
    "황보영희님, 제갈공명님이 다쳤어요. 임하늘에게도 알려 주세요. "
    f"010_9012_3456, {FULLWIDTH_AT_EMAIL}, {DOT_RRN}, {UNDERSCORE_RRN}, 201225-4123456",
    f"제 이름은 선우진호고요, {WORD} 수리비를 돌려주세요. 제 통장 110-123-456789, 아니면 KB 612301-04-178925 "
    "나 NH 352-0987-6543-21, 카드 5500-0000-0000-0004로 냈어요.",
]
# What an officer pastes into an answer: the citizen's name, number and address.
ANSWERS = [
    "김철수님, 석촌호수로 155 302호 앞 가로등을 교체했습니다. 010 - 4567 - 8901로 결과를 알려 드렸습니다. 박영희님 "
    f"말씀대로 1203호와 옆집 1204호 앞도 점검했고 {FULLWIDTH_PHONE}로 연락드렸습니다.",
    "홍길동님, 잠실엘스 101-1203 앞 쓰레기를 치웠고 34나-5678 차량은 단속했습니다. 남궁민수님과 황보영희님께 "
    "010_9012_3456로 안내했습니다. 임하늘에게도 전했습니다.",
    "제갈공명님, 선우진호 민원인의 수리비는 제 통장 110-123-456789로 환급했습니다.",
]
# What a curious visitor types into the search box.
SEARCHED = ["김하늘", "남궁민수", "01045678901", "010-4567-8901", "302호", "hong.gd85", "34나5678", "110123456789"]
# What the masker leaves in their place: every kind appears on the public pages.
PLACEHOLDERS = [pii.NAME, pii.ADDRESS, pii.PHONE, pii.RRN, pii.EMAIL, pii.PLATE, pii.ACCOUNT, pii.CARD]
_SEPARATORS = re.compile(r"[\s\-./_\u2010-\u2015\u3161]")  # what may stand between a number's groups


def _readable(name: str, text: str) -> str:
    """A surface as a person reads it: JSON decoded (no \\uXXXX escapes), entities resolved, widths evened out."""
    if text and "json" in name:
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return unicodedata.normalize("NFKC", html.unescape(text))


def _leaks(pages: dict[str, str]) -> list[tuple[str, str, str]]:
    """(surface, shape, what was found) for every raw value or digits-only writing of it on any surface."""
    found = []
    for name, page in pages.items():
        readable = _readable(name, page)
        squeezed = _SEPARATORS.sub("", readable)  # "010 4567 8901" and "010.4567.8901" read as 01045678901
        for value in [*VALUES, *FIELDS]:
            for form in value.forms():
                if form in page or form in readable or (form.isdigit() and form in squeezed):
                    found.append((name, value.shape, form))
    return found


def _crawl(client: TestClient, cases: list[Case]) -> dict[str, str]:
    """Every public surface (each case's own addresses too), the answered feeds, the live list, the best answers, the
    statistics, and the staff API an anonymous crawler is refused."""
    pages = surfaces(client, cases[0].number)
    for case in cases:
        pages.update({f"{name} {case.number}": text for name, text in case_surfaces(client, case.number).items()})
    for path in ("/feeds/answered.rss", "/feeds/answered.atom", "/best", "/stats", "/stats/map.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = response.text
    latest = client.get("/portal/latest.json", params={"since": "0.0"})  # every case newer than 1970
    assert latest.status_code == 200
    pages["latest json"] = latest.text
    for path in ("/api/v1/cases", f"/api/v1/cases/{cases[0].number}"):
        response = client.get(path)
        assert response.status_code == 401, path
        pages[path] = response.text
    return pages


@pytest.fixture(autouse=True)
def _one_address_files_them_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """The web form and the API share the hourly allowance per address, and every complaint here comes from the
    test client's one address: the limit is tests/api/test_submit.py's business, not this crawler's."""
    monkeypatch.setenv("SOTONG_WEBFORM_MAX_PER_WINDOW", "100")


def test_no_personal_value_reaches_any_public_surface_or_reply(
    client: TestClient,
    session: Session,
    world: World,
    settings: Settings,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    x: FakeX,
    x_account: ChannelAccount,
    mastodon: FakeMastodon,
    mastodon_account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    assert all(any(v.raw in text for text in COMPLAINTS) for v in VALUES)  # every shape is filed
    contact = {"address": f"서울 송파구 {ADDRESS_FIELD.raw}", "visibility": "public"}
    assert len(PHONE_FIELDS) == len(EMAIL_FIELDS) == len(COMPLAINTS)
    for n, text in enumerate(COMPLAINTS):
        # Each route its own words, so the web form's repeated-text defence never takes one for another's copy.
        file_by_web_form(client, settings, f"{text} (웹)", phone=PHONE_FIELDS[n].raw, **contact)
        file_by_api(client, f"{text} (앱)", email=EMAIL_FIELDS[n].raw, **contact)
        file_by_facebook(client, graph, facebook_account, f"{text} (댓글)", user_id=f"30{n}", name=f"시민{n}")
        file_by_x(client, x, x_account, f"{text} (X)", author=x.user(f"citizen{n}", f"시민{n}"))
        mastodon.mention(f"{text} (마스토돈)", author=mastodon.citizen(f"citizen{n}", f"시민{n}"))
    poll(session, account_id=mastodon_account.id)
    session.expire_all()
    cases = list(session.scalars(select(Case).order_by(Case.id)))
    assert len(cases) == 5 * len(COMPLAINTS)  # five routes

    for case in cases:
        n = next(i for i, text in enumerate(COMPLAINTS) if text[:20] in case.body)
        answer_case(session, world, case.id, ANSWERS[n])
        publish(session, world, case)
    portal_actions.set_showcase(session, actor=world.actor(world.operator), case_id=cases[-1].id, on=True)
    while deliver():
        pass

    pages = _crawl(client, cases)
    replies = {
        **{f"x reply {t['id']}": t["text"] for t in x.replies()},
        **{f"mastodon reply {s['id']}": s["content"] for s in mastodon.posted()},
        **{
            f"facebook reply {key}": str(obj["message"])
            for key, obj in graph.objects.items()
            if obj["from"]["id"] == graph.page_id
        },
    }
    assert len(replies) >= 3 * len(COMPLAINTS)  # an answer at least, on each platform, for each complaint

    assert _leaks({**pages, **replies}) == []
    # Nor does the search answer for them (the page repeats the query, so it is asked, not searched for leaks):
    # finding a case by a name or a number would tell who wrote it.
    found = {q: client.get("/", params={"q": q}).text for q in SEARCHED}
    answered = {q: [c.number for c in cases if c.number in text] for q, text in found.items()}
    assert {q: numbers for q, numbers in answered.items() if numbers} == {}
    # Published and masked, not merely absent: every case on its own pages, in the open data and the feeds.
    for case in cases:
        on = [
            name
            for name in ("case page", "open311 one", "open311 one xml")
            if case.number in pages[f"{name} {case.number}"]
        ]
        assert len(on) == 3, (case.number, on)
        assert all(case.number in pages[name] for name in ("csv", "json", "open311 json", "/feeds/answered.rss"))
    assert cases[-1].number in pages["/best"]
    case_pages = " ".join(text for name, text in pages.items() if name.startswith("case page"))
    assert [tag for tag in PLACEHOLDERS if tag not in case_pages] == []
    platforms = {name.split()[0] for name, text in replies.items() if pii.NAME in text and pii.PHONE in text}
    assert platforms == {"x", "mastodon", "facebook"}
