"""Recall and false masks of the masker on the labelled set, by shape (the figures `-s` prints are the docs')."""

from __future__ import annotations

from collections import Counter

from sotong.text.pii import mask
from tests.text.pii_labelled import keepers, planted, survives

EXACT_KINDS = ("phone", "rrn", "email", "card", "account")


def test_the_labelled_set_is_as_large_as_promised() -> None:
    rows = planted()
    assert len(rows) >= 500
    assert len({r.shape for r in rows}) >= 30
    assert len(set(keepers())) >= 300


def test_recall_by_shape() -> None:
    rows = planted()
    total, missed = Counter[str](), Counter[str]()
    leaks = []
    for row in rows:
        masked = mask(row.text)
        total[row.shape] += 1
        if survives(row.value, masked):
            missed[row.shape] += 1
            leaks.append((row.shape, row.text, masked))
    for shape in sorted(total):
        found = total[shape] - missed[shape]
        print(f"{shape:28} {found:4}/{total[shape]:<4} recall {found / total[shape]:.3f}")
    overall = 1 - sum(missed.values()) / len(rows)
    print(f"{'overall':28} {len(rows) - sum(missed.values()):4}/{len(rows):<4} recall {overall:.4f}")
    assert overall >= 0.995, leaks
    exact = [leak for leak, row in zip(leaks, [r for r in rows if survives(r.value, mask(r.text))], strict=True)
             if row.kind in EXACT_KINDS]  # fmt: skip
    assert exact == []


def test_keepers_stay_as_written() -> None:
    sentences = keepers()
    altered = [(s, mask(s)) for s in sentences if mask(s) != s]
    print(f"keepers altered: {len(altered)}/{len(sentences)} ({len(altered) / len(sentences):.2%})")
    for s, m in altered:
        print(f"  {s!r} -> {m!r}")
    assert len(altered) / len(sentences) <= 0.01, altered
