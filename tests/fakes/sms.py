"""A faithful fake of Naver Cloud Platform SENS (SMS v2) for one project: ``POST
/sms/v2/services/{serviceId}/messages`` signed as the API gateway checks it (``x-ncp-apigw-timestamp`` in
milliseconds within 5 minutes, ``x-ncp-iam-access-key``, ``x-ncp-apigw-signature-v2`` = base64
HMAC-SHA256 of "POST {uri}\\n{timestamp}\\n{access key}"), the message rules (SMS content <= 90 bytes and LMS
<= 2,000 bytes in EUC-KR, subject <= 40 bytes, a registered sender, digits-only recipients), 202 with a
requestId, the gateway's error bodies ``{"error": {"errorCode", "message", "details"}}`` and 429 throttling; and
the list of requests sent (``GET`` the same path with ``requestStartTime`` and ``requestEndTime``, "YYYY-MM-DD
HH:mm:ss" in Korean time, at most 30 days apart, ``pageIndex`` and ``pageSize``), signed the same way over the
path with its query string."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.fakes.server import Request, Response, serve

LIMITS = {"SMS": 90, "LMS": 2000, "MMS": 2000}
KST = dt.timezone(dt.timedelta(hours=9))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _gateway_error(status: int, code: str, message: str, details: str) -> Response:
    return Response(status, {"error": {"errorCode": code, "message": message, "details": details}})


def _refused(message: str) -> Response:
    return Response(400, {"statusCode": "400", "statusName": "fail", "errorMessage": message})


def _euckr_bytes(text: str) -> int | None:
    try:
        return len(text.encode("euc-kr"))
    except UnicodeEncodeError:
        return None


@dataclass
class FakeSens:
    service_id: str = "ncp:sms:kr:271828182845:sotong"
    access_key: str = "NCPACCESS0123456789"
    secret_key: str = "ncp-secret-key-9876543210"
    senders: frozenset[str] = frozenset({"024101234"})
    base_url: str = ""
    requests: list[Request] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # one per recipient, with type/subject/content
    throttled: bool = False
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            uri = f"/sms/v2/services/{self.service_id}/messages"
            if request.method == "GET" and request.path.startswith("/sms/v2/services/"):
                return self._get(request, uri)
            if request.method != "POST" or request.path != uri:
                return _gateway_error(404, "300", "Not Found Exception", "no such API")
            problem = self._auth_problem(request, uri)
            if problem:
                return _gateway_error(401, "200", "Authentication Failed", problem)
            if self.throttled:
                return _gateway_error(429, "420", "Rate Limited", "too many requests")
            try:
                body = json.loads(request.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return _refused("invalid JSON")
            return self._send(body)

    def _get(self, request: Request, uri: str) -> Response:
        """``GET …/messages``: the gateway checks the key and the signature (a GET is signed over its path with the
        query string), then the project; then SENS answers one request by ``requestId`` or lists by request time."""
        signed = f"{request.path}?{urlencode(request.query, doseq=True)}" if request.query else request.path
        problem = self._auth_problem(request, signed)
        if problem:
            return _gateway_error(401, "200", "Authentication Failed", problem)
        if request.path != uri:
            return _gateway_error(404, "300", "Not Found Exception", "no such service")
        if "requestId" not in request.query:
            return self._list(request.query)
        wanted = request.query["requestId"][0]
        found = [m for m in self.sent if m["requestId"] == wanted]
        if not found:
            return Response(404, {"status": 404, "errorMessage": f"requestId {wanted} not found"})
        return Response(200, {"requestId": wanted, "statusCode": "202", "statusName": "success", "messages": found})

    def _auth_problem(self, request: Request, uri: str) -> str | None:
        timestamp = request.headers.get("x-ncp-apigw-timestamp", "")
        access_key = request.headers.get("x-ncp-iam-access-key", "")
        given = request.headers.get("x-ncp-apigw-signature-v2", "")
        if not timestamp.isdigit() or not access_key or not given:
            return "Invalid authentication information."
        if abs(time.time() * 1000 - int(timestamp)) > 5 * 60 * 1000:
            return "The timestamp is more than 5 minutes off."
        if access_key != self.access_key:
            return "Invalid access key."
        message = f"{request.method} {uri}\n{timestamp}\n{access_key}"
        expected = base64.b64encode(hmac.new(self.secret_key.encode(), message.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(given.encode(), expected):
            return "The signature does not match."
        return None

    def _send(self, body: dict[str, Any]) -> Response:
        kind = body.get("type")
        if kind not in LIMITS:
            return _refused(f"type must be SMS, LMS or MMS, not {kind!r}")
        if body.get("from") not in self.senders:
            return _refused(f"the sender {body.get('from')!r} is not registered")
        messages = body.get("messages")
        if not isinstance(messages, list) or not 1 <= len(messages) <= 100:
            return _refused("messages must hold 1-100 items")
        subject = body.get("subject")
        if subject is not None and (kind == "SMS" or (_euckr_bytes(subject) or 99) > 40):
            return _refused("subject: LMS/MMS only, at most 40 bytes")
        sent = []
        for message in messages:
            to = message.get("to")
            if not isinstance(to, str) or not to.isdigit():
                return _refused(f"to must be digits only, not {to!r}")
            content = message.get("content", body.get("content"))
            size = _euckr_bytes(content) if isinstance(content, str) else None
            if size is None:
                return _refused("content is missing or not encodable in EUC-KR")
            if size > LIMITS[kind]:
                return _refused(f"{kind} content is {size} bytes; at most {LIMITS[kind]}")
            sent.append({"type": kind, "to": to, "from": body["from"], "subject": subject, "content": content})
        request_id = f"RSSA-{next(self._ids):06d}"
        at = dt.datetime.now(KST).strftime(TIME_FORMAT)
        self.sent.extend({**m, "requestId": request_id, "requestTime": at} for m in sent)
        return Response(
            202,
            {
                "requestId": request_id,
                "requestTime": "2026-11-22T13:00:00.000",
                "statusCode": "202",
                "statusName": "success",
            },
        )

    def _list(self, query: dict[str, list[str]]) -> Response:
        """The requests sent between requestStartTime and requestEndTime, a page at a time, oldest first."""
        try:
            start = dt.datetime.strptime(query["requestStartTime"][0], TIME_FORMAT)
            end = dt.datetime.strptime(query["requestEndTime"][0], TIME_FORMAT)
            page = int(query.get("pageIndex", ["0"])[0])
            size = int(query.get("pageSize", ["20"])[0])
        except (KeyError, ValueError):
            return _refused("requestId, or requestStartTime and requestEndTime (YYYY-MM-DD HH:mm:ss), are required")
        if not dt.timedelta(0) <= end - start <= dt.timedelta(days=30) or not 1 <= size <= 100 or page < 0:
            return _refused("the period must be at most 30 days, pageSize 1-100")
        found = [m for m in self.sent if start <= dt.datetime.strptime(m["requestTime"], TIME_FORMAT) <= end]
        items = found[page * size : (page + 1) * size]
        messages = [
            {
                "requestId": m["requestId"],
                "messageId": f"{m['requestId']}-{m['to']}",
                "requestTime": m["requestTime"],
                "contentType": "COMM",
                "type": m["type"],
                "countryCode": "82",
                "from": m["from"],
                "to": m["to"],
                "content": m["content"],
                "status": "COMPLETED",
                "statusName": "success",
            }
            for m in items
        ]
        return Response(
            200,
            {
                "statusCode": "200",
                "statusName": "success",
                "pageIndex": page,
                "pageSize": size,
                "itemCount": len(messages),
                "hasMore": len(found) > (page + 1) * size,
                "messages": messages,
            },
        )


@contextmanager
def running() -> Iterator[FakeSens]:
    fake = FakeSens()
    with serve(fake) as base_url:
        fake.base_url = base_url
        yield fake
