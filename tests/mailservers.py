"""Real mail servers on 127.0.0.1 for the e-mail channel: pymap (IMAP) and aiosmtpd (SMTP)."""

from __future__ import annotations

import base64
import datetime as dt
import imaplib
import json
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

IMAP_USER = "demouser"  # pymap's dict backend serves this demo user
IMAP_PASSWORD = "demopass"
SMTP_USER = "minwon"
SMTP_PASSWORD = "smtp-secret-42"
START_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Imap:
    """A pymap server; each test gets its own mailbox (folder) in it."""

    port: int

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(IMAP_USER, IMAP_PASSWORD)
        return conn

    def new_mailbox(self) -> str:
        name = f"Sotong-{uuid.uuid4().hex[:10]}"
        conn = self.connect()
        try:
            assert conn.create(name)[0] == "OK"
        finally:
            conn.logout()
        return name

    def deliver(self, mailbox: str, mail: EmailMessage | bytes, *, arrived: dt.datetime | None = None) -> None:
        """Put a mail in the mailbox, as the MTA would (IMAP APPEND), optionally with its arrival time."""
        raw = mail if isinstance(mail, bytes) else mail.as_bytes(policy=policy.SMTP)
        when = imaplib.Time2Internaldate(arrived) if arrived else None
        conn = self.connect()
        try:
            status, data = conn.append(f'"{mailbox}"', None, when, raw)
            assert status == "OK", data
        finally:
            conn.logout()


@contextmanager
def running_imap(certificate: Path | None = None, *, introspect: str | None = None) -> Iterator[Imap]:
    """pymap's in-memory backend as a subprocess, torn down after; with a `certificate` (and its key, one PEM file)
    it offers STARTTLS and refuses a log-in before it; with `introspect` (an RFC 7662 endpoint) it also offers
    XOAUTH2 and accepts the bearer tokens that endpoint calls active (tests/fakes/imap_oauth.py)."""
    port = free_port()
    pymap = [str(Path(sys.executable).parent / "pymap")]
    if introspect:
        pymap = [sys.executable, "-m", "tests.fakes.imap_oauth", introspect]
    tls = ["--cert", str(certificate), "--key", str(certificate)] if certificate else []
    command = [*pymap, "--host", "127.0.0.1", "--port", str(port), *tls, "dict", "--demo-data"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # bounded wait for the server to listen
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    error = process.stderr.read() if process.stderr and process.poll() is not None else b""
                    raise RuntimeError(f"pymap did not start: {error!r}") from exc
                time.sleep(0.05)
        yield Imap(port=port)
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Sent:
    """One mail the SMTP server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Handler:
    """Captures what is sent; `refuse` answers RCPT for an address with a given reply (then pops it if `once`)."""

    sent: list[Sent] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    refuse_once: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: SMTPServer, session: Any, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        with self.lock:
            reply = self.refuse.get(address) or self.refuse_once.pop(address, None)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Any, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        with self.lock:
            self.sent.append(Sent(str(envelope.mail_from), list(envelope.rcpt_tos), data))
        return "250 Message accepted"


class OAuthHandler(Handler):
    """A Handler that also offers AUTH XOAUTH2 (aiosmtpd calls `auth_<MECHANISM>` hooks of the handler), checking
    the bearer token with `accepts` (token -> the user it stands for, or None) and answering a refusal as Gmail
    does: a 334 challenge carrying the error as JSON, the client's empty line, then 535."""

    def __init__(self, accepts: Callable[[str], str | None], logins: list[str]) -> None:
        super().__init__()
        self.accepts = accepts
        self.logins = logins

    # aiosmtpd finds a handler's AUTH mechanisms by this name.
    async def auth_XOAUTH2(self, server: SMTPServer, args: list[str]) -> AuthResult:
        if len(args) == 2:
            response: Any = base64.b64decode(args[1])
        else:
            response = await server.challenge_auth("")
            if not isinstance(response, bytes):
                return AuthResult(success=False, handled=True)  # aborted: aiosmtpd already answered
        match = XOAUTH2.fullmatch(response)
        user = self.accepts(match.group(2).decode()) if match else None
        if match is None or user is None or user != match.group(1).decode():
            await server.challenge_auth(json.dumps({"status": "401", "schemes": "Bearer"}))
            return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted")
        self.logins.append(f"xoauth2:{user}")
        return AuthResult(success=True)


XOAUTH2 = re.compile(rb"user=([^\x01]*)\x01auth=Bearer ([^\x01]+)\x01\x01")


@dataclass
class Smtp:
    port: int
    handler: Handler
    logins: list[str]

    @property
    def sent(self) -> list[Sent]:
        return list(self.handler.sent)


@contextmanager
def running_smtp(*, accepts: Callable[[str], str | None] | None = None) -> Iterator[Smtp]:
    """aiosmtpd in a thread, offering AUTH (over plain text: loopback only) and capturing every mail; with
    `accepts` (bearer token -> its user, or None), AUTH XOAUTH2 too."""
    logins: list[str] = []
    handler = OAuthHandler(accepts, logins) if accepts is not None else Handler()

    def authenticate(server: SMTPServer, session: Any, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        if ok:
            logins.append(SMTP_USER)
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticate,
        auth_require_tls=False,
        auth_required=False,  # offered, not forced: forcing it without TLS makes aiosmtpd warn per connection
        decode_data=False,
    )
    controller.start()
    try:
        yield Smtp(port=controller.port, handler=handler, logins=logins)
    finally:
        controller.stop()


def self_signed_certificate(directory: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (and localhost) with its key, in one PEM file; trust it with
    SSL_CERT_FILE pointing at the same file."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / "mail-test-cert.pem"
    path.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


@contextmanager
def running_tls_smtp(certificate: Path, *, implicit: bool) -> Iterator[Smtp]:
    """aiosmtpd speaking TLS from the first byte (`implicit`, port 465's way) or requiring STARTTLS (587's), with
    AUTH only once the session is encrypted."""
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate)
    handler = Handler()
    logins: list[str] = []

    def authenticate(server: SMTPServer, session: Any, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        if ok:
            logins.append(SMTP_USER)
        return AuthResult(success=ok, handled=False)

    tls: dict[str, Any] = {"ssl_context": context} if implicit else {"tls_context": context, "require_starttls": True}
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticate,
        # aiosmtpd does not count an implicit-TLS session as TLS for AUTH; it is encrypted from its first byte.
        auth_require_tls=not implicit,
        decode_data=False,
        **tls,
    )
    controller.start()
    try:
        yield Smtp(port=controller.port, handler=handler, logins=logins)
    finally:
        controller.stop()


@contextmanager
def tls_in_front(certificate: Path, port: int) -> Iterator[int]:
    """A TLS listener (port 993's way: encrypted from the first byte) that hands each decrypted connection to the
    plain server on `port`, as a TLS-terminating proxy in front of a mail server does; yields its own port."""
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate)
    listener = socket.create_server(("127.0.0.1", 0))
    front = listener.getsockname()[1]
    stop = threading.Event()

    def pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                secure = context.wrap_socket(client, server_side=True)
            except (OSError, ssl.SSLError):
                client.close()  # a client that does not trust us, or does not speak TLS
                continue
            backend = socket.create_connection(("127.0.0.1", port), timeout=10)
            threading.Thread(target=pump, args=(secure, backend), daemon=True).start()
            threading.Thread(target=pump, args=(backend, secure), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield front
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=10)
