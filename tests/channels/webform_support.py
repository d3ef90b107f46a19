"""Building web form submissions and photos for the web form tests."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import uuid

from fastapi.testclient import TestClient
from PIL import Image

from sotong.channels.webform.service import form_token
from sotong.settings import Settings
from tests.web.conftest import csrf_from


def form_data(client: TestClient, settings: Settings, *, seconds_ago: float = 30, **fields: str) -> dict[str, str]:
    """A filled-in form as a person would send it: shown `seconds_ago`, fresh submission id, unique text."""
    page = client.get("/report?org=songpa")
    assert page.status_code == 200
    assert re.search(r'name="form_token" value="[^"]+"', page.text)
    shown = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds_ago)
    data = {
        "csrf_token": csrf_from(page.text),
        "submission_id": str(uuid.uuid4()),
        "form_token": form_token(settings, now=shown),
        "org": "songpa",
        "text": f"석촌호수 앞 보도블럭이 깨졌어요 ({uuid.uuid4().hex[:8]})",
        "address": "서울 송파구 잠실동",
    }
    data.update(fields)
    return data


def jpeg_with_gps(orientation: int = 1) -> bytes:
    """A 40x20 JPEG with a camera make, an owner, an orientation and GPS (37.51 N, 127.1059 E)."""
    image = Image.new("RGB", (40, 20), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Canon"
    exif[0x013B] = "Kim Cheolsu"  # Artist
    exif[0x8825] = {1: "N", 2: (37.0, 30.0, 36.0), 3: "E", 4: (127.0, 6.0, 21.24)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(size: tuple[int, int] = (8, 8), *, noise: bool = False) -> bytes:
    """A real PNG; with `noise` it does not compress (to test size limits with a small image)."""
    image = Image.new("RGB", size, (0, 0, 255))
    if noise:
        rng = random.Random(1)
        image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(size[0] * size[1])])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
