"""SMS gateways: one interface, the Naver Cloud SENS adapter and a test gateway.

A gateway sends one message to one number and returns the gateway's id for it. One that delivers
citizens' replies (two-way) also verifies and parses its inbound webhook; SENS does not deliver replies.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from sotong.cases.inbound import InboundMessage
from sotong.channels.base import (
    ChannelError,
    MalformedPayload,
    ProbeError,
    SignatureError,
    constant_time_equal,
    json_body,
    network_error,
    required,
)
from sotong.channels.sms.text import SmsMessage
from sotong.db import utcnow
from sotong.outbox.transports import UNSETTLED, Settlement, retry_after
from sotong.settings import Environment, get_settings

TIMEOUT = httpx.Timeout(10.0)
DEFAULT_THROTTLE_SECONDS = 60.0
KOREAN_MOBILE = re.compile(r"^01[016789]\d{7,8}$")
KST = dt.timezone(dt.timedelta(hours=9))
# Asking SENS what it has (settling a send a crash interrupted): requests this long either side of the attempt
# (clocks drift, a worker may have waited long before it was killed), 100 a page, at most this many pages.
SETTLE_MARGIN = dt.timedelta(hours=1)
SETTLE_PAGE_SIZE = 100
SETTLE_MAX_PAGES = 50


def normalise_number(number: str) -> str:
    """A Korean mobile number as digits only (010XXXXXXXX), from "+82 10-1234-5678" or "010-1234-5678"."""
    digits = re.sub(r"\D", "", number or "")
    if digits.startswith("82") and len(digits) >= 11:
        digits = "0" + digits[2:]
    if not KOREAN_MOBILE.match(digits):
        raise ChannelError(f"sms: {number!r} is not a Korean mobile number", permanent=True)
    return digits


class SmsGateway(ABC):
    """Sends text messages; a two-way gateway also takes the citizens' replies in by webhook."""

    name: ClassVar[str]
    # What the gateway carries: "euc-kr" (Korean carriers' SMS/LMS; anything else is replaced) or "utf-8".
    charset: ClassVar[str] = "euc-kr"

    @abstractmethod
    def send(self, config: Mapping[str, Any], *, to: str, message: SmsMessage) -> str:
        """Hand one message for `to` (digits only) to the gateway; returns its id. Raises ChannelError."""

    def settle(
        self,
        config: Mapping[str, Any],
        *,
        to: str,
        message: SmsMessage,
        started_at: dt.datetime,
        taken: Callable[[Sequence[str]], set[str]],
    ) -> Settlement:
        """Whether the gateway took `message` for `to` from an attempt that began at `started_at` and whose outcome
        a crash lost. `taken` says which of the gateway's ids are already recorded for other deliveries. The default
        cannot ask: the delivery is shown as "outcome unknown" for a person."""
        return UNSETTLED

    def probe(self, config: Mapping[str, Any]) -> None:
        """Ask the gateway whether the account's keys work, sending nothing; raise ProbeError saying what is wrong."""
        raise ProbeError("channels.probe.unsupported")

    def verify_inbound(self, config: Mapping[str, Any], *, headers: Mapping[str, str], body: bytes) -> None:
        """Check an inbound (reply) webhook; gateways without replies refuse every one."""
        raise SignatureError(f"sms: the {self.name} gateway delivers no replies", missing=True)

    def parse_inbound(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """A reply webhook's messages (two-way gateways only)."""
        raise MalformedPayload(f"sms: the {self.name} gateway delivers no replies")


class SensGateway(SmsGateway):
    """Naver Cloud Platform SENS: ``POST /sms/v2/services/{serviceId}/messages``, signed with the access key.

    Config: ``service_id``, ``access_key``, ``secret_key``, ``from_number`` (a sender number registered at
    SENS), ``api_url``: public bodies are on NCP Gov, whose host is ``https://sens.apigw.gov-ntruss.com`` (the
    default); a body on the commercial platform sets ``https://sens.apigw.ntruss.com``. SENS sends only: citizens'
    replies never reach us through it, so an account on SENS alone is outbound-only.
    """

    name: ClassVar[str] = "sens"
    DEFAULT_API_URL: ClassVar[str] = "https://sens.apigw.gov-ntruss.com"
    COMMERCIAL_API_URL: ClassVar[str] = "https://sens.apigw.ntruss.com"

    @staticmethod
    def signature(secret_key: str, *, method: str, uri: str, timestamp: str, access_key: str) -> str:
        """x-ncp-apigw-signature-v2: base64 HMAC-SHA256 of "METHOD URI\\nTIMESTAMP\\nACCESSKEY"."""
        message = f"{method} {uri}\n{timestamp}\n{access_key}"
        digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def probe(self, config: Mapping[str, Any]) -> None:
        """Read the results of a request id that does not exist (``GET …/messages?requestId=``), signed like a send:
        the API gateway checks the access key and signature (401) and the project (404 Not Found Exception) before
        SENS looks for the request, so any other answer means the keys and the project are right. Nothing is sent.
        """
        service_id = str(config.get("service_id") or "").strip()
        access_key = str(config.get("access_key") or "").strip()
        secret_key = str(config.get("secret_key") or "").strip()
        if not service_id or not access_key or not secret_key:
            raise ProbeError("channels.probe.sms.no_key")
        if not re.sub(r"\D", "", str(config.get("from_number") or "")):
            raise ProbeError("channels.probe.sms.no_sender")
        base = str(config.get("api_url") or self.DEFAULT_API_URL).rstrip("/")
        uri = f"/sms/v2/services/{service_id}/messages?requestId=sotong-connection-check"
        timestamp = str(int(time.time() * 1000))
        headers = {
            "x-ncp-apigw-timestamp": timestamp,
            "x-ncp-iam-access-key": access_key,
            "x-ncp-apigw-signature-v2": self.signature(
                secret_key, method="GET", uri=uri, timestamp=timestamp, access_key=access_key
            ),
        }
        try:
            response = httpx.get(base + uri, headers=headers, timeout=TIMEOUT, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise ProbeError("channels.probe.unreachable", f"{type(exc).__name__}: {exc}") from exc
        data = _json(response)
        if response.status_code in (401, 403):
            raise ProbeError("channels.probe.sms.bad_key", response.text[:200])
        if response.status_code == 404 and isinstance(data.get("error"), dict):
            raise ProbeError("channels.probe.sms.bad_service", response.text[:200])
        if response.status_code == 429:
            raise ProbeError("channels.probe.rate_limited")
        if response.status_code >= 500:
            raise ProbeError("channels.probe.failed", f"HTTP {response.status_code}")

    def send(self, config: Mapping[str, Any], *, to: str, message: SmsMessage) -> str:
        """Send one SMS or LMS; returns SENS's requestId (delivery itself is reported later, per message)."""
        service_id = required(config, "service_id", "sms")
        access_key = required(config, "access_key", "sms")
        secret_key = required(config, "secret_key", "sms")
        sender = re.sub(r"\D", "", required(config, "from_number", "sms"))
        base = str(config.get("api_url") or self.DEFAULT_API_URL).rstrip("/")
        uri = f"/sms/v2/services/{service_id}/messages"
        # Milliseconds since the epoch; SENS refuses a request more than 5 minutes off its clock.
        timestamp = str(int(time.time() * 1000))
        body: dict[str, Any] = {
            "type": message.type,
            "contentType": "COMM",
            "countryCode": "82",
            "from": sender,
            "content": message.content,
            "messages": [{"to": to}],
        }
        if message.subject:
            body["subject"] = message.subject
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "x-ncp-apigw-timestamp": timestamp,
            "x-ncp-iam-access-key": access_key,
            "x-ncp-apigw-signature-v2": self.signature(
                secret_key, method="POST", uri=uri, timestamp=timestamp, access_key=access_key
            ),
        }
        try:
            response = httpx.post(
                base + uri,
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers=headers,
                timeout=TIMEOUT,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise network_error("sms", exc) from exc
        data = _json(response)
        if response.status_code == 202 and data.get("statusName") == "success":
            return str(data.get("requestId") or "")
        raise _sens_error(response, data)

    def _headers(self, config: Mapping[str, Any], *, method: str, uri: str) -> dict[str, str]:
        access_key = required(config, "access_key", "sms")
        secret_key = required(config, "secret_key", "sms")
        timestamp = str(int(time.time() * 1000))
        return {
            "x-ncp-apigw-timestamp": timestamp,
            "x-ncp-iam-access-key": access_key,
            "x-ncp-apigw-signature-v2": self.signature(
                secret_key, method=method, uri=uri, timestamp=timestamp, access_key=access_key
            ),
        }

    def settle(
        self,
        config: Mapping[str, Any],
        *,
        to: str,
        message: SmsMessage,
        started_at: dt.datetime,
        taken: Callable[[Sequence[str]], set[str]],
    ) -> Settlement:
        """SENS keeps the requests it accepted for 90 days and lists them by request time (``GET
        /sms/v2/services/{serviceId}/messages?requestStartTime=&requestEndTime=``, Korean time): the attempt
        reached SENS if a request to `to` with this very content, not recorded for another delivery, is listed
        around `started_at` (sent, with its requestId); if none is, SENS never took it (safe to send). A refusal,
        an unreadable page or more requests than we page through leave it unknown."""
        service_id = required(config, "service_id", "sms")
        base = str(config.get("api_url") or self.DEFAULT_API_URL).rstrip("/")
        path = f"/sms/v2/services/{service_id}/messages"
        start = (started_at - SETTLE_MARGIN).astimezone(KST).strftime("%Y-%m-%d %H:%M:%S")
        end_at = max(started_at, dt.datetime.now(dt.UTC)) + SETTLE_MARGIN
        end = end_at.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S")
        found: list[str] = []
        for page in range(SETTLE_MAX_PAGES):
            query = urlencode(
                {"requestStartTime": start, "requestEndTime": end, "pageIndex": page, "pageSize": SETTLE_PAGE_SIZE}
            )
            uri = f"{path}?{query}"
            try:
                response = httpx.get(base + uri, headers=self._headers(config, method="GET", uri=uri), timeout=TIMEOUT)
            except httpx.HTTPError:
                return UNSETTLED
            data = _json(response)
            listed = data.get("messages")
            if response.status_code != 200 or not isinstance(listed, list):
                return UNSETTLED
            for item in listed:
                if not isinstance(item, dict) or re.sub(r"\D", "", str(item.get("to") or "")) != to:
                    continue
                if "content" in item and item["content"] != message.content:
                    continue
                if item.get("requestId"):
                    found.append(str(item["requestId"]))
            if len(listed) < SETTLE_PAGE_SIZE and not data.get("hasMore"):
                break
        else:
            return UNSETTLED  # more requests in the window than we read: cannot say "not there"
        recorded = taken(found) if found else set()
        ours = [request_id for request_id in found if request_id not in recorded]
        return Settlement(sent=True, external_ref=ours[0]) if ours else Settlement(sent=False)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _sens_error(response: httpx.Response, data: dict[str, Any]) -> ChannelError:
    """SENS and its API gateway as a ChannelError: throttling waits, 5xx retries, the rest is final."""
    error: dict[str, Any] = data["error"] if isinstance(data.get("error"), dict) else {}
    code = error.get("errorCode") or data.get("statusCode") or ""
    detail = error.get("message") or data.get("errorMessage") or data.get("statusName") or response.text[:200]
    if error.get("details"):
        detail = f"{detail} ({error['details']})"
    reason = f"sms: SENS HTTP {response.status_code} {code}: {detail}"
    if response.status_code == 429:
        return ChannelError(
            reason, retry_after=retry_after(response.headers.get("retry-after"), DEFAULT_THROTTLE_SECONDS)
        )
    if response.status_code >= 500:
        return ChannelError(reason)
    # 400 a refused message, 401 a bad signature or key, 403 no permission, 404 an unknown service.
    return ChannelError(reason, permanent=True)


@dataclass(frozen=True)
class SentSms:
    """A message the test gateway accepted."""

    id: str
    to: str
    message: SmsMessage
    sender: str


class TestGateway(SmsGateway):
    """Development and tests: keeps what it "sends" in memory, and takes replies at the inbound webhook.

    Config: ``from_number``; ``inbound_token`` (checked against the ``X-Sms-Token`` header of replies);
    ``fail_with`` ("permanent" or "retry") makes every send fail that way.
    Replies: ``{"id": ..., "from": "010...", "text": ..., "received_at": ISO 8601 (optional)}``.
    """

    __test__ = False  # not a pytest class, whatever its name
    name: ClassVar[str] = "test"

    def __init__(self) -> None:
        self.sent: list[SentSms] = []
        self._lock = threading.Lock()

    def probe(self, config: Mapping[str, Any]) -> None:
        """Nothing to ask: the test gateway reaches no phone, which is what the admin should hear."""
        raise ProbeError("channels.probe.sms.test_gateway")

    def send(self, config: Mapping[str, Any], *, to: str, message: SmsMessage) -> str:
        """Record the message; fails on purpose when the config says so."""
        failure = config.get("fail_with")
        if failure:
            raise ChannelError(f"sms: test gateway told to fail ({failure})", permanent=failure == "permanent")
        with self._lock:
            sent = SentSms(
                id=f"test-{len(self.sent) + 1}", to=to, message=message, sender=str(config.get("from_number") or "")
            )
            self.sent.append(sent)
        return sent.id

    def verify_inbound(self, config: Mapping[str, Any], *, headers: Mapping[str, str], body: bytes) -> None:
        """The shared token in X-Sms-Token, compared in constant time."""
        given = headers.get("x-sms-token")
        if not given:
            raise SignatureError("sms: no X-Sms-Token header", missing=True)
        expected = str(config.get("inbound_token") or "")
        if not expected or not constant_time_equal(given, expected):
            raise SignatureError("sms: X-Sms-Token does not match")

    def parse_inbound(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """One reply → one message from that phone number."""
        data = json_body(payload) if isinstance(payload, bytes | str) else payload
        if not isinstance(data, dict):
            raise MalformedPayload("sms: the body is not an object")
        message_id, sender, text = data.get("id"), data.get("from"), data.get("text")
        if not isinstance(message_id, str) or not message_id:
            raise MalformedPayload("sms: a reply without its id")
        if not isinstance(sender, str) or not isinstance(text, str):
            raise MalformedPayload("sms: a reply needs from and text")
        own = re.sub(r"\D", "", str(config.get("from_number") or ""))
        if own and re.sub(r"\D", "", sender) == own:
            return []  # our own number (a forwarded copy of what we sent) is never a citizen's complaint
        try:
            phone = normalise_number(sender)
        except ChannelError as exc:
            raise MalformedPayload(exc.message) from exc
        received = utcnow()
        if isinstance(data.get("received_at"), str):
            try:
                received = dt.datetime.fromisoformat(data["received_at"])
            except ValueError as exc:
                raise MalformedPayload(f"sms: bad received_at: {exc}") from exc
            if received.tzinfo is None:
                raise MalformedPayload("sms: received_at needs its UTC offset")
        return [
            InboundMessage(
                external_id=f"sms:{message_id}",
                text=text,
                received_at=received,
                author_handle=phone,
                contact={"phone": phone},
                raw={"gateway": self.name, "id": message_id},
            )
        ]


class SandboxGateway(SensGateway):
    """The bundled SMS sandbox (``sotong_sandbox.sms``): SENS's send API at the sandbox's ``api_url``, and the
    citizens' texts taken in as the test gateway takes them (``X-Sms-Token``), since SENS itself delivers none.
    A practice account only (``sandbox: true``): a training centre texts in and sees the answers on its phone screen.
    """

    name: ClassVar[str] = "sandbox"

    def verify_inbound(self, config: Mapping[str, Any], *, headers: Mapping[str, str], body: bytes) -> None:
        """The sandbox's texts carry the account's inbound token, as the test gateway's do."""
        TEST_GATEWAY.verify_inbound(config, headers=headers, body=body)

    def parse_inbound(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """One text → one message from that phone number."""
        return TEST_GATEWAY.parse_inbound(config, payload)


TEST_GATEWAY = TestGateway()
SANDBOX_GATEWAY = SandboxGateway()
# One line per gateway.
GATEWAYS: dict[str, SmsGateway] = {
    SensGateway.name: SensGateway(),
    TestGateway.name: TEST_GATEWAY,
    SandboxGateway.name: SANDBOX_GATEWAY,
}
# Gateways that reach no citizen's phone: only a practice account (or the tests) may use them.
PRACTICE_ONLY = frozenset({TestGateway.name, SandboxGateway.name})


def gateway_for(config: Mapping[str, Any]) -> SmsGateway:
    """The gateway an SMS account's config names (``gateway``: "sens" unless set).

    The test gateway "sends" into memory: outside the test environment it serves only an account labelled as a
    sandbox (``sandbox: true``), so that no real account can silently send nothing.
    """
    name = str(config.get("gateway") or SensGateway.name)
    gateway = GATEWAYS.get(name)
    if gateway is None:
        raise ChannelError(f"sms: unknown gateway {name!r}", permanent=True)
    if name in PRACTICE_ONLY and get_settings().env is not Environment.test and config.get("sandbox") is not True:
        raise ChannelError(
            f"sms: the {name} gateway reaches no phone; "
            "it serves only SOTONG_ENV=test or an account with sandbox: true",
            permanent=True,
        )
    return gateway
