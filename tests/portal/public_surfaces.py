"""What a crawler fetches of the portal, and complaints filed as citizens file them (web form, a platform's webhook,
the JSON API): shared by the publication and the privacy crawler tests."""

from __future__ import annotations

import html
import uuid
from typing import Any

from fastapi.testclient import TestClient

from sotong.orgs.models import ChannelAccount
from sotong.settings import Settings
from tests.channels.webform_support import form_data
from tests.fakes.graph import FakeGraph
from tests.fakes.x import FakeX, event_body

WORD = "가로등"  # every complaint filed here names it, so the search surface finds them


def surfaces(client: TestClient, number: str) -> dict[str, str]:
    """Every public surface a case can appear on, by name: what an anonymous visitor or a crawler fetches."""
    songpa = {"jurisdiction_id": "songpa"}
    pages = {
        "list": client.get("/"),
        "search": client.get("/", params={"q": WORD}),
        "rss new": client.get("/feeds/new.rss"),
        "atom new": client.get("/feeds/new.atom"),
        "district rss": client.get("/feeds/new.rss", params={"org": "songpa"}),
        "csv": client.get("/data/cases.csv"),
        "json": client.get("/data/cases.json"),
        "open311 json": client.get("/open311/v2/requests.json", params=songpa),
        "open311 xml": client.get("/open311/v2/requests.xml", params=songpa),
    }
    assert all(r.status_code == 200 for r in pages.values())
    return {name: html.unescape(r.text) for name, r in pages.items()} | case_surfaces(client, number)


def case_surfaces(client: TestClient, number: str) -> dict[str, str]:
    """The public addresses of one case (its page, its Open311 request); empty when the case is not public."""
    songpa = {"jurisdiction_id": "songpa"}
    pages = {
        "case page": client.get(f"/cases/{number}"),
        "open311 one": client.get(f"/open311/v2/requests/{number}.json", params=songpa),
        "open311 one xml": client.get(f"/open311/v2/requests/{number}.xml", params=songpa),
    }
    # A single case's address answers 404 (which names the number asked for) when the case is not public.
    assert all(r.status_code in (200, 404) for r in pages.values())
    return {name: html.unescape(r.text) if r.status_code == 200 else "" for name, r in pages.items()}


def file_by_web_form(client: TestClient, settings: Settings, text: str, **fields: str) -> None:
    """A citizen fills in /report (extra form fields such as address, phone, visibility as given)."""
    response = client.post("/report", data=form_data(client, settings, text=text, **fields))
    assert response.status_code == 200, response.text


def file_by_facebook(client: TestClient, fake: FakeGraph, account: ChannelAccount, text: str, **comment: Any) -> str:
    """A citizen comments on the Page's post; Facebook calls our webhook. Returns the comment's id."""
    comment_id, body = fake.comment(text, **comment)
    response = client.post(f"/hooks/facebook/{account.id}", content=body, headers=fake.sign(body))
    assert response.status_code == 200, response.text
    return comment_id


def file_by_x(client: TestClient, fake: FakeX, account: ChannelAccount, text: str, **mention: Any) -> str:
    """A citizen mentions the account on X; X's Account Activity webhook delivers it. Returns the tweet's id."""
    tweet = fake.mention(text, **mention)
    body = event_body(fake, tweet)
    response = client.post(
        f"/hooks/x/{account.id}", content=body, headers={"x-twitter-webhooks-signature": fake.signature(body)}
    )
    assert response.status_code == 200 and response.json()["stored"] == 1, response.text
    return str(tweet["id"])


def file_by_api(client: TestClient, text: str, **fields: str) -> str:
    """A third-party app submits through POST /api/v1/cases; returns the case number."""
    data = {"org": "songpa", "text": text, "submission_id": str(uuid.uuid4()), **fields}
    response = client.post("/api/v1/cases", data=data)
    assert response.status_code == 201, response.text
    return str(response.json()["number"])
