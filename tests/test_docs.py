"""The documentation says what the code does: the transition table and the worked deadline examples."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sotong.cases.deadlines.sla import BusinessCalendar, add_period, extended_due
from sotong.cases.models import PeriodUnit
from sotong.cases.status import TRANSITIONS
from sotong.errors import DeadlineError
from sotong.settings import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"
KST = ZoneInfo("Asia/Seoul")
CAL = BusinessCalendar.from_hours()


def kst(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=KST)


def test_the_lifecycle_table_matches_the_transitions() -> None:
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|$", (DOCS / "lifecycle.md").read_text(), re.MULTILINE)
    documented = {
        action: (sources.strip(), target.strip()) for action, sources, target in rows if action in TRANSITIONS
    }
    expected = {
        t.action: (", ".join(sorted(s.value for s in t.sources)), t.target.value if t.target else None)
        for t in TRANSITIONS.values()
    }
    assert documented.keys() == expected.keys()
    for action, (sources, target) in expected.items():
        assert documented[action][0] == sources, action
        if target is not None:
            assert documented[action][1] == target, action


def test_every_setting_is_documented() -> None:
    text = (DOCS / "operations.md").read_text()
    for name in Settings.model_fields:
        assert f"`SOTONG_{name.upper()}`" in text, name


@pytest.mark.parametrize(
    ("start", "value", "unit", "due"),
    [
        (kst(2024, 9, 13, 17, 30), 3, PeriodUnit.hours, kst(2024, 9, 19, 11, 30)),  # the Friday before Chuseok
        (kst(2025, 12, 24, 10, 0), 14, PeriodUnit.days, kst(2026, 1, 14, 18, 0)),  # over New Year
        (kst(2025, 5, 2, 16, 0), 3, PeriodUnit.hours, kst(2025, 5, 7, 10, 0)),  # substitute holiday
        (kst(2025, 11, 21, 20, 0), 3, PeriodUnit.hours, kst(2025, 11, 24, 12, 0)),  # Friday evening
        (kst(2025, 11, 22, 10, 0), 3, PeriodUnit.hours, kst(2025, 11, 24, 12, 0)),  # Saturday
        (kst(2025, 11, 20, 10, 0), 3, PeriodUnit.days, kst(2025, 11, 25, 10, 0)),  # 3 days counted in hours
        (kst(2025, 11, 17, 10, 0), 7, PeriodUnit.days, kst(2025, 11, 25, 18, 0)),  # 고충
    ],
)
def test_the_worked_deadline_examples(start: dt.datetime, value: int, unit: PeriodUnit, due: dt.datetime) -> None:
    assert add_period(CAL, start, value, unit) == due


def test_the_worked_extension_example() -> None:
    due = kst(2025, 11, 25, 18, 0)
    extend = {"current_due": due, "original_value": 7, "original_unit": PeriodUnit.days, "unit": PeriodUnit.days}
    assert extended_due(CAL, value=7, **extend) == kst(2025, 12, 4, 18, 0)  # type: ignore[arg-type]
    with pytest.raises(DeadlineError):
        extended_due(CAL, value=8, **extend)  # type: ignore[arg-type]


def test_the_readme_leads_with_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    top = readme[: readme.index("## Where to click")]
    assert "make run" in top and "make test" in top
    for url in ("/staff/", "/api/v1/docs", "/healthz", "demo1234!"):
        assert url in readme


SRC = Path(__file__).resolve().parent.parent / "src" / "sotong"
STATIONS = sorted(
    p.name if p.is_dir() else p.stem
    for p in SRC.iterdir()
    if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.name != "__init__.py")
)


def test_the_architecture_page_names_every_station() -> None:
    text = (DOCS / "architecture.md").read_text()
    table = text.split("## Folders", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in STATIONS if f"`{name}/`" not in table and f"`{name}.py`" not in table]
    assert missing == [], f"docs/architecture.md's folder table leaves out {missing}"


def _named_paths(text: str) -> set[str]:
    """Package-qualified paths in backticks (`cases/actions/answer.py`, `text/pii.mask`, `channels/x/`) and the
    test files named (`tests/outbox/test_lease.py`)."""
    found = set()
    for token in re.findall(r"`(?:src/sotong/)?([a-z_0-9]+/[a-z_0-9/.]*)`", text):
        if token.split("/", 1)[0] in STATIONS:
            found.add(token)
    found.update(re.findall(r"\b(tests/[a-z_0-9/]+\.py)\b", text))
    return found


def _exists(token: str) -> bool:
    if token.startswith("tests/"):
        return (SRC.parent.parent / token).exists()
    path = token.rstrip("/")
    candidates = [SRC / path, SRC / f"{path}.py"]
    if "." in path.rsplit("/", 1)[-1]:  # `text/pii.mask`: a module and one of its names
        module = path.rsplit(".", 1)[0]
        candidates += [SRC / f"{module}.py", SRC / module]
    return any(candidate.exists() for candidate in candidates)


PAGES = sorted([*DOCS.glob("*.md"), DOCS.parent / "README.md"])


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_the_code_paths_a_page_names_exist(page: Path) -> None:
    stale = sorted(token for token in _named_paths(page.read_text()) if not _exists(token))
    assert stale == [], f"{page.name} names code that is not there (moved?): {stale}"
