"""Running the worker loop in a thread for a test, and waiting for what it should do."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from sotong.worker import run_forever


@contextmanager
def worker_thread(factory: Callable[[], Session], worker_id: str = "loop") -> Iterator[threading.Thread]:
    """`run_forever` in a thread for the block; told to stop and joined (10 s at most) when it ends."""
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(factory,), kwargs={"worker_id": worker_id, "stop": stop})
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=10)


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether `condition` came true within `seconds` (checked every 10 ms)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()
