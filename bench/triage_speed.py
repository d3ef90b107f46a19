"""Triage speed and memory: batch throughput of all six decisions, single-message latency, training time on
10,000 rows, and the resident memory of a process with the models loaded.

    .venv/bin/python bench/triage_speed.py [--data ../shared/data/relevance-dev.jsonl] [--messages 10000]

Without --data the messages are varied citizen messages built from parts (bench/_support.py), none of them the
seed corpus's sentences the default model is trained on: the model and the analyser meet them as unseen text. The
speed target is judged on the cold pass (a fresh process meeting the words for the first time), the figure a
worker restarted in a busy morning shows; the warm pass is printed beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path

from _support import varied_complaints
from sotong.text.korean import morphemes
from sotong.triage.duplicates import DuplicateIndex, OpenCase
from sotong.triage.models import RoutingRule, RuleKind
from sotong.triage.pipeline import default_model, seed_training_set, train
from sotong.triage.service import Incoming, decide_batch

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
_PLACES = ["석촌동", "방이동", "가락동", "문정동", "잠실", "오금동", "마천동", "풍납동", "거여동", "장지동"]
_NOISE = ["", " ㅠㅠ", " ㅋㅋ", " 빨리요!!", " #송파구", " @songpaOK", " 확인 부탁드립니다", " 010-1234-5678"]


def _messages(n: int, data: Path | None, rng: random.Random) -> list[str]:
    if data is not None:
        texts = [json.loads(line)["text"] for line in data.open(encoding="utf-8") if line.strip()]
        rng.shuffle(texts)
        return (texts * (n // len(texts) + 1))[:n]
    return [f"{text}{rng.choice(_NOISE)}" for text in varied_complaints(n, seed=rng.randint(0, 10**6))]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="JSONL with a text field (e.g. the development data)")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--open-cases", type=int, default=2_000)
    args, _ = parser.parse_known_args()  # `make bench` passes every benchmark the same extra arguments
    rng = random.Random(7)

    start = time.perf_counter()
    model = default_model()
    print(
        f"default model (seed corpus, {model.n_train} rows) trained and loaded in {time.perf_counter() - start:.1f} s"
    )

    messages = _messages(args.messages, args.data, rng)
    open_cases = [
        OpenCase(i, text, NOW - dt.timedelta(hours=rng.randint(0, 60)), f"@u{i}")
        for i, text in enumerate(_messages(args.open_cases, args.data, rng))
    ]
    index = DuplicateIndex(open_cases)
    rules = [
        RoutingRule(
            id=1, name="상수도 계정", kind=RuleKind.channel_account, priority=10, enabled=True, channel_account_id=9
        ),
        RoutingRule(id=2, name="축제", kind=RuleKind.keyword, priority=20, enabled=True, pattern="축제, 불꽃놀이"),
        RoutingRule(id=3, name="시 관리 도로", kind=RuleKind.place, priority=30, enabled=True, pattern="올림픽대로"),
    ]
    items = [Incoming(text=t, received_at=NOW, author_handle=f"@c{i % 500}") for i, t in enumerate(messages)]

    # Cold: a fresh process meets these words for the first time (kiwipiepy analyses each new word once).
    start = time.perf_counter()
    decide_batch(model, items, rules=rules, index=index)
    cold = len(items) / (time.perf_counter() - start)
    # Warm: the steady state of a worker, whose word cache already holds the city's vocabulary.
    start = time.perf_counter()
    decisions = decide_batch(model, items, rules=rules, index=index)
    warm = len(items) / (time.perf_counter() - start)
    print(f"batch, all six decisions, {len(items):,} messages vs {len(open_cases):,} open cases:")
    print(f"  cold word cache: {cold:,.0f} messages/s (target >= 3,000)   warm: {warm:,.0f} messages/s")
    relevant = sum(d.prediction.relevance.relevant for d in decisions)
    duplicates = sum(d.duplicate is not None for d in decisions)
    print(f"  ({relevant:,} relevant, {duplicates:,} linked to an open case)")

    latencies = []
    for item in rng.sample(items, 200):
        fresh = Incoming(text=item.text + " " + rng.choice(_PLACES), received_at=NOW, author_handle="@single")
        start = time.perf_counter()
        decide_batch(model, [fresh], rules=rules, index=index)
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    p95 = latencies[int(0.95 * len(latencies))]
    print(f"single message: median {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms (target < 20 ms)")

    print(f"resident memory with the models loaded and a batch decided: {_rss_mb():,.0f} MB (target < 1,024 MB)")

    texts = _messages(10_000, args.data, rng)
    _, cats, rel = seed_training_set()
    labels = [cats[i % len(cats)] for i in range(len(texts))] if args.data is None else None
    if args.data is not None:
        rows = [json.loads(line) for line in args.data.open(encoding="utf-8") if line.strip()]
        rng.shuffle(rows)
        rows = (rows * (10_000 // len(rows) + 1))[:10_000]
        texts = [r["text"] for r in rows]
        flags = [str(r.get("relevant", True)).lower() in ("true", "1") for r in rows]
        labels = [
            r.get("category") or ("c" + str(i % 18) if f else None)
            for i, (r, f) in enumerate(zip(rows, flags, strict=True))
        ]
    else:
        flags = [rel[i % len(rel)] for i in range(len(texts))]
    morphemes()._cache.clear()  # training from scratch: every word is new to the analyser
    start = time.perf_counter()
    trained = train(texts=texts, categories=labels, relevant=flags, source="bench")
    print(f"training on {len(texts):,} rows: {time.perf_counter() - start:.1f} s (target < 60 s)")
    del trained
    print(f"peak resident memory including training: {_rss_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
