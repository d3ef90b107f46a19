"""Reading a citizen's e-mail with the standard library: Korean charsets, the text part, photos, quoting."""

from __future__ import annotations

import base64
import codecs
import datetime as dt
import re
from email.message import EmailMessage, Message
from html.parser import HTMLParser

# Korean mail says EUC-KR (or Outlook's ks_c_5601-1987) but is written in CP949, its superset: decoding as
# CP949 keeps the extended Hangul syllables (똠, 햏) that strict EUC-KR turns into errors.
CP949_ALIASES = frozenset({"euc-kr", "euc_kr", "euckr", "ks_c_5601-1987", "ks_c_5601", "ksc5601", "korean", "uhc"})
REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|회신|답장|전달)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# Where a mail client starts quoting the message being answered (Gmail, Outlook, Naver, Daum, Korean Gmail).
QUOTE_HEADERS = (
    re.compile(r"^On .{4,200} wrote:\s*$"),
    re.compile(r"^.{4,200}님이 작성:\s*$"),
    re.compile(r"^.{4,200}작성:\s*$"),
    re.compile(r"^-{2,}\s*(Original Message|원본 메시지|원본 메일|Forwarded message|전달된 메시지)\s*-{2,}\s*$", re.I),
    re.compile(r"^(From|보낸 사람|보낸사람)\s*:\s*.+$"),
)
SIGNATURE_MARK = "-- "


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes of a text part in its declared charset, CP949 for the EUC-KR family, never an exception."""
    name = (charset or "utf-8").strip().strip('"').lower()
    if name in CP949_ALIASES:
        name = "cp949"
    try:
        codecs.lookup(name)
    except LookupError:
        name = "utf-8"  # an unknown label: UTF-8 is what most mislabelled mail really is
    try:
        return data.decode(name)
    except UnicodeDecodeError:
        # Mislabelled mail: try what Korean mail usually is before giving up characters.
        for fallback in ("utf-8", "cp949"):
            try:
                return data.decode(fallback)
            except UnicodeDecodeError:
                continue
        return data.decode(name, errors="replace")


def part_text(part: Message) -> str:
    """A text part's content, transfer encoding (base64, quoted-printable) and charset undone."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decode_bytes(payload, part.get_content_charset())


class _HtmlText(HTMLParser):
    """Visible text of an HTML body, with line breaks where blocks end; scripts and styles dropped."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.hidden = max(self.hidden - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def body_text(message: EmailMessage) -> str:
    """The message's text: text/plain preferred, else the HTML part stripped to text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part_text(part)
    if part.get_content_subtype() == "html":
        return html_to_text(text)
    return text.replace("\r\n", "\n").strip()


def trim_reply(text: str) -> str:
    """The citizen's own words: quoted text and the signature cut off (the full text stays in raw)."""
    kept: list[str] = []
    for line in text.splitlines():
        if line == SIGNATURE_MARK or line.rstrip() == "--":
            break
        if any(pattern.match(line.strip()) for pattern in QUOTE_HEADERS) and kept:
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    trimmed = "\n".join(kept).strip()
    # A mail that is all quote (or starts with a header-like line) is better taken whole than lost.
    return trimmed or text.strip()


def header(message: Message, name: str) -> str:
    """A header as text (RFC 2047 words decoded), empty when absent or beyond repair."""
    try:
        value = message.get(name)
    except (ValueError, LookupError, UnicodeError):
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def message_ids(value: str) -> list[str]:
    """The `<id>`s of a Message-ID, In-Reply-To or References header, in order."""
    return re.findall(r"<[^<>\s]+>", value)


def sent_at(message: Message, fallback: dt.datetime) -> dt.datetime:
    """The Date header as an aware datetime; a missing or zone-less one is taken as `fallback` / UTC."""
    try:
        value = message.get("Date")
        when = getattr(value, "datetime", None)
    except (ValueError, TypeError, IndexError):
        when = None
    if not isinstance(when, dt.datetime):
        return fallback
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def subject_without_prefix(subject: str) -> str:
    """`Re: Fwd: 회신: 제목` → `제목`."""
    return REPLY_PREFIX.sub("", subject).strip()


def imap_mailbox(name: str) -> str:
    """A mailbox name as an IMAP quoted string, non-ASCII in modified UTF-7 (RFC 3501 5.1.3: `민원` → `&u,zG0A-`)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + encoded.replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    quoted = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"'
