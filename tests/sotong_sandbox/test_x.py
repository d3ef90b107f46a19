"""The X sandbox: a citizen's mention on its timeline is read by the product's calls, and the replies it posts
appear on the timeline, threaded, as X shows them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from sotong_sandbox import x

OFFICIAL = x.Account(user_id="1800000000000000001", username="songpaOK", name="송파구 민원", bearer_token="tok")
AUTH = {"Authorization": "Bearer tok"}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(x.create_app(lambda: [OFFICIAL])) as c:
        yield c


def _mention(client: TestClient, text: str = "@songpaOK 석촌호수 보도블럭이 깨졌어요", user: str = "minji_kim") -> str:
    posted = client.post("/tweet", json={"username": user, "name": "김민지", "text": text})
    assert posted.status_code == 201
    return str(posted.json()["tweet"]["id"])


def test_a_mention_is_read_with_the_accounts_token(client: TestClient) -> None:
    tweet_id = _mention(client)
    _mention(client, "오늘 날씨 좋네요", user="other")  # mentions nobody
    params = {"max_results": "100", "tweet.fields": "author_id,created_at,entities", "expansions": "author_id"}
    assert client.get(f"/2/users/{OFFICIAL.user_id}/mentions", params=params).status_code == 401
    found = client.get(f"/2/users/{OFFICIAL.user_id}/mentions", params=params, headers=AUTH).json()
    (tweet,) = found["data"]
    assert tweet["id"] == tweet_id
    assert tweet["text"] == "@songpaOK 석촌호수 보도블럭이 깨졌어요"
    assert tweet["entities"]["mentions"] == [{"start": 0, "end": 9, "username": "songpaOK", "id": OFFICIAL.user_id}]
    assert found["includes"]["users"][0]["username"] == "minji_kim"
    assert found["meta"] == {"result_count": 1, "newest_id": tweet_id, "oldest_id": tweet_id}
    later = client.get(
        f"/2/users/{OFFICIAL.user_id}/mentions", params={**params, "since_id": tweet_id}, headers=AUTH
    ).json()
    assert later == {"meta": {"result_count": 0}}


def test_mentions_come_in_pages_newest_first(client: TestClient) -> None:
    ids = [_mention(client, f"@songpaOK 민원 {n}") for n in range(7)]
    first = client.get(f"/2/users/{OFFICIAL.user_id}/mentions", params={"max_results": "5"}, headers=AUTH).json()
    assert [t["id"] for t in first["data"]] == ids[::-1][:5]
    token = first["meta"]["next_token"]
    rest = client.get(
        f"/2/users/{OFFICIAL.user_id}/mentions", params={"max_results": "5", "pagination_token": token}, headers=AUTH
    ).json()
    assert [t["id"] for t in rest["data"]] == ids[::-1][5:]
    assert "next_token" not in rest["meta"]
    refused = client.get(f"/2/users/{OFFICIAL.user_id}/mentions", params={"max_results": "500"}, headers=AUTH)
    assert refused.status_code == 400


def test_a_reply_is_threaded_and_shown_on_the_timeline(client: TestClient) -> None:
    tweet_id = _mention(client)
    body = {"text": "[2026-송파-000001 접수] 민원이 접수되었습니다.", "reply": {"in_reply_to_tweet_id": tweet_id}}
    posted = client.post("/2/tweets", json=body, headers=AUTH)
    assert posted.status_code == 201
    reply_id = posted.json()["data"]["id"]
    assert posted.json()["data"]["text"] == "@minji_kim [2026-송파-000001 접수] 민원이 접수되었습니다."
    assert client.post("/2/tweets", json=body, headers=AUTH).json()["detail"].endswith("duplicate content.")
    (newest, oldest) = client.get("/timeline").json()["tweets"]
    assert (newest["id"], newest["author"]["username"]) == (reply_id, "songpaOK")
    assert newest["referenced_tweets"] == [{"type": "replied_to", "id": tweet_id}]
    assert oldest["id"] == tweet_id
    # The product reads its own replies back (a retry after a lost answer); the citizen's mention is not one.
    own = client.get(
        f"/2/users/{OFFICIAL.user_id}/tweets",
        params={"max_results": "100", "tweet.fields": "referenced_tweets"},
        headers=AUTH,
    ).json()
    assert [t["id"] for t in own["data"]] == [reply_id]


def test_posting_is_refused_as_x_refuses(client: TestClient) -> None:
    assert client.post("/2/tweets", json={"text": "안녕하세요"}).status_code == 401
    assert client.post("/2/tweets", json={"text": ""}, headers=AUTH).status_code == 400
    gone = client.post("/2/tweets", json={"text": "답", "reply": {"in_reply_to_tweet_id": "42"}}, headers=AUTH)
    assert gone.status_code == 403
    assert client.post("/tweet", json={"username": "", "text": "x"}).status_code == 400


def test_the_timeline_page_is_korean_and_says_it_is_a_sandbox(client: TestClient) -> None:
    page = client.get("/")
    assert "연습용(샌드박스)" in page.text
    assert "@songpaOK" in page.text
    assert 'src="/static/x.js"' in page.text
    assert client.get("/static/x.js").status_code == 200
