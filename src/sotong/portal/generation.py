"""Every web process drops a hidden case from its caches at once: the public generation, compared before serving.

The page cache (pagecache.py) and the cache of feeds and figures (opendata.py) live in each process's memory. A
publication action in one process empties that process's caches through `cases.actions.on_public_change`; the
others learn of it from the database: the action bumps `public_generation` in its own transaction, and each
process reads that one row (a primary-key lookup) before it reads its caches, at most once per request,
emptying them when the number moved. Requests for pages that are never cached (the case page, staff pages) pay
nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import Engine

from sotong.cases.service import public_generation

# Marks a request whose generation was already checked (scope["state"]), so the page cache's check and the
# figures cache's check of one request are one query.
CHECKED = "sotong_generation_checked"


class GenerationWatch:
    """What one process last saw of the public generation; `check` empties its caches when it moved."""

    def __init__(self, engine: Engine, forget: Callable[[], None]) -> None:
        self.engine = engine
        self.forget = forget
        self.seen: int | None = None
        self._lock = threading.Lock()

    def check(self) -> bool:
        """Read the generation; True (and the caches emptied) when it moved since the last check. The first check
        of a process empties them too: they may have filled before it."""
        with self.engine.connect() as connection:
            value = public_generation(connection)
        with self._lock:
            if value == self.seen:
                return False
            self.seen = value
        self.forget()
        return True
