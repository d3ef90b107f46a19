"""Parsing citizens' mail: Korean in every common charset and encoding, HTML, attachments, quoting, our own mail."""

from __future__ import annotations

import base64
import quopri
from collections.abc import Callable
from email.header import Header
from email.message import EmailMessage

import pytest

from sotong.cases.actions import MAX_TEXT_LENGTH
from sotong.cases.inbound import InboundMessage
from sotong.channels.email.account import MAX_TEXT, own_message_id
from sotong.channels.email.connector import EmailConnector
from sotong.channels.email.mime import trim_reply
from tests.channels.mail.conftest import JPEG, OWN, citizen_mail

CONFIG = {"address": OWN}
TEXT = "석촌호수 앞 보도블럭이 깨졌어요. 똠방각하 햏"  # 똠 and 햏 exist only in CP949, not in strict EUC-KR


def _parse(raw: bytes) -> list[InboundMessage]:
    return EmailConnector().parse(CONFIG, [raw])


def _raw(body_headers: str, body: bytes) -> bytes:
    # RFC 2047 encoded-words in EUC-KR, as Korean webmail writes them.
    subject = Header("보도블럭 파손", "euc-kr").encode()
    head = (
        f"From: {Header('김민지', 'euc-kr').encode()} <minji@example.kr>\r\n"
        f"To: {OWN}\r\nSubject: {subject}\r\nMessage-ID: <abc@example.kr>\r\n"
        "Date: Sun, 22 Nov 2026 11:44:00 +0900\r\nMIME-Version: 1.0\r\n"
    )
    return head.encode() + body_headers.encode() + b"\r\n" + body


@pytest.mark.parametrize(
    ("headers", "encode"),
    [
        (
            'Content-Type: text/plain; charset="euc-kr"\r\nContent-Transfer-Encoding: 8bit\r\n',
            lambda t: t.encode("cp949"),
        ),
        (
            "Content-Type: text/plain; charset=ks_c_5601-1987\r\nContent-Transfer-Encoding: base64\r\n",
            lambda t: base64.encodebytes(t.encode("cp949")),
        ),
        (
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n",
            lambda t: quopri.encodestring(t.encode()),
        ),
        (
            "Content-Type: text/plain; charset=ISO-2022-KR\r\n",
            lambda t: t.replace(" 똠방각하 햏", "").encode("iso2022_kr"),
        ),
    ],
    ids=["euc-kr-8bit", "ks_c_5601-base64", "utf-8-qp", "iso-2022-kr"],
)
def test_korean_in_every_common_charset(headers: str, encode: Callable[[str], bytes]) -> None:
    [message] = _parse(_raw(headers, encode(TEXT)))

    assert message.text.startswith("보도블럭 파손\n\n석촌호수 앞 보도블럭이 깨졌어요.")
    assert message.raw["subject"] == "보도블럭 파손"
    assert message.author_name == "김민지" and message.author_handle == "minji@example.kr"
    assert message.contact == {"email": "minji@example.kr"}
    assert message.external_id == "<abc@example.kr>"
    assert message.received_at.utcoffset() is not None and message.received_at.hour == 11
    if "2022" not in headers:
        assert message.text.endswith("똠방각하 햏")


def test_plain_text_is_preferred_and_html_only_mail_is_stripped_to_text() -> None:
    both = citizen_mail("평문 본문입니다")
    both.add_alternative("<html><body><p>HTML 본문</p></body></html>", subtype="html")
    html_only = EmailMessage()
    for name in ("From", "To", "Subject", "Message-ID"):
        html_only[name] = both[name] if name != "Message-ID" else "<html@example.kr>"
    html_only.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>쓰레기가&nbsp;방치</p><div>3일째입니다</div>"
        "<script>alert(1)</script></body></html>",
        subtype="html",
        charset="euc-kr",
    )

    [plain] = _parse(both.as_bytes())
    [html] = _parse(html_only.as_bytes())

    assert plain.text == "보도블럭 파손 신고\n\n평문 본문입니다"
    assert html.text == "보도블럭 파손 신고\n\n쓰레기가 방치\n\n3일째입니다"


def test_photos_become_attachments_and_other_files_are_recorded() -> None:
    mail = citizen_mail("사진과 문서를 보냅니다", photo=JPEG)
    mail.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="신청서.pdf")
    mail.add_attachment(b"not really a png", maintype="image", subtype="png", filename="broken.png")

    [message] = _parse(mail.as_bytes())

    assert [(a.filename, a.content_type, a.data) for a in message.attachments] == [("보도블럭.jpg", "image/jpeg", JPEG)]
    assert [(o["filename"], o["content_type"]) for o in message.raw["attachments"]] == [
        ("신청서.pdf", "application/pdf"),
        ("broken.png", "image/png"),
    ]


def test_a_photo_without_words_is_still_a_complaint() -> None:
    mail = citizen_mail("", subject="", photo=JPEG)

    [message] = _parse(mail.as_bytes())

    assert message.text == "" and len(message.attachments) == 1


def test_threading_prefers_the_citizens_own_mail_over_ours() -> None:
    ours = own_message_id("receipt:7:1", OWN)
    reply = citizen_mail("감사합니다", in_reply_to=ours, references=f"<first@example.kr> {ours}")
    only_ours = citizen_mail("감사합니다", in_reply_to=ours)

    [threaded] = _parse(reply.as_bytes())
    [unresolved] = _parse(only_ours.as_bytes())

    assert threaded.in_reply_to_external_id == "<first@example.kr>"
    assert threaded.text == "감사합니다"  # a reply's subject is not repeated in its text
    assert unresolved.in_reply_to_external_id == ours  # the poller resolves it through the outbox


def test_our_own_mail_auto_replies_and_bounces_are_left_out() -> None:
    own = citizen_mail("접수되었습니다", sender=f"송파구 <{OWN}>")
    vacation = citizen_mail("휴가 중입니다")
    vacation["Auto-Submitted"] = "auto-replied"
    bounce = citizen_mail("")
    bounce.make_mixed()
    bounce.replace_header("Content-Type", "multipart/report; report-type=delivery-status; boundary=x")

    assert EmailConnector().parse(CONFIG, [own.as_bytes(), vacation.as_bytes(), bounce.as_bytes()]) == []


def test_a_mail_without_message_id_gets_a_stable_one() -> None:
    mail = citizen_mail("아이디 없는 메일")
    del mail["Message-ID"]

    [first] = _parse(mail.as_bytes())
    [again] = _parse(mail.as_bytes())

    assert first.external_id == again.external_id and first.external_id.endswith("@sotong.invalid>")


@pytest.mark.parametrize(
    "quoted",
    [
        "\n\n2026년 11월 22일 (일) 오전 11:44, 송파구 민원실 <minwon@songpa.go.kr>님이 작성:\n> 민원이 접수되었습니다.",
        "\n\nOn Sun, 22 Nov 2026 at 11:44, 송파구 민원실 <minwon@songpa.go.kr> wrote:\n> 접수",
        "\n\n-----Original Message-----\nFrom: minwon@songpa.go.kr\n접수되었습니다",
        "\n\n-- \n김민지\n010-0000-0000",
    ],
    ids=["gmail-ko", "gmail-en", "outlook-naver", "signature"],
)
def test_quotes_and_signatures_are_trimmed_from_a_reply(quoted: str) -> None:
    assert trim_reply("아직 그대로입니다." + quoted) == "아직 그대로입니다."


def test_a_long_mail_is_cut_to_what_intake_accepts() -> None:
    [message] = _parse(citizen_mail("가" * (MAX_TEXT_LENGTH + 500)).as_bytes())

    assert MAX_TEXT == MAX_TEXT_LENGTH and len(message.text) == MAX_TEXT_LENGTH
