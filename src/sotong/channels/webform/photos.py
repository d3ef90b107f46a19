"""Photos from the web form: type from the bytes, size and count limits, metadata removed before storage.

A phone photo carries its camera, owner name, time and the exact spot the citizen stood (EXIF GPS). Only two
things survive here: the GPS position, handed to the case as its location when the citizen gave none (then
dropped from the file), and the Orientation tag, so a portrait photo still shows upright. Everything else
(EXIF, XMP, comments, PNG text chunks) is discarded by re-encoding the pixels into a fresh file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from sotong.cases.attachments import sniff_image_type
from sotong.cases.inbound import InboundAttachment
from sotong.channels.webform.errors import FormError

try:  # iPhones send HEIC; without the plugin such photos are refused with a clear reason instead.
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIC = True
except ImportError:  # pragma: no cover - the dependency is declared; this only guards a broken install
    HEIC = False

ORIENTATION = 0x0112
GPS_IFD = 0x8825
# A 40-megapixel photo is already more than any phone takes; larger "images" are decompression bombs.
MAX_PIXELS = 40_000_000

# What each accepted type is stored as: browsers (and the staff console) cannot show HEIC, GIF becomes PNG.
_OUTPUT = {
    "image/jpeg": ("JPEG", "image/jpeg", ".jpg"),
    "image/png": ("PNG", "image/png", ".png"),
    "image/webp": ("WEBP", "image/webp", ".webp"),
    "image/heic": ("JPEG", "image/jpeg", ".jpg"),
    "image/heif": ("JPEG", "image/jpeg", ".jpg"),
    "image/gif": ("PNG", "image/png", ".png"),
}


@dataclass(frozen=True)
class Upload:
    """One file as the browser sent it (the declared type is kept only for the log; the bytes decide)."""

    data: bytes
    filename: str | None = None
    declared_type: str | None = None


@dataclass(frozen=True)
class Photos:
    """The cleaned photos and the first GPS position found in them (before it was removed)."""

    attachments: tuple[InboundAttachment, ...]
    latitude: float | None = None
    longitude: float | None = None


def _ratio(value: Any) -> float:
    """An EXIF rational (Pillow's IFDRational, or a (numerator, denominator) pair) as a float."""
    if isinstance(value, tuple) and len(value) == 2:
        return float(value[0]) / float(value[1]) if value[1] else 0.0
    return float(value)


def _degrees(dms: Any, ref: Any) -> float | None:
    try:
        degrees, minutes, seconds = (_ratio(v) for v in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    ref = ref.decode() if isinstance(ref, bytes) else str(ref or "")
    return -value if ref.strip().upper() in ("S", "W") else value


def gps_position(image: Image.Image) -> tuple[float, float] | None:
    """The (latitude, longitude) in the photo's EXIF GPS block, or None if absent or nonsensical."""
    gps = image.getexif().get_ifd(GPS_IFD)
    if not gps or 2 not in gps or 4 not in gps:
        return None
    latitude = _degrees(gps[2], gps.get(1))
    longitude = _degrees(gps[4], gps.get(3))
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if latitude == 0 and longitude == 0:  # cameras without a fix write zeros
        return None
    return latitude, longitude


def _clean(image: Image.Image, sniffed: str) -> tuple[bytes, str, str]:
    """Re-encode the pixels into a new file carrying no metadata but the Orientation tag."""
    fmt, content_type, suffix = _OUTPUT[sniffed]
    orientation = image.getexif().get(ORIENTATION)
    exif = Image.Exif()
    if isinstance(orientation, int) and 1 <= orientation <= 8 and sniffed not in ("image/heic", "image/heif"):
        # (HEIC decoders already turn the pixels upright; the tag would rotate them a second time.)
        exif[ORIENTATION] = orientation
    icc = image.info.get("icc_profile")
    # A JPEG is re-encoded from its own object (its quantisation tables are reused); others from a copy of the
    # first frame (an animated GIF becomes a still).
    frame = image if sniffed == "image/jpeg" else image.copy()
    frame.info = {}  # no XMP, comments or text chunks carried over by the encoder
    options: dict[str, Any] = {"exif": exif.tobytes()} if len(exif) else {}
    if icc:
        options["icc_profile"] = icc  # colour, not personal data
    if fmt == "JPEG":
        if frame.mode not in ("RGB", "L", "CMYK"):
            frame = frame.convert("RGB")
        # "keep" reuses the original quantisation tables: no visible loss from re-encoding a JPEG.
        quality: Any = "keep" if frame is image and getattr(image, "quantization", None) else 90
        frame.save(out := io.BytesIO(), fmt, quality=quality, **options)
    elif fmt == "WEBP":
        frame.save(out := io.BytesIO(), fmt, quality=90, **options)
    else:
        if frame.mode not in ("RGB", "RGBA", "L", "LA", "P", "1", "I", "I;16"):
            frame = frame.convert("RGBA")
        frame.save(out := io.BytesIO(), fmt, optimize=True, **options)
    return out.getvalue(), content_type, suffix


def _open(upload: Upload, name: str) -> tuple[Image.Image, str]:
    sniffed = sniff_image_type(upload.data)
    if sniffed is None:
        raise FormError("channels.webform.error.photo_type", name=name)
    if sniffed in ("image/heic", "image/heif") and not HEIC:
        raise FormError("channels.webform.error.photo_type", name=name)
    try:
        image = Image.open(io.BytesIO(upload.data))
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise FormError("channels.webform.error.photo_broken", name=name)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise FormError("channels.webform.error.photo_broken", name=name) from None
    return image, sniffed


def process_photos(uploads: list[Upload], *, max_count: int, max_bytes: int) -> Photos:
    """Check and clean the form's photos; FormError (with the photo's name) on the first one refused.

    Empty file parts (a file input left empty) are skipped. Nothing is written anywhere: intake stores the
    cleaned bytes with the case, in the same transaction.
    """
    chosen = [u for u in uploads if u.data]
    if len(chosen) > max_count:
        raise FormError("channels.webform.error.too_many_photos", count=max_count)
    attachments: list[InboundAttachment] = []
    position: tuple[float, float] | None = None
    for index, upload in enumerate(chosen, start=1):
        name = upload.filename or f"사진 {index}"
        if len(upload.data) > max_bytes:
            raise FormError("channels.webform.error.photo_too_large", name=name, limit=f"{max_bytes // (1024 * 1024)}")
        image, sniffed = _open(upload, name)
        with image:
            position = position or gps_position(image)
            data, content_type, suffix = _clean(image, sniffed)
        stem = (upload.filename or f"photo-{index}").rsplit(".", 1)[0][:80]
        attachments.append(InboundAttachment(data=data, filename=f"{stem}{suffix}", content_type=content_type))
    return Photos(
        attachments=tuple(attachments),
        latitude=position[0] if position else None,
        longitude=position[1] if position else None,
    )
