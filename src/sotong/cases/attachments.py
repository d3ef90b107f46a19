"""Storing attachments on disk, content-addressed by SHA-256, after checking size and real type."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sotong.errors import AttachmentRejected
from sotong.settings import get_settings

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
