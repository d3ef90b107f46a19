"""Platform photos are downloaded once at intake; a photo that cannot be fetched never costs the message; only
the platform's hosts (resolving to public addresses) and the account's own servers are fetched from, with few
redirects (issue 22, finding 8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from sotong.cases.inbound import InboundMessage
from sotong.channels.intake.media import MediaPolicy, with_media
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
        if request.path == "/moved.jpg":
            return Response(302, b"", {"Location": "/ok.jpg"})
        if request.path.startswith("/elsewhere/"):
            return Response(302, b"", {"Location": request.path.removeprefix("/elsewhere/")})
        if request.path == "/loop.jpg":
            return Response(302, b"", {"Location": "/loop.jpg"})
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
    urls = (f"{base}/ok.jpg", f"{base}/missing.jpg", f"{base}/huge.jpg", "file:///etc/passwd")
    taken = with_media(message(*urls), MediaPolicy.for_account((), {"base_url": base}))
    assert len(taken.attachments) == 1
    assert taken.attachments[0].data.startswith(b"\xff\xd8")
    assert taken.attachments[0].filename == "ok.jpg"
    assert taken.media_urls == ()
    assert platform.requests == ["/ok.jpg", "/missing.jpg", "/huge.jpg"]  # never a non-http link


def test_no_more_photos_than_the_attachment_limit(photos: tuple[Photos, str]) -> None:
    platform, base = photos
    taken = with_media(message(*[f"{base}/ok.jpg"] * 7), MediaPolicy.for_account((), {"base_url": base}))
    assert len(taken.attachments) == 5
    assert len(platform.requests) == 5


def test_only_the_platforms_hosts_and_the_accounts_own_servers(photos: tuple[Photos, str]) -> None:
    platform, base = photos
    port = base.rsplit(":", 1)[1]
    elsewhere = MediaPolicy.for_account(("pbs.twimg.com",), {"base_url": "https://api.x.com"})
    links = (f"{base}/ok.jpg", "http://169.254.169.254/latest/meta-data/", f"http://localhost:{port}/ok.jpg")
    assert with_media(message(*links), elsewhere).attachments == ()
    assert platform.requests == []
    # An admin may name a media host (a Mastodon instance's CDN) in the account's settings.
    listed = MediaPolicy.for_account((), {"base_url": "https://api.x.com", "media_hosts": ["127.0.0.1"]})
    with pytest.raises(Exception, match="not a public address"):
        listed.check(f"{base}/ok.jpg")  # a listed name is a platform host: it must resolve to a public address


def test_a_platform_host_resolving_to_a_private_address_is_refused(photos: tuple[Photos, str]) -> None:
    platform, base = photos
    port = base.rsplit(":", 1)[1]
    # "localhost" stands for a platform name that an attacker pointed at an internal address.
    policy = MediaPolicy(platform_hosts=("localhost",))
    assert with_media(message(f"http://localhost:{port}/ok.jpg"), policy).attachments == ()
    assert platform.requests == []


def test_redirects_are_followed_few_times_and_checked_each_time(photos: tuple[Photos, str]) -> None:
    platform, base = photos
    port = base.rsplit(":", 1)[1]
    own = MediaPolicy.for_account((), {"base_url": base})
    assert len(with_media(message(f"{base}/moved.jpg"), own).attachments) == 1
    assert platform.requests == ["/moved.jpg", "/ok.jpg"]
    platform.requests.clear()
    assert with_media(message(f"{base}/loop.jpg"), own).attachments == ()
    assert platform.requests == ["/loop.jpg"] * 4  # the first request and three redirects, then it gives up
    platform.requests.clear()
    # A redirect to a host the account does not own (here the same server under another name) is not followed.
    redirect = f"{base}/elsewhere/http://localhost:{port}/ok.jpg"
    assert with_media(message(redirect), own).attachments == ()
    assert platform.requests == [f"/elsewhere/http://localhost:{port}/ok.jpg"]
