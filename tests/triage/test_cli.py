"""`sotong triage eval` prints one JSON line of figures; `sotong pii mask` masks stdin line by line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sotong.cli import app
from tests.triage.helpers import CHATTER, CLEANING, ROAD

runner = CliRunner()


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def _rows(texts: list[str], label: str, value: object) -> list[dict[str, object]]:
    return [{"text": t, label: value} for t in texts]


def test_eval_multiclass_json_shape(tmp_path: Path) -> None:
    rows = _rows(ROAD, "category", "도로") + _rows(CLEANING, "category", "청소") + _rows(CHATTER, "category", "기타")
    train = _write(tmp_path / "train.jsonl", rows[::2] + rows[1::4])
    test = _write(tmp_path / "test.jsonl", rows[1::2])
    result = runner.invoke(
        app, ["triage", "eval", "--train", str(train), "--test", str(test), "--label", "category", "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    expected = {"accuracy", "macro_f1", "top3_accuracy", "precision", "recall", "n_train", "n_test", "predict_per_s"}
    assert set(figures) == expected
    assert figures["n_test"] == len(rows[1::2]) and 0 <= figures["macro_f1"] <= 1
    assert figures["top3_accuracy"] == 1.0  # three labels: the truth is always in the top three
    assert figures["precision"] is None and figures["predict_per_s"] > 0


def test_eval_relevance_reports_precision_and_recall_of_true(tmp_path: Path) -> None:
    rows = _rows(ROAD + CLEANING, "relevant", True) + _rows(CHATTER, "relevant", False)
    train = _write(tmp_path / "train.jsonl", rows)
    test = _write(tmp_path / "test.jsonl", [*rows[:3], *_rows(["👍👍", "ㅋㅋㅋ"], "relevant", "false")])
    result = runner.invoke(
        app, ["triage", "eval", "--train", str(train), "--test", str(test), "--label", "relevant", "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["top3_accuracy"] is None
    assert 0 <= figures["precision"] <= 1 and 0 <= figures["recall"] <= 1
    assert figures["n_train"] == len(rows) and figures["n_test"] == 5


def test_pii_mask_reads_stdin_line_by_line() -> None:
    result = runner.invoke(app, ["pii", "mask"], input="홍길동님 010-1234-5678\n46번 버스 1,200세대\n")
    assert result.exit_code == 0
    assert result.output == "[이름]님 [전화번호]\n46번 버스 1,200세대\n"
