"""Stored triage models are pickles: the classes inside them keep their module paths across releases.

`triage_models.blob` holds a whole `TriageModel` (joblib). Unpickling looks every class up by the module path it
had when the model was stored, so moving one of them (a layout change, say) would make every model a city has
trained fail to load after an upgrade. This test lists what stored models name and fails when that changes.
"""

from __future__ import annotations

import importlib
import pickle
import pickletools

from sotong.triage.pipeline import TriageModel, train

# Every sotong global a stored model refers to, as releases since the first have written them.
STORED_PATHS = {
    ("sotong.triage.classify", "Features"),
    ("sotong.triage.classify", "LinearModel"),
    ("sotong.triage.classify", "_identity"),
    ("sotong.triage.embeddings", "MessageVectors"),
    ("sotong.triage.pipeline", "TriageModel"),
}


def _sotong_globals(model: TriageModel) -> set[tuple[str, str]]:
    """The (module, name) pairs a pickle of `model` looks up when it is loaded."""
    found: set[tuple[str, str]] = set()
    strings: list[str] = []  # the strings pushed so far, memoised ones fetched again included
    memo: dict[int, str] = {}
    for opcode, arg, _pos in pickletools.genops(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
            strings.append(str(arg))
        elif opcode.name == "MEMOIZE":
            memo[len(memo)] = strings[-1] if strings else ""
        elif opcode.name in ("BINGET", "LONG_BINGET", "GET") and int(arg) in memo:
            strings.append(memo[int(arg)])
        elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.add((strings[-2], strings[-1]))
        elif opcode.name == "GLOBAL":
            module, name = str(arg).split(" ", 1)
            found.add((module, name))
    return {pair for pair in found if pair[0].startswith("sotong")}


def test_a_trained_model_names_only_the_stored_paths() -> None:
    model = train(
        texts=["보도블럭이 깨져 있어요", "가로등이 꺼졌습니다", "불법 주차 신고합니다", "오늘 날씨 좋네요 ㅋㅋ"],
        categories=["도로", "가로등", "주차", None],
        relevant=[True, True, True, False],
    )
    assert _sotong_globals(model) <= STORED_PATHS


def test_every_stored_path_still_resolves() -> None:
    for module, name in sorted(STORED_PATHS):
        assert hasattr(importlib.import_module(module), name), f"{module}.{name} moved: stored models would not load"
