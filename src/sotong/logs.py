"""Logging for every process: one JSON object a line (or plain text in development), tokens scrubbed.

Each record carries an ISO timestamp with its zone, the level, the logger, the message, and the request id of the
web request it belongs to (set by `web/access.py`); the access log adds method, route, path, status and duration.
What a citizen wrote never reaches a log line from here: database errors carry no statement parameters
(`db.make_engine` hides them), the access log writes the path without its query string, and anything that looks
like a tracking or access token in a message (`?t=...`, `token=...`, `Bearer ...`) is replaced before it is written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
import re
from contextvars import ContextVar
from typing import Any

# The id of the web request being served in this context ("-" outside one): every line it logs carries it.
request_id: ContextVar[str] = ContextVar("sotong_request_id", default="-")

_TOKENS = re.compile(r"(?i)(\b(?:t|token|access_token|api_key|key|secret|password)=)[^&\s\"']+|(\bBearer\s+)[^\s\"']+")
# The fields the access log (and other callers) pass as `extra=`: written out as their own keys.
EXTRA_FIELDS = ("method", "route", "path", "status", "duration_ms", "client", "worker", "item", "channel", "attempt")


def scrub(text: str) -> str:
    """`text` with token values replaced by `[redacted]`."""
    return _TOKENS.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", text)


def _timestamp(created: float) -> str:
    return dt.datetime.fromtimestamp(created, dt.UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
            "request_id": request_id.get(),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Readable lines for a developer's terminal, with the same zone-aware timestamps and scrubbing."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record.created)} {record.levelname} {record.name}"
        rid = request_id.get()
        if rid != "-":
            line += f" [{rid}]"
        line += f": {scrub(record.getMessage())}"
        extras = " ".join(f"{name}={getattr(record, name)}" for name in EXTRA_FIELDS if hasattr(record, name))
        if extras:
            line += f" ({extras})"
        if record.exc_info:
            line += "\n" + scrub(self.formatException(record.exc_info))
        return line


def dict_config(*, json_lines: bool, level: str = "INFO") -> dict[str, Any]:
    """The `logging.config.dictConfig` of a Sotong process (uvicorn takes it as `log_config` in each web process)."""
    formatter = "sotong.logs.JsonFormatter" if json_lines else "sotong.logs.TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"sotong": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "sotong", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # uvicorn's own access log is off (ours has the route, the duration and no query string).
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            "alembic": {"level": "WARNING"},
            "sqlalchemy.engine": {"level": "WARNING"},
        },
    }


def configure(*, json_lines: bool, level: str = "INFO") -> None:
    """Configure this process's logging (the worker and other commands; uvicorn does it for the web processes)."""
    logging.config.dictConfig(dict_config(json_lines=json_lines, level=level))
