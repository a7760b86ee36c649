"""PDF files kept in the instance folder beside database rows (briefing materials, answer attachments, minutes).

A file is written complete under a temporary name and renamed to a generated one only once checked, so no
half-written or refused file ever carries a row's name. It goes away again unless the transaction that stores its row
commits, and a file whose row is deleted goes only once that deletion commits.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from meeting_hub.errors import ValidationFailed
from meeting_hub.extensions import db

PDF_HEADER = b"%PDF-"
PDF_TRAILER = b"%%EOF"
#: How far from the end "%%EOF" may sit: writers append newlines, and some tools a little padding after it.
TRAILER_WINDOW = 1024
MAX_FILENAME_LENGTH = 300
MEGABYTE = 1024 * 1024
_CHUNK = 64 * 1024
_NEW_FILES = "stored_files.new"
_DOOMED_FILES = "stored_files.doomed"


@dataclass(frozen=True)
class StoredPdf:
    """A PDF written to its folder: its generated name, size and SHA-256."""

    stored_name: str
    size: int
    sha256: str


def instance_folder(name: str) -> Path:
    """Return a folder of the app's instance folder (outside static/: files are served only through checked routes),
    creating it."""
    folder = Path(current_app.instance_path) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def format_size(size_bytes: int) -> str:
    """Format a size as "850 KB" or "2,4 MB" in the current locale."""
    if size_bytes < MEGABYTE:
        return f"{max(1, round(size_bytes / 1024))} KB"
    return f"{format_decimal(size_bytes / MEGABYTE, format='#,##0.#')} MB"


def size_limit_message(limit_bytes: int) -> str:
    """Return "Tệp vượt quá giới hạn 20 MB." for the limit."""
    return str(_("Tệp vượt quá giới hạn %(size)s.", size=format_size(limit_bytes)))


def clean_filename(filename: str | None) -> str:
    """Return the base name of an uploaded file's name (browsers on Windows send a whole path), bounded in length."""
    return os.path.basename((filename or "").replace("\\", "/")).strip()[:MAX_FILENAME_LENGTH]


def store_pdf(content: IO[bytes], folder: Path, limit: int, field: str) -> StoredPdf:
    """Check a PDF (not empty, within `limit` bytes, "%PDF-" header, "%%EOF" near the end) while copying it into
    `folder`; refusals name the form `field`. The file is removed again unless the transaction commits."""
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    temp_path = Path(temp_name)
    try:
        digest = hashlib.sha256()
        size = 0
        head = b""
        tail = b""
        with os.fdopen(fd, "wb") as handle:
            while chunk := content.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    _refuse(field, size_limit_message(limit))
                if len(head) < len(PDF_HEADER):
                    head = (head + chunk)[: len(PDF_HEADER)]
                    if len(head) == len(PDF_HEADER) and head != PDF_HEADER:
                        _refuse(field, _("Tệp không phải PDF hợp lệ."))  # no need to read the rest
                tail = (tail + chunk)[-TRAILER_WINDOW:]
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if size == 0:
            _refuse(field, _("Tệp trống."))
        if head != PDF_HEADER or PDF_TRAILER not in tail:
            _refuse(field, _("Tệp không phải PDF hợp lệ."))
        stored_name = f"{uuid.uuid4().hex}.pdf"
        os.replace(temp_path, folder / stored_name)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    _session_files(_NEW_FILES).append(folder / stored_name)
    return StoredPdf(stored_name, size, digest.hexdigest())


def remove_unless_committed(path: Path) -> None:
    """Remove a file written beside a new row (a rendered cover) unless the transaction storing the row commits."""
    _session_files(_NEW_FILES).append(path)


def remove_when_committed(path: Path) -> None:
    """Remove a stored file once the transaction deleting its row commits (never if it rolls back)."""
    _session_files(_DOOMED_FILES).append(path)


def _refuse(field: str, message: str) -> NoReturn:
    raise ValidationFailed(message, details={field: message})


def _session_files(key: str) -> list[Path]:
    files: list[Path] = db.session.info.setdefault(key, [])
    return files


@event.listens_for(Session, "after_commit")
def _files_after_commit(session: Session) -> None:
    """Keep the files of committed rows; remove the files of committed deletions."""
    session.info.pop(_NEW_FILES, None)
    for path in session.info.pop(_DOOMED_FILES, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _files_after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Remove the files whose row never got committed (rollback, failed commit, closed session)."""
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    for path in session.info.pop(_NEW_FILES, []):
        path.unlink(missing_ok=True)
    session.info.pop(_DOOMED_FILES, None)  # the deletion was rolled back: the file stays with its row
