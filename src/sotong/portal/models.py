"""Tables of the public portal: the curated best answers, and the index the public list reads."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sotong.cases.models import Case
from sotong.db import Base, BigId, UTCDateTime, utcnow

# The public list reads newest first, from `cases.service.public_condition()`, by keyset on (received_at, id).
# Declared here, next to its only reader; a partial index stays small however many private cases there are.
# Written exactly as `public_condition()` compiles on each database: both planners use a partial index only when
# they can match its predicate to the query's, and neither proves "x" from "x IS TRUE".
PG_PUBLIC_WHERE = (
    "released_at IS NOT NULL AND is_public IS true AND citizen_private IS false "
    "AND is_whistleblower IS false AND status != 'rejected'"
)
SQLITE_PUBLIC_WHERE = (
    "released_at IS NOT NULL AND is_public IS 1 AND citizen_private IS 0 "
    "AND is_whistleblower IS 0 AND status != 'rejected'"
)
public_received_index = Index(
    "ix_cases_public_received",
    Case.received_at,
    Case.id,
    postgresql_where=text(PG_PUBLIC_WHERE),
    sqlite_where=text(SQLITE_PUBLIC_WHERE),
)


class ShowcaseEntry(Base):
    """A case staff chose for the "best answers" showcase (Seoul's case book of good examples)."""

    __tablename__ = "showcase_entries"

    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)  # why it is a good example, shown with it
    curated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
