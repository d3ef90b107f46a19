"""Filling a standard answer for one case: placeholders ({case_number} ...) and required slots ([[조치 내용]] ...).

Placeholders are filled by the server from the case; slots are what the officer must write themselves (what
was done, when, whom to call). A slot left as ``[[…]]``, or a labelled slot line left blank or deleted, stops
the send.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sotong.cases.models import Case, PeriodUnit
from sotong.orgs.models import Channel

# name → what it becomes (shown on the admin page; the catalogue has the translations).
PLACEHOLDERS: tuple[str, ...] = ("case_number", "citizen", "department", "officer", "deadline", "today", "tracking_url")

# Any {word} is a placeholder, Korean words included, so a typo such as {접수번호} or {case_no} is caught on save
# instead of reaching a citizen as literal braces.
PLACEHOLDER_RE = re.compile(r"\{([^{}\s]{1,40})\}")
SLOT_RE = re.compile(r"\[\[([^\[\]\n]{1,60})\]\]")
MAX_SLOT_LABEL = 60
# A slot's line label ("- 조치 일시:") must be this long before we trust it to find the line again.
MIN_LABEL = 2
CITIZEN_FALLBACK = "민원인"
PUBLIC_CITIZEN = "[민원인]"


@dataclass(frozen=True)
class CaseValues:
    """What each placeholder becomes for one case and one answering officer."""

    values: Mapping[str, str]

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def placeholders_in(text: str) -> list[str]:
    """Every placeholder name used in `text`, in order, without repeats."""
    return list(dict.fromkeys(m.group(1) for m in PLACEHOLDER_RE.finditer(text)))


def unknown_placeholders(text: str) -> list[str]:
    """The placeholder names in `text` that we cannot fill."""
    return [name for name in placeholders_in(text) if name not in PLACEHOLDERS]


def slots_in(text: str) -> list[str]:
    """Every slot label (``[[label]]``) in `text`, in order, without repeats."""
    return list(dict.fromkeys(m.group(1).strip() for m in SLOT_RE.finditer(text)))


def slot(label: str) -> str:
    """The marker of a required element in a template's body."""
    return f"[[{label}]]"


# Channels whose handle is a public name the citizen chose (@minji): it may greet them. Elsewhere the handle is a
# phone number, an e-mail address or a platform's id (SMS, e-mail, the web form, Kakao, TalkTalk): never a greeting.
HANDLE_CHANNELS = frozenset({Channel.x, Channel.mastodon})


def greeting_name(case: Case) -> str:
    """Who a standard answer's {citizen} greets: the SNS handle on X and Mastodon, else "민원인"."""
    if case.channel in HANDLE_CHANNELS and case.author_handle:
        return case.author_handle
    return CITIZEN_FALLBACK


def case_values(
    case: Case,
    *,
    department: str | None,
    officer: str | None,
    timezone: str,
    base_url: str,
    now: dt.datetime,
) -> CaseValues:
    """The placeholder values of `case`: dates in the organisation's time zone, as citizens read them."""
    tz = ZoneInfo(timezone)
    # A deadline counted in hours (기타 민원: 3 working hours) needs its time; one counted in days does not.
    deadline_format = "%Y-%m-%d %H:%M" if case.period_unit is PeriodUnit.hours else "%Y-%m-%d"
    return CaseValues(
        {
            "case_number": case.number,
            "citizen": greeting_name(case),
            "department": department or "",
            "officer": officer or "",
            "deadline": case.due_at.astimezone(tz).strftime(deadline_format),
            "today": now.astimezone(tz).strftime("%Y-%m-%d"),
            "tracking_url": f"{base_url.rstrip('/')}/cases/{case.number}",
        }
    )


def fill(text: str, values: CaseValues) -> str:
    """`text` with every known placeholder replaced (values are not scanned again, so a handle with braces is safe)."""

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return match.group(0) if value is None else value

    return PLACEHOLDER_RE.sub(replace, text)


def unfilled_slots(text: str) -> list[str]:
    """The slots still standing in an answer: it must not leave the building like that."""
    return slots_in(text)


def _slot_lines(template_text: str) -> list[tuple[str, str, str]]:
    """(label, line prefix, line suffix) of each slot that is the only one on its line."""
    found = []
    for line in template_text.splitlines():
        matches = list(SLOT_RE.finditer(line))
        if len(matches) != 1:
            continue
        match = matches[0]
        found.append((match.group(1).strip(), line[: match.start()].strip(), line[match.end() :].strip()))
    return found


def emptied_slots(template_text: str, answer: str, required: Iterable[str]) -> list[str]:
    """Required elements on a labelled line ("- 조치 일시: [[조치 일시]]") that the answer no longer fills.

    The line is found again by its label: left blank after the label, or removed altogether, the element is
    missing. A slot with no label in front of it (a paragraph of its own) can only be checked for its marker.
    """
    wanted = set(required)
    answer_lines = [line.strip() for line in answer.splitlines()]
    empty = []
    for label, prefix, suffix in _slot_lines(template_text):
        if label not in wanted or len(prefix) < MIN_LABEL:
            continue
        line = next((candidate for candidate in answer_lines if candidate.startswith(prefix)), None)
        if line is None:
            empty.append(label)
            continue
        rest = line[len(prefix) :]
        if suffix and rest.endswith(suffix):
            rest = rest[: -len(suffix)]
        if not rest.strip(" \t:：-–·"):
            empty.append(label)
    return empty


def public_source(case: Case, text: str) -> str:
    """The answer as the portal should start from: the citizen's handle replaced (the PII masker does the rest).

    On X the reply is addressed to the handle anyway; on the portal, next to the masked complaint, it would
    name the citizen, and the masker does not know handles.
    """
    handle = case.author_handle
    if handle and len(handle) > 1:
        text = text.replace(handle, PUBLIC_CITIZEN)
    return text
