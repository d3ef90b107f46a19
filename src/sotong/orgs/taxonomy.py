"""The standard category taxonomy Sotong ships (taxonomy.tsv): the common categories of Korean local complaints,
each with its statutory complaint type and the department that usually handles it.

The shipped seed model predicts these codes. An organisation imports them as its own categories (`sotong
categories import`), or maps its own categories onto them (`Category.standard_code`, the admin routing page):
triage then finds the organisation's category, and its department, for every standard code the model names.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# The complaint types of cases.models.ComplaintType, spelt out here: orgs stands below cases.
COMPLAINT_TYPES = frozenset({"other", "inquiry", "inquiry_law", "suggestion", "grievance", "opinion"})


@dataclass(frozen=True)
class StandardCategory:
    code: str
    name: str  # Korean, as staff and citizens read it
    complaint_type: str  # the statutory type (and so the period) a complaint of this category usually is
    department: str  # the department that usually handles it, for an organisation importing the taxonomy
    description: str


@lru_cache(maxsize=1)
def standard_categories() -> tuple[StandardCategory, ...]:
    """Every standard category, in the file's order."""
    text = resources.files(__package__).joinpath("taxonomy.tsv").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 5:
            raise ValueError(f"taxonomy.tsv: expected 5 tab-separated columns in {line!r}")
        category = StandardCategory(*parts)
        if category.complaint_type not in COMPLAINT_TYPES:
            raise ValueError(f"taxonomy.tsv: unknown complaint type {category.complaint_type!r}")
        rows.append(category)
    return tuple(rows)


def standard_codes() -> list[str]:
    """The standard codes, in the file's order."""
    return [c.code for c in standard_categories()]


def standard_category(code: str | None) -> StandardCategory | None:
    """The standard category of a code, or None."""
    return next((c for c in standard_categories() if c.code == code), None) if code else None
