"""An SMS sandbox: a phone's message screen, the Naver Cloud SENS API the product sends through, and a two-way
gateway delivering the citizen's texts to the product's reply webhook.

Out: ``POST /sms/v2/services/{serviceId}/messages`` signed as SENS wants (``x-ncp-apigw-timestamp``,
``x-ncp-iam-access-key``, ``x-ncp-apigw-signature-v2``: base64 HMAC-SHA256 of "POST uri\\ntimestamp\\naccess key"
with the secret key), answered ``202`` with a ``requestId``; ``GET …/messages?requestId=`` reads a request's
messages back. SENS itself delivers no replies; the sandbox plays the two-way (양방향) gateway the product's SMS
webhook takes: ``POST`` the account's reply URL with ``X-Sms-Token`` and ``{"id", "from", "text", "received_at"}``.
Texts go out as carriers carry them: EUC-KR, 90 bytes an SMS, 2,000 an LMS. State lives in the process.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sotong_sandbox import common

LIMITS = {"SMS": 90, "LMS": 2000}  # EUC-KR bytes
SUBJECT_BYTES = 40
CLOCK_SKEW_MS = 5 * 60 * 1000  # SENS refuses a request more than 5 minutes off its clock
WEBHOOK_SECONDS = 30.0  # a fresh app loads its models on the first intake
MOBILE = re.compile(r"^01[016789]\d{7,8}$")


@dataclass(frozen=True)
class Service:
    """An SMS account: its SENS project and keys, its sender number, and where the citizens' texts go."""

    key: str  # how the sandbox's pages name it (the product's account id)
    name: str
    service_id: str
    access_key: str
    secret_key: str
    from_number: str  # digits
    inbound_url: str
    inbound_token: str


def sens_signature(secret_key: str, *, method: str, uri: str, timestamp: str, access_key: str) -> str:
    message = f"{method} {uri}\n{timestamp}\n{access_key}"
    return base64.b64encode(hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()).decode()


def gateway_error(status: int, code: str, message: str) -> JSONResponse:
    """The NCP API gateway's error body."""
    return JSONResponse({"error": {"errorCode": code, "message": message}}, status_code=status)


def sens_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": status, "errorMessage": message}, status_code=status)


def euc_kr_length(text: str) -> int | None:
    try:
        return len(text.encode("euc-kr"))
    except UnicodeEncodeError:
        return None


@dataclass
class SmsSandbox:
    services: Callable[[], list[Service]]
    chats: common.Chats = field(default_factory=common.Chats)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)  # by requestId
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def service(self, key: str) -> Service | None:
        return next((s for s in self.services() if s.key == key), None)

    def text_in(self, service: Service, phone: str, text: str) -> None:
        """The citizen's text to the account's number, delivered to the product's reply webhook."""
        self.chats.add(service.key, phone, "user", text, "user")
        with self._lock:
            message_id = f"sandbox-{next(self._ids)}-{uuid.uuid4().hex[:8]}"
        body = {
            "id": message_id,
            "from": phone,
            "text": text,
            "received_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        try:
            response = httpx.post(
                service.inbound_url,
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json", "X-Sms-Token": service.inbound_token},
                timeout=WEBHOOK_SECONDS,
            )
        except httpx.HTTPError as exc:
            self.chats.add(
                service.key, phone, "system", f"문자 수신 주소에 닿지 못했습니다 ({type(exc).__name__})", "error"
            )
            return
        if not response.is_success:
            self.chats.add(
                service.key, phone, "system", f"문자 수신이 거절되었습니다: HTTP {response.status_code}", "error"
            )

    def signed_by(self, method: str, uri: str, headers: dict[str, str]) -> Service | JSONResponse:
        """The account whose access key signed the request (the API gateway's check), or the gateway's refusal."""
        access_key = headers.get("x-ncp-iam-access-key", "")
        timestamp = headers.get("x-ncp-apigw-timestamp", "")
        service = next((s for s in self.services() if s.access_key == access_key), None)
        if service is None:
            return gateway_error(401, "200", "Authentication Failed")
        if not timestamp.isdigit() or abs(int(timestamp) - int(time.time() * 1000)) > CLOCK_SKEW_MS:
            return gateway_error(401, "210", "Timestamp is invalid or expired")
        expected = sens_signature(
            service.secret_key, method=method, uri=uri, timestamp=timestamp, access_key=access_key
        )
        if not hmac.compare_digest(headers.get("x-ncp-apigw-signature-v2", ""), expected):
            return gateway_error(401, "200", "Authentication Failed")
        return service

    def send(self, service_id: str, headers: dict[str, str], body: Any) -> JSONResponse:
        """SENS's send API: the key and signature checked first, then the message as carriers would take it."""
        service = self.signed_by("POST", f"/sms/v2/services/{service_id}/messages", headers)
        if isinstance(service, JSONResponse):
            return service
        if service.service_id != service_id:
            return gateway_error(404, "300", "Not Found Exception")
        if not isinstance(body, dict):
            return sens_error(400, "Invalid request body")
        kind, content, sender = body.get("type"), body.get("content"), str(body.get("from") or "")
        messages = body.get("messages")
        if kind not in LIMITS or not isinstance(content, str) or not isinstance(messages, list) or not messages:
            return sens_error(400, "type, content and messages are required")
        if sender != service.from_number:
            return sens_error(400, "from: not a registered sender number")
        size = euc_kr_length(content)
        if size is None or size > LIMITS[kind]:
            return sens_error(400, f"content: more than {LIMITS[kind]} bytes, or characters outside EUC-KR")
        subject = body.get("subject")
        if subject is not None and (
            kind != "LMS" or (euc_kr_length(str(subject)) or SUBJECT_BYTES + 1) > SUBJECT_BYTES
        ):
            return sens_error(400, "subject: LMS only, at most 40 bytes")
        numbers = [str((m or {}).get("to") or "") for m in messages if isinstance(m, dict)]
        if len(numbers) != len(messages) or any(not MOBILE.match(n) for n in numbers):
            return sens_error(400, "messages[].to: not a mobile number")
        request_id = f"RSSA-{int(time.time() * 1000)}-{uuid.uuid4().hex[:4].upper()}"
        shown = f"[{subject}]\n{content}" if subject else content
        for number in numbers:
            self.chats.add(service.key, number, "bot", shown, kind)
        with self._lock:
            self.requests[request_id] = {
                "service_id": service_id,
                "messages": [
                    {
                        "messageId": f"{request_id}-{n}",
                        "requestTime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                        "contentType": "COMM",
                        "countryCode": "82",
                        "from": sender,
                        "to": number,
                        "statusCode": "success",
                        "statusName": "success",
                    }
                    for n, number in enumerate(numbers)
                ],
            }
        return JSONResponse(
            {
                "requestId": request_id,
                "requestTime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000"),
                "statusCode": "202",
                "statusName": "success",
            },
            status_code=202,
        )


def create_app(services: Callable[[], list[Service]]) -> Starlette:
    """The sandbox as an ASGI app, to mount at a path (its pages and its SENS API answer under it)."""
    sandbox = SmsSandbox(services=services)

    def index(request: Request) -> Response:
        base = common.root(request)
        links = "".join(
            f'<li><a href="{base}/{html.escape(s.key)}/">{html.escape(s.name)} ({html.escape(s.from_number)})</a></li>'
            for s in sandbox.services()
        )
        body = (
            f"{common.BADGE}<h1>문자 연습장</h1>"
            "<p>실제 휴대전화 대신 이 컴퓨터 안에서 돌아가는 연습용 문자 화면입니다. 기관 번호를 골라 문자로 민원을 "
            "보내 보세요. 웹 민원에 휴대전화 번호를 남겼다면, 그 번호로 열면 기관이 보낸 문자가 보입니다.</p>"
            + (f"<ul>{links}</ul>" if links else "<p>연습용 문자 계정이 없습니다.</p>")
        )
        return common.page("문자 연습장", body, root=base)

    def phone_page(request: Request) -> Response:
        service = sandbox.service(request.path_params["key"])
        base = common.root(request)
        if service is None:
            return common.page("찾을 수 없음", "<h1>그런 문자 계정이 없습니다.</h1>", root=base)
        body = (
            f"{common.BADGE}<h1>{html.escape(service.name)} "
            f"<small>{html.escape(service.from_number)}</small></h1>"
            + common.chat_window(
                base=f"{base}/{service.key}",
                storage="sms-phone",
                new_user="0105555####",
                theme="phone",
                hint="보낸 문자는 소통의 민원함에 도착합니다. 직원이 답변하면 이 화면에 문자로 나타납니다. "
                "다른 번호의 화면은 주소 끝에 ?user=01012345678 처럼 붙여 여세요.",
                placeholder="문자 내용을 입력하세요",
            )
        )
        return common.page(f"{service.name} - 문자 연습장", body, root=base, script="chat.js")

    async def say(request: Request) -> Response:
        service = sandbox.service(request.path_params["key"])
        if service is None:
            return JSONResponse({"error": "그런 문자 계정이 없습니다."}, status_code=404)
        data = await request.json()
        phone, text = re.sub(r"\D", "", str(data.get("user") or "")), str(data.get("text") or "").strip()
        if not MOBILE.match(phone) or not text:
            return JSONResponse({"error": "휴대전화 번호와 문자 내용을 넣어 주세요."}, status_code=400)
        # The webhook may be this very process: the delivery waits in a thread, not in the event loop.
        await run_in_threadpool(sandbox.text_in, service, phone, text[:1000])
        return JSONResponse({"bubbles": sandbox.chats.chat(service.key, phone)})

    def messages(request: Request) -> Response:
        phone = re.sub(r"\D", "", request.query_params.get("user", ""))
        return JSONResponse(
            {"bubbles": sandbox.chats.chat(request.path_params["key"], phone, common.after_id(request))}
        )

    async def sens_send(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        return sandbox.send(request.path_params["service_id"], dict(request.headers), body)

    def sens_results(request: Request) -> Response:
        service_id = request.path_params["service_id"]
        uri = f"/sms/v2/services/{service_id}/messages?{request.url.query}"
        service = sandbox.signed_by("GET", uri, dict(request.headers))
        if isinstance(service, JSONResponse):
            return service
        if service.service_id != service_id:
            return gateway_error(404, "300", "Not Found Exception")
        found = sandbox.requests.get(request.query_params.get("requestId", ""))
        if found is None or found["service_id"] != service_id:
            return sens_error(404, "Not Found Exception: no such request")
        return JSONResponse({"requestId": request.query_params["requestId"], "statusCode": "202",
                             "statusName": "success", "messages": found["messages"]})  # fmt: skip

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/static/{name}", common.static_files("chat.js")),
            Route("/sms/v2/services/{service_id}/messages", sens_send, methods=["POST"]),
            Route("/sms/v2/services/{service_id}/messages", sens_results),
            Route("/{key}/", phone_page),
            Route("/{key}/say", say, methods=["POST"]),
            Route("/{key}/messages", messages),
        ]
    )
    app.state.sandbox = sandbox
    return app


__all__ = ["Service", "SmsSandbox", "create_app", "sens_signature"]
