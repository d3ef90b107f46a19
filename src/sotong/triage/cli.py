"""`sotong triage ...` and `sotong pii ...`: evaluate the pipeline, retrain an organisation's model, mask text.

The commands only parse arguments and call the triage functions and actions; they write no rows themselves.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path
from typing import Any

import typer
from openpyxl import load_workbook
from sqlalchemy import select

from sotong.actors import CLI
from sotong.cli_support import session_scope
from sotong.errors import InvalidInput
from sotong.orgs.models import Organisation
from sotong.text.pii import mask
from sotong.triage import review
from sotong.triage.models import TriageLabel

triage_app = typer.Typer(help="Triage: relevance, type, category and department, duplicates.", no_args_is_help=True)
pii_app = typer.Typer(help="Personal data masking.", no_args_is_help=True)


@triage_app.command("eval")
def eval_command(
    train: Path = typer.Option(..., "--train", exists=True, dir_okay=False, help="JSONL rows with text and FIELD."),
    test: Path = typer.Option(..., "--test", exists=True, dir_okay=False, help="JSONL rows with text and FIELD."),
    label: str = typer.Option(..., "--label", help="The field to predict, e.g. category, group or relevant."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line (the interface other tools read)."),
) -> None:
    """Train a fresh model with the product's pipeline on TRAIN only, predict TEST, print the figures."""
    # Here, not at the top: scikit-learn takes a second to import, which no other `sotong` command should pay.
    from sotong.triage.evaluate import evaluate, read_jsonl

    result = evaluate(read_jsonl(train), read_jsonl(test), label)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        typer.echo(f"{key:>14}: {value}")


def read_history(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV, Excel (.xlsx) or JSONL export of past complaints."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        from sotong.triage.evaluate import read_jsonl  # scikit-learn: see eval_command

        return read_jsonl(path)
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [dict(row) for row in csv.DictReader(handle)]
    if suffix in (".xlsx", ".xlsm"):
        sheet = load_workbook(path, read_only=True, data_only=True).active
        if sheet is None:
            raise InvalidInput(f"{path} has no sheet")
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h or "").strip() for h in rows[0]]
        return [{h: ("" if v is None else str(v)) for h, v in zip(header, row, strict=False)} for row in rows[1:]]
    raise InvalidInput(f"unsupported file type {suffix!r}: use .csv, .xlsx or .jsonl")


@triage_app.command("train")
def train_command(
    org: str = typer.Option(..., "--org", help="Organisation slug."),
    files: list[Path] = typer.Argument(None, exists=True, dir_okay=False, help="CSV, Excel or JSONL history."),
    text_column: str = typer.Option("text", help="Column with the complaint text."),
    department_column: str = typer.Option("department", help="Column with the department that handled it."),
    category_column: str = typer.Option("category", help="Column with the category code (optional)."),
    relevant_column: str = typer.Option("relevant", help="Column marking chatter as false (optional)."),
    with_labels: bool = typer.Option(True, help="Also learn from operators' corrections in the console."),
    seed: int = typer.Option(42, help="Seed of the held-out split."),
) -> None:
    """Import past complaints with their departments and retrain the organisation's model.

    The new version replaces the active one only if it is not worse on the same held-out fifth of the rows.
    """
    from sotong.triage import model_store, pipeline  # scikit-learn: see eval_command
    from sotong.triage.evaluate import score

    texts: list[str] = []
    labels: list[str | None] = []
    relevant: list[bool] = []
    for path in files or []:
        for row in read_history(path):
            text = str(row.get(text_column) or "").strip()
            if not text:
                continue
            flag = str(row.get(relevant_column, "true")).strip().lower() not in ("false", "0", "no", "n")
            label = str(row.get(category_column) or row.get(department_column) or "").strip() or None
            texts.append(text)
            labels.append(label if flag else None)
            relevant.append(flag)
    with session_scope(require_schema=False) as session:
        organisation = session.scalar(select(Organisation).where(Organisation.slug == org))
        if organisation is None:
            raise InvalidInput(f"unknown organisation {org!r}")
        if with_labels:
            review.harvest_labels(session, actor=CLI, org_id=organisation.id)
            for label_row in session.scalars(select(TriageLabel).where(TriageLabel.org_id == organisation.id)):
                texts.append(label_row.text)
                labels.append(label_row.category_code if label_row.relevant else None)
                relevant.append(label_row.relevant)
        if len({label for label in labels if label}) < 2:
            raise InvalidInput("the history needs complaints of at least two departments or categories")
        # Chatter from the seed corpus teaches relevance when the history holds only real complaints.
        seed_texts, _, seed_relevant = pipeline.seed_training_set()
        for text, flag in zip(seed_texts, seed_relevant, strict=True):
            if not flag:
                texts.append(text)
                labels.append(None)
                relevant.append(False)
        order = list(range(len(texts)))
        random.Random(seed).shuffle(order)
        cut = max(1, len(order) // 5)
        test_rows, train_rows = order[:cut], order[cut:]

        def pick(rows: list[int]) -> tuple[list[str], list[str | None], list[bool]]:
            return [texts[i] for i in rows], [labels[i] for i in rows], [relevant[i] for i in rows]

        tr_t, tr_l, tr_r = pick(train_rows)
        te_t, te_l, te_r = pick(test_rows)
        candidate = pipeline.train(texts=tr_t, categories=tr_l, relevant=tr_r, source="candidate")
        evaluation = score(candidate, te_t, te_l, te_r)
        current, version = model_store.active_model(session, organisation.id)
        baseline = score(current, te_t, te_l, te_r) if version is not None else None
        names = ", ".join(p.name for p in files or []) or "labels"
        final = pipeline.train(texts=texts, categories=labels, relevant=relevant, source=names)
        stored = model_store.consider(
            session,
            actor=CLI,
            org_id=organisation.id,
            model=final,
            evaluation=evaluation,
            baseline=baseline,
            source=names,
        )
        verdict = "active" if stored.status.value == "active" else "rejected (worse than the active version)"
        typer.echo(f"{organisation.name}: model v{stored.version} {verdict}; rows {len(texts)}; {evaluation}")


@pii_app.command("mask")
def mask_command() -> None:
    """Read text on stdin and write it masked to stdout, line by line."""

    for line in sys.stdin:
        end = "\n" if line.endswith("\n") else ""
        sys.stdout.write(mask(line.rstrip("\n")) + end)
        sys.stdout.flush()
