"""Platform photos are downloaded once at intake; a photo that cannot be fetched never costs the message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from sotong.cases.inbound import InboundMessage
from sotong.channels.intake.media import with_media
from tests.fakes.server import Request, Response, jpeg, serve


class Photos:
    def __init__(self) -> None:
        self.requests: list[str] = []

    def handle(self, request: Request) -> Response:
        self.requests.append(request.path)
        if request.path == "/ok.jpg":
            return Response(200, jpeg(), {"Content-Type": "image/jpeg"})
        if request.path == "/huge.jpg":
            return Response(200, b"\xff\xd8" + b"0" * 4096, {"Content-Type": "image/jpeg"})
        return Response(404, {"error": "gone"})


@pytest.fixture
def photos() -> Iterator[tuple[Photos, str]]:
    platform = Photos()
    with serve(platform) as base:
        yield platform, base


def message(*urls: str) -> InboundMessage:
    return InboundMessage(external_id="1", text="사진 첨부", received_at=dt.datetime.now(dt.UTC), media_urls=urls)


def test_photos_become_attachments_and_failures_are_skipped(
    photos: tuple[Photos, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    platform, base = photos
    monkeypatch.setenv("SOTONG_MAX_ATTACHMENT_BYTES", "2048")
    from sotong.settings import reset_settings_cache

    reset_settings_cache()
    taken = with_media(message(f"{base}/ok.jpg", f"{base}/missing.jpg", f"{base}/huge.jpg", "file:///etc/passwd"))
    assert len(taken.attachments) == 1
    assert taken.attachments[0].data.startswith(b"\xff\xd8")
    assert taken.attachments[0].filename == "ok.jpg"
    assert taken.media_urls == ()
    assert platform.requests == ["/ok.jpg", "/missing.jpg", "/huge.jpg"]  # never a non-http link


def test_no_more_photos_than_the_attachment_limit(photos: tuple[Photos, str]) -> None:
    platform, base = photos
    taken = with_media(message(*[f"{base}/ok.jpg"] * 7))
    assert len(taken.attachments) == 5
    assert len(platform.requests) == 5
