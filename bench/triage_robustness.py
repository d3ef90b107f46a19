"""Triage on SNS and e-mail writing: the same complaints rewritten the way citizens type them, scored against the
clean text.

    .venv/bin/python bench/triage_robustness.py [--data ../shared/data/complaints-dev.jsonl]
        [--relevance ../shared/data/relevance-dev.jsonl] [--label category]

A model is trained on four fifths of the labelled complaints (stratified, seed 42, as in docs/triage.md); the
other fifth is then predicted as written and after each rewrite below, each applied to every message with a fixed
random seed. For each rewrite it prints the macro-F1 and top-3 accuracy of the category and how many messages keep
the category predicted for their clean text. With --relevance, a relevance model trained the same way on that
data (plus the seed corpus, as `sotong triage train` does) reports the recall of its complaints and the precision
on its chatter under the same rewrites.

The rewrites are those the issue names: spacing errors (some spaces dropped, or none left), no punctuation,
ㅋㅋ/ㅠㅠ and emoji, typos (a syllable dropped, doubled or swapped for a neighbour on the keyboard), hashtags and
@mentions, mixed Hangul and English, and an e-mail with a greeting, a signature and the quoted earlier thread.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sklearn.metrics import f1_score, precision_score, recall_score
from sklearn.model_selection import train_test_split

from _support import DEV_DATA, history_relevance_model
from sotong.triage.pipeline import TriageModel, train

SEED = 42

_HANGUL_BASE, _JUNGSEONG, _JONGSEONG = 0xAC00, 21, 28
# Vowels next to each other on the 두벌식 keyboard (ㅏ ㅑ ㅓ ㅕ ㅗ ㅛ ㅜ ㅠ ㅡ ㅣ ... by index): a slipped finger.
_VOWEL_SLIPS = {0: 4, 4: 0, 2: 6, 6: 2, 8: 13, 13: 8, 18: 20, 20: 18, 1: 5, 5: 1}
_ENGLISH = {
    "도로": "road",
    "주차": "parking",
    "쓰레기": "trash",
    "버스": "bus",
    "신호등": "signal",
    "공원": "park",
    "민원": "complaint",
    "확인": "check",
    "문의": "question",
}
_SIGNATURE = (
    "안녕하세요.\n{text}\n감사합니다.\n\n--\n홍길동 드림\niPhone에서 보냄\n\n"
    "-----Original Message-----\nFrom: 민원실 <minwon@example.go.kr>\n> 문의하신 내용은 담당 부서로 전달했습니다.\n"
    "> 추가로 궁금하신 점은 회신 바랍니다."
)


def _slip(syllable: str) -> str:
    code = ord(syllable) - _HANGUL_BASE
    if not 0 <= code < 11172:
        return syllable
    lead, vowel, tail = code // (_JUNGSEONG * _JONGSEONG), (code // _JONGSEONG) % _JUNGSEONG, code % _JONGSEONG
    vowel = _VOWEL_SLIPS.get(vowel, vowel)
    return chr(_HANGUL_BASE + (lead * _JUNGSEONG + vowel) * _JONGSEONG + tail)


def _typos(text: str, rng: random.Random) -> str:
    chars = list(text)
    hangul = [i for i, c in enumerate(chars) if "가" <= c <= "힣"]
    for i in sorted(rng.sample(hangul, k=min(len(hangul), max(1, len(hangul) // 15))), reverse=True):
        kind = rng.random()
        if kind < 0.4:
            chars[i] = _slip(chars[i])
        elif kind < 0.7:
            del chars[i]
        else:
            chars.insert(i, chars[i])
    return "".join(chars)


def _mixed_english(text: str, rng: random.Random) -> str:
    for korean, english in _ENGLISH.items():
        if korean in text and rng.random() < 0.7:
            text = text.replace(korean, english, 1)
    return text


REWRITES: dict[str, Callable[[str, random.Random], str]] = {
    "as written": lambda t, r: t,
    "some spaces dropped": lambda t, r: re.sub(r" ", lambda m: "" if r.random() < 0.5 else " ", t),
    "no spaces": lambda t, r: t.replace(" ", ""),
    "no punctuation": lambda t, r: re.sub(r"[.,!?~·…]", "", t),
    "ㅋㅋ ㅠㅠ emoji": lambda t, r: (
        f"{r.choice(['ㅠㅠ ', 'ㅋㅋㅋ ', ''])}{t} {r.choice(['ㅠㅠㅠ', 'ㅡㅡ', '😡😡', '🙏'])}"
    ),
    "typos": _typos,
    # Tags that say nothing of the topic or the place: the development complaints all name 창원 and its chatter
    # never does, so a city tag alone would make chatter look like a complaint (see docs/triage.md).
    "hashtags @mentions": lambda t, r: (
        f"@changwon_city {t} #{r.choice(['오늘', '일상', '우리동네'])} #주말 https://t.co/x1"
    ),
    "mixed English": _mixed_english,
    "e-mail thread": lambda t, r: _SIGNATURE.format(text=t),
}


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def _category_table(model: TriageModel, texts: Sequence[str], truth: Sequence[str]) -> None:
    clean: list[str] = []
    print(f"\n{'rewrite':<22}{'macro-F1':>10}{'top-3':>8}{'same top as clean':>20}")
    for name, rewrite in REWRITES.items():
        rng = random.Random(SEED)
        predictions = model.predict([rewrite(t, rng) for t in texts])
        top = [p.top.label if p.top else "" for p in predictions]
        if not clean:
            clean = top
        f1 = f1_score(truth, top, average="macro", zero_division=0)
        top3 = sum(t in {c.label for c in p.candidates} for t, p in zip(truth, predictions, strict=True)) / len(truth)
        same = sum(a == b for a, b in zip(top, clean, strict=True)) / len(top)
        print(f"{name:<22}{f1:>10.3f}{top3:>8.3f}{same:>20.3f}")


def _relevance_table(model: TriageModel, texts: Sequence[str], truth: Sequence[bool]) -> None:
    chatter = sum(not t for t in truth)
    print(f"\n{'rewrite':<22}{'precision':>10}{'recall':>8}   (relevance: {len(truth)} rows, {chatter} chatter)")
    for name, rewrite in REWRITES.items():
        rng = random.Random(SEED)
        guessed = [p.relevance.relevant for p in model.predict([rewrite(t, rng) for t in texts])]
        precision = precision_score(truth, guessed, zero_division=0)
        recall = recall_score(truth, guessed, zero_division=0)
        print(f"{name:<22}{precision:>10.3f}{recall:>8.3f}")


def _show_examples(texts: Sequence[str]) -> None:
    print("one message under each rewrite:")
    for name, rewrite in REWRITES.items():
        shown = rewrite(texts[0], random.Random(SEED)).replace("\n", "⏎")
        print(f"  {name:<22}{shown[:110]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEV_DATA / "complaints-dev.jsonl", help="JSONL with text, label")
    parser.add_argument("--relevance", type=Path, default=DEV_DATA / "relevance-dev.jsonl", help="JSONL, relevant")
    parser.add_argument("--label", default="category")
    args, _ = parser.parse_known_args()  # `make bench` passes every benchmark the same extra arguments
    if not args.data.exists():
        print(f"no development data at {args.data}: pass --data FILE (JSONL with text and labels)", file=sys.stderr)
        return 2
    rows = [r for r in _rows(args.data) if isinstance(r.get("text"), str) and r.get(args.label)]
    labels = [str(r[args.label]) for r in rows]
    train_rows, test_rows = train_test_split(rows, test_size=0.2, stratify=labels, random_state=SEED)
    model = train(
        texts=[str(r["text"]) for r in train_rows], categories=[str(r[args.label]) for r in train_rows], source="bench"
    )
    test_texts = [str(r["text"]) for r in test_rows]
    _show_examples(test_texts)
    print(f"\n{args.label}: trained on {len(train_rows)}, scored on {len(test_rows)}")
    _category_table(model, test_texts, [str(r[args.label]) for r in test_rows])

    if args.relevance.exists():
        relevance_model, texts, flags = history_relevance_model(args.relevance, SEED)
        _relevance_table(relevance_model, texts, flags)
    return 0


if __name__ == "__main__":
    sys.exit(main())
