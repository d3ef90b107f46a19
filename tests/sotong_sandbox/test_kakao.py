"""The Kakao sandbox speaks Open Builder's skill protocol and the Event API, and shows both sides in its chat."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from sotong_sandbox import kakao
from tests.fakes.server import Request, Response, serve

USER = "sandbox-citizen-1"


@dataclass
class SkillServer:
    """A skill server that answers each skill request with the next prepared skill response."""

    answers: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        return Response(200, self.answers.pop(0))


def _text(*texts: str) -> dict[str, Any]:
    return {"version": "2.0", "template": {"outputs": [{"simpleText": {"text": t}} for t in texts]}}


@pytest.fixture
def skill() -> Iterator[tuple[SkillServer, str]]:
    server = SkillServer()
    with serve(server) as url:
        yield server, url


@pytest.fixture
def bot(skill: tuple[SkillServer, str]) -> kakao.Bot:
    return kakao.Bot(
        bot_id="bot-songpa",
        name="송파구 카카오톡 채널",
        skill_url=f"{skill[1]}/hooks/kakao/7",
        skill_token="skill-token",
        rest_api_key="rest-key",
    )


@pytest.fixture
def client(bot: kakao.Bot) -> Iterator[TestClient]:
    app = kakao.create_app(lambda: [bot])
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def _sandbox(client: TestClient) -> kakao.KakaoSandbox:
    sandbox: kakao.KakaoSandbox = client.app.state.sandbox  # type: ignore[attr-defined]
    return sandbox


def test_a_message_goes_to_the_skill_as_open_builder_sends_it(
    client: TestClient, skill: tuple[SkillServer, str]
) -> None:
    server, _ = skill
    server.answers.append(_text("민원이 접수되었습니다."))
    answer = client.post("/bot-songpa/say", json={"user": USER, "text": "가로등이 꺼졌어요"})
    assert answer.status_code == 200
    (request,) = server.requests
    assert request.path == "/hooks/kakao/7"
    assert request.headers["x-sotong-skill-token"] == "skill-token"
    body = request.json()
    assert body["userRequest"]["utterance"] == "가로등이 꺼졌어요"
    assert body["userRequest"]["user"] == {
        "id": USER,
        "type": "botUserKey",
        "properties": {"botUserKey": USER, "isFriend": True},
    }
    assert body["userRequest"]["callbackUrl"].startswith("http://testserver/callback/")
    assert body["bot"]["id"] == "bot-songpa"
    bubbles = answer.json()["bubbles"]
    assert [(b["from"], b["text"], b["via"]) for b in bubbles] == [
        ("user", "가로등이 꺼졌어요", "user"),
        ("bot", "민원이 접수되었습니다.", "skill"),
    ]


def test_a_callback_answer_appears_once_within_the_minute(client: TestClient, skill: tuple[SkillServer, str]) -> None:
    server, _ = skill
    server.answers.append({"version": "2.0", "useCallback": True, "data": {"text": "접수하고 있습니다"}})
    client.post("/bot-songpa/say", json={"user": USER, "text": "쓰레기 무단투기"})
    callback = httpx.URL(server.requests[0].json()["userRequest"]["callbackUrl"]).path
    assert client.post(callback, json={"version": "2.0"}).json()["message"] == "template missing"
    done = client.post(callback, json=_text("접수번호 2026-송파-000001"))
    assert done.status_code == 200
    assert done.json()["status"] == "SUCCESS"
    again = client.post(callback, json=_text("두 번째"))
    assert again.status_code == 400
    assert again.json()["message"] == "callback already used"
    texts = [b["text"] for b in client.get("/bot-songpa/messages", params={"user": USER}).json()["bubbles"]]
    assert texts == ["쓰레기 무단투기", "접수하고 있습니다", "접수번호 2026-송파-000001"]


def test_a_callback_after_the_minute_is_refused(client: TestClient, skill: tuple[SkillServer, str]) -> None:
    server, _ = skill
    server.answers.append({"version": "2.0", "useCallback": True})
    client.post("/bot-songpa/say", json={"user": USER, "text": "불법 주차"})
    callback = httpx.URL(server.requests[0].json()["userRequest"]["callbackUrl"]).path
    (stored,) = _sandbox(client).callbacks.values()
    stored.created -= kakao.CALLBACK_SECONDS + 1
    assert client.post(callback, json=_text("늦은 답")).json()["message"] == "callback expired"
    assert client.post("/callback/unknown", json=_text("?")).json()["message"] == "invalid callback token"


def test_the_event_api_shows_the_answer_in_the_users_chat(client: TestClient) -> None:
    body = {
        "event": {"name": "sotong_message", "data": {"text": "[답변] 가로등을 고쳤습니다."}},
        "user": [{"type": "botUserKey", "id": USER}],
    }
    sent = client.post("/v2/bots/bot-songpa/talk", json=body, headers={"Authorization": "KakaoAK rest-key"})
    assert sent.status_code == 200
    assert sent.json()["status"] == "SUCCESS"
    assert sent.json()["taskId"]
    (bubble,) = client.get("/bot-songpa/messages", params={"user": USER}).json()["bubbles"]
    assert (bubble["from"], bubble["text"], bubble["via"]) == ("bot", "[답변] 가로등을 고쳤습니다.", "event")
    later = client.get("/bot-songpa/messages", params={"user": USER, "after": str(bubble["id"])})
    assert later.json()["bubbles"] == []


@pytest.mark.parametrize(
    ("path", "authorization", "change", "status", "code"),
    [
        ("/v2/bots/bot-songpa/talk", "KakaoAK wrong", {}, 401, -401),
        ("/v2/bots/bot-other/talk", "KakaoAK rest-key", {}, 404, -404),
        ("/v2/bots/bot-songpa/talk", "KakaoAK rest-key", {"event": {"name": "other", "data": {"text": "x"}}}, 400, -2),
        ("/v2/bots/bot-songpa/talk", "KakaoAK rest-key", {"user": []}, 400, -2),
        ("/v2/bots/bot-songpa/talk", "KakaoAK rest-key", {"user": [{"type": "phone", "id": "1"}]}, 400, -2),
    ],
)
def test_the_event_api_refuses_as_kakao_does(
    client: TestClient, path: str, authorization: str, change: dict[str, Any], status: int, code: int
) -> None:
    body = {
        "event": {"name": "sotong_message", "data": {"text": "답변"}},
        "user": [{"type": "botUserKey", "id": USER}],
        **change,
    }
    refused = client.post(path, json=body, headers={"Authorization": authorization})
    assert (refused.status_code, refused.json()["code"]) == (status, code)
    assert _sandbox(client).chats == {}


def test_a_skill_server_that_fails_is_shown_in_the_chat(client: TestClient, bot: kakao.Bot) -> None:
    server_gone = kakao.Bot(**{**bot.__dict__, "skill_url": "http://127.0.0.1:9/hooks/kakao/7"})
    _sandbox(client).bots = lambda: [server_gone]
    client.post("/bot-songpa/say", json={"user": USER, "text": "도로 파손"})
    bubbles = client.get("/bot-songpa/messages", params={"user": USER}).json()["bubbles"]
    assert [b["from"] for b in bubbles] == ["user", "system"]
    assert bubbles[1]["text"].startswith("스킬 서버에 닿지 못했습니다")


def test_the_pages_are_korean_and_say_they_are_a_sandbox(client: TestClient) -> None:
    index = client.get("/")
    assert "연습용(샌드박스)" in index.text
    assert 'href="/bot-songpa/"' in index.text
    chat = client.get("/bot-songpa/")
    assert "송파구 카카오톡 채널" in chat.text
    assert 'src="/static/kakao.js"' in chat.text
    assert client.get("/static/kakao.js").status_code == 200
    assert client.get("/static/kakao.py").status_code == 404
    assert "그런 채널이 없습니다" in client.get("/bot-none/").text
