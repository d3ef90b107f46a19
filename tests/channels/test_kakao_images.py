"""Kakao's secure-image fetch follows the media rules of every platform (issue 22, finding 8): its CDN must resolve
to public addresses, at most three redirects each checked like the first link, the size bounded."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from sotong.channels.kakao.images import ImageFetchError, fetch_images
from sotong.channels.kakao.protocol import DEFAULT_IMAGE_PREFIXES

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
CDN = "https://secure.kakaocdn.net/dna/photo.jpg"


def _resolving_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def _client(handler: Any, seen: list[str]) -> httpx.Client:
    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        response: httpx.Response = handler(request)
        return response

    return httpx.Client(transport=httpx.MockTransport(record), follow_redirects=False)


def test_the_cdn_name_pointing_at_a_private_address_is_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    for address in ("127.0.0.1", "10.0.0.5", "169.254.169.254"):
        _resolving_to(monkeypatch, address)
        seen: list[str] = []
        with pytest.raises(ImageFetchError, match="not a public address"):
            fetch_images([CDN], prefixes=DEFAULT_IMAGE_PREFIXES, client=_client(lambda r: httpx.Response(200), seen))
        assert seen == []


def test_redirects_are_checked_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, "211.249.220.24")

    def hop(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("n", "0"))
        if n < 2:
            return httpx.Response(302, headers={"location": f"{CDN}?n={n + 1}"})
        return httpx.Response(200, content=JPEG, headers={"content-type": "image/jpeg"})

    seen: list[str] = []
    [photo] = fetch_images([CDN], prefixes=DEFAULT_IMAGE_PREFIXES, client=_client(hop, seen))
    assert photo.data == JPEG and len(seen) == 3

    endless: list[str] = []
    with pytest.raises(ImageFetchError, match="more than 3 redirects"):
        fetch_images(
            [CDN],
            prefixes=DEFAULT_IMAGE_PREFIXES,
            client=_client(lambda r: httpx.Response(302, headers={"location": CDN}), endless),
        )
    assert len(endless) == 4

    away: list[str] = []
    with pytest.raises(ImageFetchError, match="not on an allowed image host"):
        fetch_images(
            [CDN],
            prefixes=DEFAULT_IMAGE_PREFIXES,
            client=_client(lambda r: httpx.Response(302, headers={"location": "http://169.254.169.254/meta"}), away),
        )
    assert away == [CDN]  # the redirect's target was never asked for


def test_a_photo_over_the_limit_is_refused_while_it_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, "211.249.220.24")
    monkeypatch.setenv("SOTONG_MAX_ATTACHMENT_BYTES", "1000")
    from sotong.settings import reset_settings_cache

    reset_settings_cache()
    seen: list[str] = []
    with pytest.raises(ImageFetchError, match="larger than 1,000 bytes"):
        fetch_images(
            [CDN],
            prefixes=DEFAULT_IMAGE_PREFIXES,
            client=_client(lambda r: httpx.Response(200, content=JPEG * 20), seen),
        )


def test_an_admins_own_image_server_may_be_private(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, "10.0.0.5")
    own = "http://images.city.internal:8080/"
    seen: list[str] = []
    [photo] = fetch_images(
        [f"{own}a.jpg"], prefixes=[own], client=_client(lambda r: httpx.Response(200, content=JPEG), seen)
    )
    assert photo.data == JPEG
