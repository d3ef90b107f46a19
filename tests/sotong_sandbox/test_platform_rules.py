"""The newer sandboxes keep their platforms' rules, so a practice centre meets the refusals the real platforms give:
Graph's tokens, proofs and Messenger window, TalkTalk's result codes, Mastodon's Idempotency-Key, SENS's signature
and carrier limits, and the mail servers' logins. Each sandbox alone, against a recorder of what it delivers."""

from __future__ import annotations

import hashlib
import hmac
import imaplib
import smtplib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from starlette.testclient import TestClient

from sotong_sandbox import facebook, mail, mastodon, naver, sms
from tests.fakes.server import Request, Response, serve
from tests.mailservers import free_port


@dataclass
class Receiver:
    """The product's webhook, as far as a sandbox can tell: it records and answers 200."""

    requests: list[Request] = field(default_factory=list)

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        return Response(200, {"stored": 1})


@pytest.fixture(scope="module")
def hook() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with serve(receiver) as url:
        yield receiver, url


def test_graph_signs_its_webhooks_and_refuses_as_graph_does(hook: tuple[Receiver, str]) -> None:
    receiver, url = hook
    page = facebook.Page("104857600123456", "송파구청", "page-token", "app-secret", f"{url}/hooks/facebook/3")
    client = TestClient(facebook.create_app(lambda: [page]))
    posted = client.post(f"/{page.page_id}/post", json={"name": "김민지", "text": "가로등이 꺼졌어요"}).json()
    delivery = receiver.requests[-1]
    expected = "sha256=" + hmac.new(b"app-secret", delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["x-hub-signature-256"] == expected  # hex over the raw body
    value = delivery.json()["entry"][0]["changes"][0]["value"]
    assert value["comment_id"] == posted["comment"]["id"] and value["parent_id"] == f"{page.page_id}_1"

    graph = "/graph/v21.0"
    assert client.get(f"{graph}/me", params={"access_token": "wrong"}).json()["error"]["code"] == 190
    proof = hmac.new(b"app-secret", b"page-token", hashlib.sha256).hexdigest()
    assert client.get(f"{graph}/me", params={"access_token": "page-token", "appsecret_proof": proof}).json() == {
        "id": page.page_id,
        "name": "송파구청",
    }
    bad = client.get(f"{graph}/me", params={"access_token": "page-token", "appsecret_proof": "0" * 64}).json()
    assert "appsecret_proof" in bad["error"]["message"]
    gone = client.post(f"{graph}/1_404/comments", params={"access_token": "page-token"}, data={"message": "답"})
    assert gone.json()["error"]["error_subcode"] == 33
    # A reply to a reply lands under the top-level comment (two levels deep).
    first = client.post(
        f"{graph}/{posted['comment']['id']}/comments", params={"access_token": "page-token"}, data={"message": "접수"}
    ).json()["id"]
    client.post(f"{graph}/{first}/comments", params={"access_token": "page-token"}, data={"message": "답변"})
    thread = client.get(f"{graph}/{posted['comment']['id']}/comments", params={"access_token": "page-token"})
    assert [c["message"] for c in thread.json()["data"]] == ["접수", "답변"]


def test_messenger_answers_within_the_window_and_refuses_after_it(hook: tuple[Receiver, str]) -> None:
    _, url = hook
    page = facebook.Page("104857600123456", "송파구청", "page-token", "app-secret", f"{url}/hooks/facebook/3")
    app = facebook.create_app(lambda: [page])
    client = TestClient(app)
    client.post(f"/{page.page_id}/messenger/say", json={"user": "7001", "text": "쓰레기가 쌓여 있어요"})
    send = f"/graph/v21.0/{page.page_id}/messages"
    body = {"recipient": {"id": "7001"}, "messaging_type": "RESPONSE", "message": {"text": "접수했습니다"}}
    assert client.post(send, params={"access_token": "page-token"}, json=body).json()["message_id"]
    sandbox: facebook.FacebookSandbox = app.state.sandbox
    sandbox.last_message_at[(page.page_id, "7001")] = time.time() - 2 * facebook.DAY  # two days of silence
    late = client.post(send, params={"access_token": "page-token"}, json=body).json()["error"]
    assert (late["code"], late["error_subcode"]) == (10, 2018278)
    tagged = {**body, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    assert client.post(send, params={"access_token": "page-token"}, json=tagged).json()["message_id"]
    bot = [b["text"] for b in sandbox.chats.chat(page.page_id, "7001") if b["from"] == "bot"]
    assert bot == ["접수했습니다", "접수했습니다"]


def test_talktalk_sends_events_and_answers_with_result_codes(hook: tuple[Receiver, str]) -> None:
    receiver, url = hook
    partner = naver.Partner("9", "마포구 톡톡", f"{url}/hooks/naver/9?token=t", "talk-key")
    client = TestClient(naver.create_app(lambda: [partner]))
    client.post("/9/say", json={"user": "u1", "text": "불법 주차 신고합니다"})
    event = receiver.requests[-1]
    assert event.query == {"token": ["t"]}
    assert event.json() == {
        "event": "send",
        "user": "u1",
        "textContent": {"text": "불법 주차 신고합니다", "inputType": "typing"},
    }

    def push(key: str, body: object) -> str:
        answer = client.post("/chatbot/v1/event", json=body, headers={"Authorization": key})
        assert answer.status_code == 200  # TalkTalk answers 200 and says what went wrong in the body
        return str(answer.json()["resultCode"])

    text = {"event": "send", "user": "u1", "textContent": {"text": "접수했습니다"}}
    assert push("wrong", text) == "01"
    assert push("talk-key", {"event": "send"}) == "02"
    assert push("talk-key", text) == "00"

    # Quick replies: shown under the bubble when shaped as TalkTalk takes them; a press sends the button's code.
    buttons = [{"type": "TEXT", "data": {"title": "공개", "code": "c:public"}}]
    asked = {
        "event": "send",
        "user": "u1",
        "textContent": {"text": "공개할까요?", "quickReply": {"buttonList": buttons}},
    }
    assert push("talk-key", asked) == "00"
    unshaped = {**asked, "textContent": {"text": "공개할까요?", "quickReply": {"buttonList": [{"title": "공개"}]}}}
    assert push("talk-key", unshaped) == "02"
    bubbles = client.get("/9/messages", params={"user": "u1"}).json()["bubbles"]
    assert bubbles[-1]["buttons"] == [{"title": "공개", "code": "c:public"}]
    client.post("/9/say", json={"user": "u1", "text": "공개", "code": "c:public"})
    pressed = receiver.requests[-1].json()["textContent"]
    assert pressed == {"text": "공개", "code": "c:public", "inputType": "button"}


def test_mastodon_keeps_an_idempotency_key_and_answers_a_dm_directly() -> None:
    official = mastodon.Official("songpa", "송파구청", "m-token")
    client = TestClient(mastodon.create_app(lambda: [official]))
    auth = {"Authorization": "Bearer m-token"}
    mention = client.post(
        "/post", json={"username": "minji", "text": "@songpa 비공개로 신고합니다", "visibility": "direct"}
    )
    status_id = mention.json()["status"]["id"]
    (notification,) = client.get("/api/v1/notifications", params={"types[]": "mention"}, headers=auth).json()
    assert notification["status"]["visibility"] == "direct" and "<p>" in notification["status"]["content"]
    form = {"status": "@minji 접수했습니다", "in_reply_to_id": status_id, "visibility": "direct"}
    first = client.post("/api/v1/statuses", data=form, headers={**auth, "Idempotency-Key": "k1"}).json()
    again = client.post("/api/v1/statuses", data=form, headers={**auth, "Idempotency-Key": "k1"}).json()
    assert first["id"] == again["id"]  # a retry after a lost answer posts nothing new
    assert client.get("/api/v1/notifications", headers={"Authorization": "Bearer wrong"}).status_code == 401


def _signed(service: sms.Service, method: str, uri: str) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000))
    signature = sms.sens_signature(
        service.secret_key, method=method, uri=uri, timestamp=timestamp, access_key=service.access_key
    )
    return {
        "x-ncp-apigw-timestamp": timestamp,
        "x-ncp-iam-access-key": service.access_key,
        "x-ncp-apigw-signature-v2": signature,
    }


def test_sens_checks_the_signature_and_the_carriers_limits(hook: tuple[Receiver, str]) -> None:
    receiver, url = hook
    service = sms.Service("4", "송파구 문자", "ncp:sms:kr:1:s", "AK", "SK", "0270001234", f"{url}/hooks/sms/4", "in-t")
    client = TestClient(sms.create_app(lambda: [service]))
    uri = "/sms/v2/services/ncp:sms:kr:1:s/messages"
    message = {"type": "SMS", "from": "0270001234", "content": "접수했습니다", "messages": [{"to": "01055551234"}]}
    unsigned = client.post(
        uri, json=message, headers={**_signed(service, "POST", uri), "x-ncp-apigw-signature-v2": "x"}
    )
    assert unsigned.status_code == 401
    sent = client.post(uri, json=message, headers=_signed(service, "POST", uri))
    assert sent.status_code == 202 and sent.json()["statusName"] == "success"
    request_id = sent.json()["requestId"]
    for refused in (
        {**message, "content": "이모지 🙂"},  # not in EUC-KR
        {**message, "content": "가" * 46},  # 92 bytes: an LMS, not an SMS
        {**message, "type": "LMS", "subject": "가" * 21},  # a subject over 40 bytes
        {**message, "from": "0212345678"},  # not the registered number
    ):
        assert client.post(uri, json=refused, headers=_signed(service, "POST", uri)).status_code == 400
    read = f"{uri}?requestId={request_id}"
    assert client.get(read, headers=_signed(service, "GET", read)).json()["messages"][0]["to"] == "01055551234"
    # The citizen's text goes to the reply webhook with the account's token.
    client.post("/4/say", json={"user": "010-5555-1234", "text": "답장입니다"})
    reply = receiver.requests[-1]
    assert reply.headers["x-sms-token"] == "in-t" and reply.json()["from"] == "01055551234"


def test_the_mail_servers_log_in_the_mailbox_only_and_deliver_what_smtp_takes() -> None:
    box = mail.Mailbox("minwon@songpa.example", "송파구", "imap-pass", "127.0.0.1", free_port(), free_port())
    app = mail.create_app(lambda: [box])
    sandbox: mail.MailSandbox = app.state.sandbox
    sandbox.ensure_started()
    conn = imaplib.IMAP4("127.0.0.1", box.imap_port, timeout=10)
    with pytest.raises(imaplib.IMAP4.error):
        conn.login("minwon@songpa.example", "wrong")
    conn.login("minwon@songpa.example", "imap-pass")
    sandbox.deliver(box.address, b"Subject: one\r\n\r\nfirst\r\n")
    sandbox.deliver(box.address, b"Subject: two\r\n\r\nsecond\r\n")
    assert conn.select("INBOX", readonly=True)[0] == "OK"
    assert conn.uid("SEARCH", "UID", "5:*")[1] == [b"2"]  # n:* always holds the newest (RFC 3501)
    fetched = conn.uid("FETCH", "1,2", "(UID INTERNALDATE BODY.PEEK[])")[1]
    assert [item[1] for item in fetched if isinstance(item, tuple)][1].endswith(b"second\r\n")
    conn.logout()
    answer = EmailMessage()
    answer["From"], answer["To"], answer["Subject"] = box.address, "minji@example.com", "Re: 보도블럭"
    # Quoted-printable keeps the line starting with a dot a line SMTP must dot-stuff, and the server unstuff.
    answer.set_content("답변입니다.\n.점으로 시작하는 줄\n", charset="utf-8", cte="quoted-printable")
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=10) as server:
        server.send_message(answer)
    (received,) = TestClient(app).get("/inbox", params={"user": "minji@example.com"}).json()["mails"]
    assert received["subject"] == "Re: 보도블럭" and received["text"] == "답변입니다.\n.점으로 시작하는 줄"
    sandbox.stop()
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=2)
