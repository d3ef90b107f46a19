"""An organisation's reference data (departments, categories, official accounts, the organisations) as the console
pages show them, read once and kept for a short while per process.

Every inbox page, poll, case list and case page filled its filters and forms with the same few dozen rows, three or
four queries per request. They change only when an administrator edits them: any flush that writes one of these
tables in this process drops the cache at once (admin pages, actions, tests alike); other processes (uvicorn
workers, the CLI) see the change within TTL_SECONDS. The values are plain frozen records, never ORM objects, so
they are safe to share between requests and threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session, UOWTransaction

from sotong.orgs.models import Category, Channel, ChannelAccount, Department, Organisation

TTL_SECONDS = 30.0


@dataclass(frozen=True)
class DepartmentRef:
    id: int
    name: str


@dataclass(frozen=True)
class CategoryRef:
    id: int
    name: str
    department_id: int | None
    code: str = ""


@dataclass(frozen=True)
class AccountRef:
    id: int
    channel: Channel
    handle: str


@dataclass(frozen=True)
class OrganisationRef:
    id: int
    slug: str
    name: str


T = TypeVar("T")
_TABLES = (Department, Category, ChannelAccount, Organisation)
_lock = threading.Lock()
_cache: dict[tuple[str, str, int], tuple[float, int, Any]] = {}
_generation = 0


@event.listens_for(Session, "after_flush")
def _forget_on_write(session: Session, _flush: UOWTransaction) -> None:
    """Any write to a reference table in this process empties the cache (a rollback only costs a re-read)."""
    if any(isinstance(obj, _TABLES) for group in (session.new, session.dirty, session.deleted) for obj in group):
        forget()


def forget() -> None:
    """Drop everything cached (the next read goes to the database)."""
    global _generation
    with _lock:
        _generation += 1
        _cache.clear()


def _cached(session: Session, kind: str, org_id: int, load: Callable[[], list[T]]) -> list[T]:
    # Keyed by database too: tests and the bench open several databases in one process.
    key = (str(session.get_bind().engine.url), kind, org_id)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        generation = _generation
    if hit is not None and hit[0] > now and hit[1] == generation:
        return list(hit[2])
    value = load()
    with _lock:
        if generation == _generation:  # not invalidated while reading
            _cache[key] = (now + TTL_SECONDS, generation, tuple(value))
    return value


def departments(session: Session, *, org_id: int) -> list[DepartmentRef]:
    """The organisation's departments by name."""
    query = select(Department.id, Department.name).where(Department.org_id == org_id).order_by(Department.name)
    return _cached(session, "departments", org_id, lambda: [DepartmentRef(*row) for row in session.execute(query)])


def categories(session: Session, *, org_id: int) -> list[CategoryRef]:
    """The organisation's categories by name."""
    query = (
        select(Category.id, Category.name, Category.department_id, Category.code)
        .where(Category.org_id == org_id)
        .order_by(Category.name)
    )
    return _cached(session, "categories", org_id, lambda: [CategoryRef(*row) for row in session.execute(query)])


def accounts(session: Session, *, org_id: int) -> list[AccountRef]:
    """The organisation's official accounts, by channel and handle."""
    query = (
        select(ChannelAccount.id, ChannelAccount.channel, ChannelAccount.handle)
        .where(ChannelAccount.org_id == org_id)
        .order_by(ChannelAccount.channel, ChannelAccount.handle)
    )
    return _cached(session, "accounts", org_id, lambda: [AccountRef(*row) for row in session.execute(query)])


def organisations(session: Session) -> list[OrganisationRef]:
    """Every organisation of the deployment, by name."""
    query = select(Organisation.id, Organisation.slug, Organisation.name).order_by(Organisation.name)
    return _cached(session, "organisations", 0, lambda: [OrganisationRef(*row) for row in session.execute(query)])


def department_names(session: Session, *, org_id: int) -> dict[int, str]:
    """Department id → name, for labelling rows."""
    return {d.id: d.name for d in departments(session, org_id=org_id)}


def category_names(session: Session, *, org_id: int) -> dict[int, str]:
    """Category id → name, for labelling rows."""
    return {c.id: c.name for c in categories(session, org_id=org_id)}
