"""A real HTTP server for tests that need one: browser tests, and third-party clients (georeport uses requests)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from sqlalchemy import Engine

from sotong.app import create_app
from sotong.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """uvicorn serving the app in a background thread of the test process (so it shares the test database)."""

    def __init__(self, settings: Settings, engine: Engine, *, own_base_url: bool = False) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if own_base_url:
            # The app calls itself at its base URL (the bundled sandboxes and the product speak to each other).
            settings = settings.model_copy(update={"base_url": self.url})
        self.settings = settings
        config = uvicorn.Config(
            create_app(settings=settings, engine=engine),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
