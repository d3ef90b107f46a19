"""Log lines are JSON with a zone-aware timestamp, and carry neither tokens nor what citizens wrote."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from sotong.logs import JsonFormatter, TextFormatter, request_id, scrub

CITIZEN = "홍길동 010-1234-5678 우리집 앞 가로등이 꺼졌어요"


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    return logging.LogRecord(
        "sotong.test", logging.WARNING, __file__, 1, message, args, (type(exc), exc, None) if exc else None
    )


def test_a_json_line_has_a_zoned_timestamp_level_and_request_id() -> None:
    token = request_id.set("abc123")
    try:
        line = json.loads(JsonFormatter().format(_record("hello %s", "world")))
    finally:
        request_id.reset(token)
    assert dt.datetime.fromisoformat(line["ts"]).utcoffset() == dt.timedelta(0)
    assert line["level"] == "WARNING" and line["msg"] == "hello world" and line["request_id"] == "abc123"


@pytest.mark.parametrize(
    "message, secret",
    [
        ("GET /cases/2026-송파-000001?t=9f8e7d6c5b4a HTTP/1.1", "9f8e7d6c5b4a"),
        ("calling https://api.example/x?access_token=EAAGm0PX4ZCps", "EAAGm0PX4ZCps"),
        ("header Authorization: Bearer sk_live_51H8", "sk_live_51H8"),
    ],
)
def test_tokens_are_scrubbed_in_both_formats(message: str, secret: str) -> None:
    assert secret not in scrub(message)
    assert secret not in JsonFormatter().format(_record(message))
    assert secret not in TextFormatter().format(_record(message))


def test_a_database_error_carries_no_citizen_text(engine: Engine) -> None:
    insert = text("INSERT INTO login_attempts (id, username, ip, succeeded, at) VALUES (1, :u, 'x', false, :t)")
    at = dt.datetime(2026, 12, 7, 1, 0)
    with engine.begin() as conn:
        conn.execute(insert, {"u": "first", "t": at})
    with pytest.raises(IntegrityError) as failed, engine.begin() as conn:
        conn.execute(insert, {"u": CITIZEN[:60], "t": at})
    logged = JsonFormatter().format(_record("intake failed", exc=failed.value))
    assert "홍길동" not in logged and "010-1234" not in logged
    assert "login_attempts" in logged  # the statement itself is still there to debug with
