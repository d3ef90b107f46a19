"""Reading uploaded photos from a multipart form, refusing too many or too large before they fill memory."""

from __future__ import annotations

from fastapi import UploadFile

from sotong.cases.inbound import InboundAttachment
from sotong.errors import AttachmentRejected, InvalidInput
from sotong.settings import Settings


def read_uploads(files: list[UploadFile] | None, settings: Settings) -> tuple[InboundAttachment, ...]:
    """The uploaded files as attachments for intake (an empty file input sends a part with no name: skipped)."""
    chosen = [f for f in files or [] if f.filename or (f.size or 0) > 0]
    if len(chosen) > settings.max_attachments:
        raise InvalidInput(f"at most {settings.max_attachments} photos per complaint")
    attachments = []
    for upload in chosen:
        # One byte past the limit is enough to know it is too large; intake checks the type from the bytes.
        data = upload.file.read(settings.max_attachment_bytes + 1)
        if len(data) > settings.max_attachment_bytes:
            raise AttachmentRejected(
                f"{upload.filename or 'attachment'} is larger than the limit of {settings.max_attachment_bytes:,} bytes"
            )
        attachments.append(InboundAttachment(data=data, filename=upload.filename, content_type=upload.content_type))
    return tuple(attachments)
