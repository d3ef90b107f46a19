"""Storing attachments on disk, content-addressed by SHA-256, after checking size and real type; reading an
answer's photos back for the connectors that post them with the answer."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Attachment
from sotong.errors import AttachmentRejected
from sotong.outbox.transports import Delivery
from sotong.settings import get_settings

log = logging.getLogger(__name__)

# Magic numbers of the image types citizens send; the declared type is never trusted.
_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"ftypheic", 4, "image/heic"),
    (b"ftypheix", 4, "image/heic"),
    (b"ftypmif1", 4, "image/heif"),
]


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the media directory
    sha256: str
    size: int
    content_type: str


def sniff_image_type(data: bytes) -> str | None:
    """The image MIME type read from the bytes themselves, or None if it is not an image we accept."""
    for signature, offset, mime in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            if mime == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return mime
    return None


def validate_image(data: bytes, filename: str | None = None) -> str:
    """The sniffed type of an acceptable image, or AttachmentRejected with the reason."""
    settings = get_settings()
    name = filename or "attachment"
    if not data:
        raise AttachmentRejected(f"{name} is empty")
    if len(data) > settings.max_attachment_bytes:
        raise AttachmentRejected(f"{name} is {len(data):,} bytes; the limit is {settings.max_attachment_bytes:,} bytes")
    content_type = sniff_image_type(data)
    if content_type is None:
        raise AttachmentRejected(f"{name} is not an image (JPEG, PNG, GIF, WebP or HEIC)")
    return content_type


def store_file(data: bytes, content_type: str) -> StoredFile:
    """Write `data` under the media directory by its hash (writing the same bytes twice is a no-op)."""
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(digest[:2]) / digest
    target = get_settings().media_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename so a reader never sees half a file.
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(target)
    return StoredFile(path=str(relative), sha256=digest, size=len(data), content_type=content_type)


@dataclass(frozen=True)
class OutboundPhoto:
    """A photo of the result the officer attached to an answer, as a connector uploads it."""

    data: bytes
    content_type: str
    filename: str


def answer_photos(session: Session, delivery: Delivery, *, limit: int) -> list[OutboundPhoto]:
    """The photos of the answer a delivery carries (none for receipts and notices), oldest first, at most `limit`.

    Yeongdeungpo's "result with photo": the citizen sees the repaired pavement where they complained, not only
    on the portal. A photo missing from the media directory is skipped with a warning, never the answer.
    """
    answer_id = delivery.payload.get("answer_id")
    if delivery.kind != "answer" or not answer_id:
        return []
    rows = session.scalars(
        select(Attachment).where(Attachment.answer_id == int(answer_id)).order_by(Attachment.id).limit(limit)
    )
    root = get_settings().media_dir
    photos = []
    for row in rows:
        try:
            data = (root / row.path).read_bytes()
        except OSError as exc:
            log.warning("answer %s: photo %s unreadable (%s), sent without it", answer_id, row.path, exc)
            continue
        extension = row.content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
        photos.append(OutboundPhoto(data=data, content_type=row.content_type, filename=f"result-{row.id}.{extension}"))
    return photos
