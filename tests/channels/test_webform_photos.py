"""Web form photos: GPS becomes the case location and leaves the file; orientation stays; limits hold."""

from __future__ import annotations

import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Attachment, Case
from sotong.settings import Settings
from tests.channels.webform_support import form_data, jpeg_with_gps, png
from tests.factories import World

CASE_NUMBER = re.compile(r'class="case-number">([^<]+)<')


def _case(session: Session, html: str) -> Case:
    match = CASE_NUMBER.search(html)
    assert match, html
    session.expire_all()
    case = session.scalar(select(Case).where(Case.number == match.group(1)))
    assert case is not None
    return case


def test_gps_becomes_the_location_and_is_removed_from_the_stored_photo(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    photo = jpeg_with_gps(orientation=6)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the fixture really carries GPS
    data = form_data(client, settings, text="공원 벤치가 부서졌어요")
    response = client.post("/report", data=data, files=[("photos", ("IMG_0001.JPG", photo, "image/jpeg"))])
    assert response.status_code == 200, response.text
    case = _case(session, response.text)
    assert case.latitude is not None and case.longitude is not None
    assert abs(case.latitude - 37.51) < 1e-6 and abs(case.longitude - 127.1059) < 1e-4
    attachment = session.scalar(select(Attachment))
    assert attachment is not None
    stored = Path(settings.media_dir) / attachment.path
    with Image.open(stored) as image:
        exif = image.getexif()
        assert exif.get_ifd(0x8825) == {}  # no GPS
        assert dict(exif) == {0x0112: 6}  # no camera, no owner: only the orientation survives
        assert image.size == (40, 20)
    raw = stored.read_bytes()
    assert b"Canon" not in raw and b"Kim Cheolsu" not in raw


def test_a_pin_given_by_the_citizen_wins_over_the_photo(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    data = form_data(client, settings, latitude="37.50", longitude="127.00")
    response = client.post("/report", data=data, files=[("photos", ("a.jpg", jpeg_with_gps(), "image/jpeg"))])
    assert response.status_code == 200, response.text
    case = _case(session, response.text)
    assert (case.latitude, case.longitude) == (37.50, 127.00)


def test_a_sixth_photo_is_refused_and_the_text_kept(client: TestClient, world: World, settings: Settings) -> None:
    data = form_data(client, settings, text="사진 여섯 장 민원")
    files = [("photos", (f"p{i}.png", png(), "image/png")) for i in range(6)]
    response = client.post("/report", data=data, files=files)
    assert response.status_code == 422
    assert "사진은 최대 5장까지" in response.text
    assert "사진 여섯 장 민원" in response.text
    five = client.post("/report", data=form_data(client, settings), files=files[:5])
    assert five.status_code == 200, five.text


def test_an_oversized_photo_is_refused(
    client: TestClient, world: World, settings: Settings, session: Session, monkeypatch: object
) -> None:
    big = png(size=(600, 600), noise=True)
    settings.max_attachment_bytes = len(big) - 1
    response = client.post(
        "/report", data=form_data(client, settings), files=[("photos", ("big.png", big, "image/png"))]
    )
    assert response.status_code == 422
    assert "너무 큽니다" in response.text
    assert session.scalar(select(Case.id)) is None


def test_a_file_that_is_not_a_photo_is_refused_whatever_it_claims(
    client: TestClient, world: World, settings: Settings, session: Session
) -> None:
    fake = b"%PDF-1.4 not an image"
    response = client.post(
        "/report", data=form_data(client, settings), files=[("photos", ("a.jpg", fake, "image/jpeg"))]
    )
    assert response.status_code == 422
    assert "받을 수 있는 사진 형식이 아닙니다" in response.text
    broken = b"\xff\xd8\xff" + b"\x00" * 100  # a JPEG signature with nothing behind it
    response = client.post(
        "/report", data=form_data(client, settings), files=[("photos", ("b.jpg", broken, "image/jpeg"))]
    )
    assert response.status_code == 422
    assert "열 수 없습니다" in response.text
    assert session.scalar(select(Case.id)) is None


def test_heic_and_webp_are_taken_and_stored_cleaned(
    client: TestClient, world: World, settings: Settings, session: Session
) -> None:
    image = Image.new("RGB", (30, 30), (10, 120, 10))
    heic, webp = io.BytesIO(), io.BytesIO()
    image.save(heic, "HEIF")
    image.save(webp, "WEBP")
    files = [
        ("photos", ("a.heic", heic.getvalue(), "image/heic")),
        ("photos", ("b.webp", webp.getvalue(), "image/webp")),
    ]
    response = client.post("/report", data=form_data(client, settings), files=files)
    assert response.status_code == 200, response.text
    types = sorted(session.scalars(select(Attachment.content_type)))
    assert types == ["image/jpeg", "image/webp"]  # HEIC is stored as JPEG: browsers cannot show HEIC
