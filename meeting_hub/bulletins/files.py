"""The bulletin's files in the instance folder: its PDF, checked as it is stored, and the cover rendered from its first
page (pypdfium2: PDFium ships inside the wheel, so no system package is needed)."""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pypdfium2 as pdfium
from flask import current_app
from flask_babel import gettext as _
from PIL import Image

from meeting_hub import stored_files
from meeting_hub.errors import ValidationFailed

BULLETINS_FOLDER = "bulletins"
#: The cover's width in pixels: sharp on a phone's screen (360 CSS px at 2x), small enough for a slow link.
COVER_WIDTH = 720
#: A page's area past which a cover would be a huge bitmap (a poster-sized first page): rendered at this area at most.
MAX_COVER_PIXELS = 720 * 2000


@dataclass(frozen=True)
class StoredBulletin:
    """A bulletin's PDF and cover written to the folder."""

    stored_name: str
    cover_name: str
    size: int
    sha256: str
    page_count: int


def bulletins_folder() -> Path:
    """Return the folder holding the bulletins' PDFs and covers (outside static/), creating it."""
    return stored_files.instance_folder(BULLETINS_FOLDER)


def max_bulletin_bytes() -> int:
    """Return the upload size limit (the materials' MATERIAL_MAX_BYTES, 20 MB by default)."""
    return int(current_app.config.get("MATERIAL_MAX_BYTES", 20 * stored_files.MEGABYTE))


def store_bulletin_pdf(content: IO[bytes] | bytes) -> StoredBulletin:
    """Check and store an uploaded PDF and render its cover; refusals are Vietnamese ValidationFailed on `file`.

    Both files go away again unless the transaction that stores their row commits.
    """
    folder = bulletins_folder()
    stream = io.BytesIO(content) if isinstance(content, bytes) else content
    stored = stored_files.store_pdf(stream, folder, max_bulletin_bytes(), "file")
    pdf_path = folder / stored.stored_name
    cover, page_count = render_cover(pdf_path)
    cover_name = f"{uuid.uuid4().hex}.png"
    cover_path = folder / cover_name
    temp_path = folder / f".{cover_name}.part"
    temp_path.write_bytes(cover)
    os.replace(temp_path, cover_path)
    stored_files.remove_unless_committed(cover_path)
    return StoredBulletin(stored.stored_name, cover_name, stored.size, stored.sha256, page_count)


def render_cover(pdf_path: Path) -> tuple[bytes, int]:
    """Return (the first page as a PNG COVER_WIDTH pixels wide, the page count); a PDF PDFium cannot open is refused."""
    message = _("Không đọc được tệp PDF: tệp bị hỏng hoặc được bảo vệ bằng mật khẩu.")
    try:
        document = pdfium.PdfDocument(str(pdf_path))
    except pdfium.PdfiumError:
        raise ValidationFailed(message, details={"file": message}) from None
    try:
        page_count = len(document)
        if page_count == 0:
            empty = _("Tệp PDF không có trang nào.")
            raise ValidationFailed(empty, details={"file": empty})
        page = document[0]
        width, height = page.get_size()
        if width <= 0 or height <= 0:
            raise ValidationFailed(message, details={"file": message})
        scale = COVER_WIDTH / width
        scale = min(scale, (MAX_COVER_PIXELS / (width * height)) ** 0.5)
        image: Image.Image = page.render(scale=scale).to_pil()
        page.close()
    except pdfium.PdfiumError:
        raise ValidationFailed(message, details={"file": message}) from None
    finally:
        document.close()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue(), page_count


def pdf_path(stored_name: str) -> Path:
    """Return the path of a stored bulletin file (PDF or cover)."""
    return bulletins_folder() / stored_name
