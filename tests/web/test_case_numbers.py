"""A case number is shown as one unbreakable word ("2026-송파-000004", never "2026-송 / 파-000004" on a phone)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases.models import CaseStatus
from sotong.web.templating import STATIC_DIR
from tests.factories import World, case_in_status
from tests.web.conftest import login

# An element whose whole text is a case number, with its attributes.
NUMBER_ELEMENT = re.compile(r"<(a|span|strong)\b([^>]*)>\s*(\d{4}-[^\s<>-]+-\d{6})\s*</\1>")


def test_the_stylesheet_keeps_case_numbers_whole() -> None:
    css = (STATIC_DIR / "sotong.css").read_text(encoding="utf-8")
    assert re.search(r"\.case-number\s*\{[^}]*white-space:\s*nowrap", css)


def test_every_case_number_on_the_pages_is_marked(client: TestClient, session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    case_in_status(session, world, CaseStatus.answered)
    login(client, world.operator)
    pages = ["/staff/", "/staff/cases", "/staff/inbox?status=all", f"/staff/cases/{case.number}", "/cases"]
    seen = 0
    for path in pages:
        html = client.get(path).text
        for _tag, attributes, number in NUMBER_ELEMENT.findall(html):
            if "visually-hidden" in attributes:
                continue  # read out by screen readers, never laid out
            seen += 1
            assert "case-number" in attributes, (path, number)
    assert seen >= len(pages)
