"""A tiny real HTTP server on 127.0.0.1 in a thread, routing requests to a fake platform's `handle`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as the fake saw it (tests assert on these)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def form(self) -> dict[str, list[str]]:
        """The body as form fields (or JSON object values as one-element lists)."""
        if self.headers.get("content-type", "").startswith("application/json"):
            data = json.loads(self.body or b"{}")
            return {k: v if isinstance(v, list) else [v] for k, v in data.items()}
        return parse_qs(self.body.decode(), keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)

    def parts(self) -> dict[str, tuple[str, bytes]]:
        """A multipart/form-data body as {field name: (content type, bytes)} (uploads); empty for other bodies."""
        content_type = self.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            return {}
        message = BytesParser(policy=policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + self.body
        )
        found = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                found[name] = (part.get_content_type(), payload)
        return found


def jpeg() -> bytes:
    """A real (tiny) JPEG, as a photo attached to a tweet would be."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class Platform(Protocol):
    def handle(self, request: Request) -> Response: ...


@contextmanager
def serve(platform: Platform) -> Iterator[str]:
    """Run `platform` on a free port of 127.0.0.1; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            response = platform.handle(request)
            if isinstance(response.body, Iterator):
                self._stream(response)
                return
            raw = isinstance(response.body, bytes)  # a file (a photo), sent as is with its own Content-Type
            payload = response.body if raw else json.dumps(response.body).encode() if response.body is not None else b""
            self.send_response(response.status)
            if not raw:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, response: Response) -> None:
            """A long-lived chunked response (server-sent events), written as the iterator yields."""
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for chunk in response.body:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up: the stream is over
            self.close_connection = True

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Swallower:
    """Counts the requests it took in; never answers one (the platform acted, its answer was lost on the way)."""

    base_url: str = ""
    received: int = 0


@contextmanager
def swallowing() -> Iterator[Swallower]:
    """A server that reads each whole request, then drops the connection without a response."""
    swallower = Swallower()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            swallower.received += 1
            self.close_connection = True  # and no status line: the client sees the connection drop

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    swallower.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield swallower
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class ProxyLog:
    """The hosts clients asked an outbound proxy to reach (``CONNECT host:port`` for https)."""

    url: str = ""
    connects: list[str] = field(default_factory=list)


@contextmanager
def recording_proxy() -> Iterator[ProxyLog]:
    """An outbound HTTP proxy that records where each https request was headed and refuses to tunnel it: what a
    deployment behind a proxy would send to the real platform, without reaching it."""
    log = ProxyLog()

    class Handler(BaseHTTPRequestHandler):
        def do_CONNECT(self) -> None:
            log.connects.append(self.path)
            self.send_error(502, "no tunnels from this proxy")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    log.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield log
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
