"""What citizens read: notices with the Korean particles a person would write, not "은(는)" and "(으)로"."""

from __future__ import annotations

from typing import Any

from sotong.cases.wording import reply_text
from sotong.outbox.transports import Delivery


def _delivery(kind: str, **payload: Any) -> Delivery:
    return Delivery(
        item_id=1,
        org_id=1,
        case_id=1,
        kind=kind,
        transport="sms",
        recipient="01012345678",
        payload={"case_number": "2026-송파-000004", "tracking_url": "https://s.example/c/1", **payload},
        idempotency_key="k",
        attempt=1,
    )


def test_the_transfer_notice_reads_naturally() -> None:
    text = reply_text(_delivery("transfer_notice", to_org="서울특별시", new_case_number="2026-서울-000012"))
    assert text.startswith("민원 2026-송파-000004는 서울특별시로 이송되었습니다")
    assert "(" not in text.split("(새 접수번호")[0]


def test_the_extension_notice_reads_naturally() -> None:
    text = reply_text(_delivery("extension_notice", due_at="2026-12-21T09:00:00+00:00"))
    assert "처리기한이 2026-12-21로 연장되었습니다" in text
