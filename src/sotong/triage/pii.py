"""Masking personal data before anything is public.

This first version covers the patterns the case platform needs for its own portal and demo (phones,
e-mail, resident registration numbers, card numbers, car plates); the triage issue extends it (names,
addresses below street level, accounts near a bank word...).
"""

from __future__ import annotations

import re

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b\d{6}\s*-\s*[1-8]\d{6}\b"), "[주민등록번호]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[이메일]"),
    (re.compile(r"\b(?:\d{4}[ -]?){3}\d{4}\b"), "[카드번호]"),
    (re.compile(r"(?<!\d)01[016789][ .-]?\d{3,4}[ .-]?\d{4}(?!\d)"), "[전화번호]"),
    # Landlines; 02-120 (Dasan call centre) style service numbers have no 4-digit tail and stay.
    (re.compile(r"(?<!\d)0(?:2|[3-6][1-5])[ .)-]?\d{3,4}[ .-]?\d{4}(?!\d)"), "[전화번호]"),
    (re.compile(r"(?<!\d)\d{2,3}\s?[가-힣]\s?\d{4}(?!\d)"), "[차량번호]"),
]


def mask(text: str) -> str:
    """`text` with every recognised piece of personal data replaced by a tag like [전화번호]."""
    for pattern, tag in _PATTERNS:
        text = pattern.sub(tag, text)
    return text
