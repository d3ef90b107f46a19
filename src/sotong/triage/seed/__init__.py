"""The seed corpus Sotong ships: complaints per standard category (orgs/taxonomy.tsv) and chatter, written for
the project.

It trains the default model, so a new installation triages from its first message; each organisation then
retrains on its own history (`sotong triage train`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from sotong.orgs.taxonomy import standard_codes


@dataclass(frozen=True)
class SeedComplaint:
    category: str
    complaint_type: str
    text: str


@dataclass(frozen=True)
class SeedChatter:
    kind: str  # greeting, praise, thanks, politics, advertising, emoji, abuse, joke, chat, opinion
    text: str


def _rows(name: str, columns: int) -> list[list[str]]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t", columns - 1)
        if len(parts) != columns:
            raise ValueError(f"{name}: expected {columns} tab-separated columns in {line!r}")
        rows.append(parts)
    return rows


@lru_cache(maxsize=1)
def complaints() -> tuple[SeedComplaint, ...]:
    """Hand-written complaints, each with its category and complaint type."""
    known = set(standard_codes())
    rows = tuple(SeedComplaint(*row) for row in _rows("complaints.tsv", 3))
    unknown = {r.category for r in rows} - known
    if unknown:
        raise ValueError(f"complaints.tsv uses unknown categories {sorted(unknown)}")
    return rows


@lru_cache(maxsize=1)
def chatter() -> tuple[SeedChatter, ...]:
    """Hand-written messages that are not for a department (including the hard negatives)."""
    return tuple(SeedChatter(*row) for row in _rows("chatter.tsv", 2))
