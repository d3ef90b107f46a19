"""An e-mail sandbox: real IMAP and SMTP servers on this machine's loopback, and a webmail page for the citizen.

The product's e-mail connector is left exactly as it runs against a real mail server: it logs in over IMAP
(``LOGIN``, ``EXAMINE``, ``UID SEARCH``, ``UID FETCH (UID INTERNALDATE BODY.PEEK[])``) and sends with SMTP (``EHLO``,
``MAIL``, ``RCPT``, ``DATA``), with ``imap_security``/``smtp_security`` ``none``. The servers speak only that
subset of RFC 3501 and RFC 5321, without TLS (loopback only) and without IDLE (the product then polls), and keep
every mailbox in memory. A citizen writes from the webmail page (the sandbox composes the mail as a mail client
would: RFC 5322, UTF-8, a ``Message-ID``) into the official mailbox; what the product sends by SMTP to any other
address lands in that address's inbox on the page. A restart empties the mailboxes, as a training tool may.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import html
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sotong_sandbox import common

log = logging.getLogger(__name__)
UIDVALIDITY = 1
MAX_MAIL_BYTES = 10 * 1024 * 1024
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\S+)')


@dataclass(frozen=True)
class Mailbox:
    """An official mailbox the product logs in to, and the servers it reaches it at."""

    address: str
    name: str
    password: str
    host: str
    imap_port: int
    smtp_port: int


@dataclass
class Mail:
    uid: int
    arrived: dt.datetime
    raw: bytes


@dataclass
class MailSandbox:
    mailboxes: Callable[[], list[Mailbox]]
    boxes: dict[str, list[Mail]] = field(default_factory=dict)  # by address (lower case)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _listening: dict[tuple[str, int], asyncio.Server] = field(default_factory=dict)  # by (host, port)
    _start_lock: threading.Lock = field(default_factory=threading.Lock)

    # ----------------------------------------------------------------- mailboxes

    def deliver(self, address: str, raw: bytes) -> Mail:
        """Put a mail in a mailbox (created on first use), with the next UID and the arrival time."""
        with self._lock:
            box = self.boxes.setdefault(address.strip().lower(), [])
            mail = Mail(uid=len(box) + 1, arrived=dt.datetime.now(dt.UTC), raw=raw)
            box.append(mail)
            return mail

    def box(self, address: str) -> list[Mail]:
        with self._lock:
            return list(self.boxes.get(address.strip().lower(), []))

    def compose(self, *, sender: str, name: str, to: Mailbox, subject: str, text: str) -> bytes:
        """The citizen's mail as a mail client writes it."""
        mail = EmailMessage(policy=policy.SMTP)
        mail["From"] = formataddr((name, sender)) if name else sender
        mail["To"] = formataddr((to.name, to.address))
        mail["Subject"] = subject
        mail["Date"] = format_datetime(dt.datetime.now(dt.UTC))
        mail["Message-ID"] = f"<{uuid.uuid4().hex}@{sender.rpartition('@')[2]}>"
        mail.set_content(text + "\n", charset="utf-8")
        return mail.as_bytes()

    # ----------------------------------------------------------------- servers

    def ensure_started(self) -> None:
        """Listen on each mailbox's IMAP and SMTP ports (once; a port already in use is logged and skipped)."""
        wanted = {(m.host, m.imap_port): "imap" for m in self.mailboxes()}
        wanted.update({(m.host, m.smtp_port): "smtp" for m in self.mailboxes()})
        with self._start_lock:
            missing = {k: v for k, v in wanted.items() if k not in self._listening}
            if not missing:
                return
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=_serve, args=(loop,), name="sandbox-mail", daemon=True).start()
                self._loop = loop
            for (host, port), kind in missing.items():
                handler = self._imap if kind == "imap" else self._smtp
                started = asyncio.run_coroutine_threadsafe(asyncio.start_server(handler, host, port), self._loop)
                try:
                    self._listening[(host, port)] = started.result(timeout=10)
                except OSError as exc:
                    log.warning("mail sandbox: cannot listen for %s on %s:%s: %s", kind, host, port, exc)

    def stop(self) -> None:
        """Stop listening (the web process is shutting down); the mailboxes stay as they are."""
        with self._start_lock:
            loop, servers = self._loop, list(self._listening.values())
            self._listening.clear()
            self._loop = None
        if loop is None:
            return

        async def close() -> None:
            for server in servers:
                server.close()  # the listening sockets are closed at once

        # Waited for: once this returns, the ports are free again.
        asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)

    def _login(self, user: str, password: str) -> Mailbox | None:
        return next((m for m in self.mailboxes() if m.address.lower() == user.lower() and m.password == password), None)

    async def _imap(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One IMAP session: the commands a poller needs, on the mailbox's INBOX, read-only."""

        def send(line: str | bytes) -> None:
            writer.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

        me: Mailbox | None = None
        selected = False
        send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] 연습용 메일 서버 (sandbox) ready")
        try:
            while line := await reader.readline():
                tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
                command, _, args = rest.partition(b" ")
                verb = command.upper().decode(errors="replace")
                t = tag.decode(errors="replace")
                if verb == "UID":
                    sub, _, args = args.partition(b" ")
                    verb = "UID " + sub.upper().decode(errors="replace")
                if verb == "CAPABILITY":
                    send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                    send(f"{t} OK CAPABILITY completed")
                elif verb == "NOOP":
                    send(f"{t} OK NOOP completed")
                elif verb == "LOGOUT":
                    send("* BYE logging out")
                    send(f"{t} OK LOGOUT completed")
                    break
                elif verb == "LOGIN":
                    words = [(a or b).decode(errors="replace") for a, b in TOKEN.findall(args)]
                    words = [re.sub(r"\\(.)", r"\1", w) for w in words]
                    me = self._login(words[0], words[1]) if len(words) == 2 else None
                    send(f"{t} OK LOGIN completed" if me else f"{t} NO [AUTHENTICATIONFAILED] Invalid credentials")
                elif me is None:
                    send(f"{t} NO log in first")
                elif verb in ("SELECT", "EXAMINE"):
                    name = args.strip().strip(b'"').upper()
                    if name != b"INBOX":
                        send(f"{t} NO [NONEXISTENT] only INBOX here")
                        continue
                    box = self.box(me.address)
                    selected = True
                    send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
                    send(f"* {len(box)} EXISTS")
                    send("* 0 RECENT")
                    send(f"* OK [UIDVALIDITY {UIDVALIDITY}] UIDs valid")
                    send(f"* OK [UIDNEXT {len(box) + 1}] predicted next UID")
                    send(f"{t} OK [READ-ONLY] {verb} completed")
                elif not selected:
                    send(f"{t} BAD select a mailbox first")
                elif verb == "UID SEARCH":
                    uids = _uid_set(args.split()[-1].decode(errors="replace"), self.box(me.address))
                    send("* SEARCH" + "".join(f" {u}" for u in uids))
                    send(f"{t} OK SEARCH completed")
                elif verb == "UID FETCH":
                    spec = args.split(b" ", 1)[0].decode(errors="replace")
                    box = self.box(me.address)
                    for uid in _uid_set(spec, box):
                        mail = box[uid - 1]
                        date = mail.arrived.strftime("%d-%b-%Y %H:%M:%S +0000")
                        send(f'* {uid} FETCH (UID {uid} INTERNALDATE "{date}" BODY[] {{{len(mail.raw)}}}'.encode())
                        writer.write(mail.raw)
                        send(")")
                    send(f"{t} OK FETCH completed")
                elif verb in ("CLOSE", "UNSELECT"):
                    selected = False
                    send(f"{t} OK {verb} completed")
                else:
                    send(f"{t} BAD {verb} is not spoken by this sandbox")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _smtp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One SMTP session: each accepted mail is put in every recipient's mailbox."""

        def send(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        recipients: list[str] = []
        sender: str | None = None
        send("220 sandbox ESMTP 연습용 메일 서버")
        try:
            while line := await reader.readline():
                text = line.rstrip(b"\r\n").decode(errors="replace")
                verb = text[:4].upper()
                if verb in ("EHLO", "HELO"):
                    if verb == "EHLO":
                        send("250-sandbox")
                        send("250-8BITMIME")
                        send("250-SMTPUTF8")
                        send(f"250 SIZE {MAX_MAIL_BYTES}")
                    else:
                        send("250 sandbox")
                elif text.upper().startswith("MAIL FROM:"):
                    sender, recipients = _path(text[10:]), []
                    send("250 2.1.0 OK")
                elif text.upper().startswith("RCPT TO:"):
                    if sender is None:
                        send("503 5.5.1 MAIL first")
                        continue
                    address = _path(text[8:])
                    if not ADDRESS.match(address):
                        send("550 5.1.1 no such address")
                        continue
                    recipients.append(address)
                    send("250 2.1.5 OK")
                elif verb == "DATA":
                    if not recipients:
                        send("503 5.5.1 RCPT first")
                        continue
                    send("354 end with <CRLF>.<CRLF>")
                    raw = bytearray()
                    while (part := await reader.readline()) not in (b".\r\n", b".\n", b""):
                        raw += part[1:] if part.startswith(b"..") else part
                    for address in recipients:
                        self.deliver(address, bytes(raw))
                    sender, recipients = None, []
                    send("250 2.0.0 queued")
                elif verb == "RSET":
                    sender, recipients = None, []
                    send("250 2.0.0 OK")
                elif verb == "NOOP":
                    send("250 2.0.0 OK")
                elif verb == "QUIT":
                    send("221 2.0.0 bye")
                    break
                else:
                    send("502 5.5.2 not spoken by this sandbox")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    """The servers' thread: their event loop, closed once stopped."""
    try:
        loop.run_forever()
    finally:
        loop.close()


def _path(value: str) -> str:
    """The address of a MAIL FROM / RCPT TO path (parameters after it ignored)."""
    value = value.strip()
    if value.startswith("<"):
        return value[1 : value.find(">")] if ">" in value else value[1:]
    return value.split(" ", 1)[0]


def _uid_set(spec: str, box: list[Mail]) -> list[int]:
    """The UIDs of a set like ``3:*``, ``1,2,5`` or ``2:4`` that exist (``n:*`` always holds the newest, RFC 3501)."""
    newest = len(box)
    found: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.partition(":")
        try:
            start = newest if low == "*" else int(low)
            end = start if not high else newest if high == "*" else int(high)
        except ValueError:
            continue
        start, end = min(start, end), max(start, end)
        found.update(u for u in range(start, end + 1) if 1 <= u <= newest)
    return sorted(found)


def summary(raw: bytes) -> dict[str, Any]:
    """A mail as the webmail page lists it: from, to, subject, date and the plain text."""
    mail = email.message_from_bytes(raw, policy=policy.default)
    body = mail.get_body(preferencelist=("plain", "html")) if isinstance(mail, EmailMessage) else None
    text = body.get_content().replace("\r\n", "\n") if body is not None else ""
    return {
        "from": str(mail.get("From", "")),
        "to": str(mail.get("To", "")),
        "subject": str(mail.get("Subject", "")),
        "date": str(mail.get("Date", "")),
        "message_id": str(mail.get("Message-ID", "")),
        "text": text.strip(),
    }


def create_app(mailboxes: Callable[[], list[Mailbox]]) -> Starlette:
    """The webmail page as an ASGI app, to mount at a path; `ensure_started` (app.state.sandbox) starts the servers."""
    sandbox = MailSandbox(mailboxes=mailboxes)

    def index(request: Request) -> Response:
        base = common.root(request)
        sandbox.ensure_started()
        official = sandbox.mailboxes()
        options = "".join(
            f'<option value="{html.escape(m.address)}">{html.escape(m.name)} &lt;{html.escape(m.address)}&gt;</option>'
            for m in official
        )
        body = (
            f"{common.BADGE}<h1>전자우편 연습장</h1>"
            "<p>실제 메일 대신 이 컴퓨터 안에서 돌아가는 연습용 메일함입니다. 기관 메일 주소로 민원을 보내면, "
            "소통이 IMAP으로 읽어 가고 SMTP로 보낸 접수 안내와 답변이 아래 받은편지함에 도착합니다.</p>"
            + (
                f'<form class="tweet-form" data-mail data-base="{base}">'
                '<label for="mail-from">내 메일 주소</label>'
                '<input id="mail-from" name="sender" type="email" value="minji.kim@example.com" required>'
                '<label for="mail-name">이름</label><input id="mail-name" name="name" value="김민지">'
                f'<label for="mail-to">받는 사람</label><select id="mail-to" name="to">{options}</select>'
                '<label for="mail-subject">제목</label><input id="mail-subject" name="subject" required>'
                '<label for="mail-text">내용</label><textarea id="mail-text" name="text" rows="5" required></textarea>'
                '<button type="submit">보내기</button></form>'
                '<h2>받은편지함</h2><ol class="mailbox" data-inbox aria-live="polite"></ol>'
                if official
                else "<p>연습용 전자우편 계정이 없습니다.</p>"
            )
        )
        return common.page("전자우편 연습장", body, root=base, script="mail.js")

    async def send(request: Request) -> Response:
        data = await request.json()
        sender = str(data.get("sender") or "").strip()
        to = next((m for m in sandbox.mailboxes() if m.address == str(data.get("to") or "")), None)
        subject, text = str(data.get("subject") or "").strip(), str(data.get("text") or "").strip()
        if not ADDRESS.match(sender) or to is None or not subject or not text:
            return JSONResponse({"error": "보내는 주소, 받는 사람, 제목과 내용을 넣어 주세요."}, status_code=400)
        sandbox.ensure_started()
        raw = sandbox.compose(sender=sender, name=str(data.get("name") or ""), to=to, subject=subject, text=text)
        mail = sandbox.deliver(to.address, raw)
        return JSONResponse({"uid": mail.uid, "message_id": summary(raw)["message_id"]}, status_code=201)

    def inbox(request: Request) -> Response:
        address = request.query_params.get("user", "")
        mails = [summary(m.raw) | {"uid": m.uid} for m in sandbox.box(address)]
        mails.reverse()
        return JSONResponse({"mails": mails})

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/static/{name}", common.static_files("mail.js")),
            Route("/send", send, methods=["POST"]),
            Route("/inbox", inbox),
        ]
    )
    app.state.sandbox = sandbox
    return app


__all__ = ["MailSandbox", "Mailbox", "create_app", "summary"]
