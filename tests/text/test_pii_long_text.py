"""A long text (more than FAST_NAMES_LENGTH characters, up to the intake limit) finds names by shape alone, so that
masking it stays fast: the whole labelled set planted in long texts loses no recall, and such a text is always
marked unsure (a person reviews it before it is published)."""

from __future__ import annotations

from collections import Counter

import pytest

from sotong.cases.actions import MAX_TEXT_LENGTH
from sotong.text import pii
from sotong.text.pii import FAST_NAMES_LENGTH, assess
from tests.text.pii_labelled import planted, survives

EXACT_KINDS = ("phone", "rrn", "email", "card", "account")


def _long_texts(rows: list[str]) -> list[list[int]]:
    """Row indexes grouped into texts longer than FAST_NAMES_LENGTH and within the intake limit."""
    groups: list[list[int]] = [[]]
    size = 0
    for i, text in enumerate(rows):
        if size + len(text) + 1 > MAX_TEXT_LENGTH // 2:
            groups.append([])
            size = 0
        groups[-1].append(i)
        size += len(text) + 1
    return groups


def test_the_labelled_set_in_long_texts_loses_no_recall() -> None:
    rows = planted()
    total, missed = Counter[str](), Counter[str]()
    exact_leaks = []
    for group in _long_texts([r.text for r in rows]):
        text = "\n".join(rows[i].text for i in group)
        if len(text) <= FAST_NAMES_LENGTH:
            continue  # the tail: read the careful way, measured by test_pii_recall.py
        result = assess(text)
        assert result.uncertain
        for i in group:
            row = rows[i]
            total[row.kind] += 1
            if survives(row.value, result.masked):
                missed[row.kind] += 1
                if row.kind in EXACT_KINDS:
                    exact_leaks.append(row.value)
    assert sum(total.values()) >= 1000
    assert exact_leaks == []
    assert missed["name"] == 0, missed
    assert 1 - sum(missed.values()) / sum(total.values()) >= 0.995, missed


def test_a_long_text_skips_the_careful_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    # The careful reading costs ~10 µs per possible name in Python: a flood of them made one 20,000-character
    # text take 100+ ms. Beyond FAST_NAMES_LENGTH it must not run (timing is measured by bench/pii_masking.py).
    def careful(*args: object, **kwargs: object) -> list[object]:
        raise AssertionError("the careful name reading ran on a long text")

    monkeypatch.setattr(pii, "_name_candidates", careful)
    flood = "김하늘 이보람 한지민이 반지하에 " * (MAX_TEXT_LENGTH // 20)
    result = assess(flood[:MAX_TEXT_LENGTH])
    assert "김하늘" not in result.masked and "이보람" not in result.masked and result.uncertain
    assert pii.assess_many([flood[:MAX_TEXT_LENGTH]])[0].masked == result.masked
