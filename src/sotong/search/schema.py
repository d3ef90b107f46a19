"""Database objects of the search index that SQLAlchemy's metadata does not describe.

A GIN expression index (PostgreSQL) and an FTS5 virtual table with its shadow tables and triggers (SQLite)
exist on one database only; the migration creates them, and Alembic's comparison is told to look past them.
"""

from __future__ import annotations

from typing import Any

FTS_TABLE = "case_search_fts"
TSV_INDEX = "ix_case_search_docs_tsv"

# FTS5 keeps its data in shadow tables named after the virtual table.
_FTS_SHADOWS = tuple(f"{FTS_TABLE}{suffix}" for suffix in ("", "_data", "_idx", "_docsize", "_config", "_content"))

SQLITE_UPGRADE = (
    # External content: the text lives once, in case_search_docs; rowid is the case id.
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(terms, content='case_search_docs', content_rowid='case_id',"
    " tokenize='unicode61')",
    f"""CREATE TRIGGER case_search_docs_ai AFTER INSERT ON case_search_docs BEGIN
  INSERT INTO {FTS_TABLE}(rowid, terms) VALUES (new.case_id, new.terms);
END""",
    f"""CREATE TRIGGER case_search_docs_ad AFTER DELETE ON case_search_docs BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, terms) VALUES ('delete', old.case_id, old.terms);
END""",
    f"""CREATE TRIGGER case_search_docs_au AFTER UPDATE ON case_search_docs BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, terms) VALUES ('delete', old.case_id, old.terms);
  INSERT INTO {FTS_TABLE}(rowid, terms) VALUES (new.case_id, new.terms);
END""",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS case_search_docs_au",
    "DROP TRIGGER IF EXISTS case_search_docs_ad",
    "DROP TRIGGER IF EXISTS case_search_docs_ai",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
# 'simple': no stemming or stop words; the morphemes are already what should match.
POSTGRESQL_UPGRADE = (f"CREATE INDEX {TSV_INDEX} ON case_search_docs USING gin (to_tsvector('simple', terms))",)
POSTGRESQL_DOWNGRADE = (f"DROP INDEX IF EXISTS {TSV_INDEX}",)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic `include_name` hook: skip the search objects that live outside the metadata."""
    if type_ == "table" and name in _FTS_SHADOWS:
        return False
    return not (type_ == "index" and name == TSV_INDEX)
