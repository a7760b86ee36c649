"""The PDF a responder may attach to an answer: checked like briefing materials, kept in the instance folder.

The checks are those of meeting_hub/scheduling/materials.py (the "%PDF-" header, "%%EOF" near the end, a size limit,
an empty file refused); the file is written under a generated name and removed again if the answer is not committed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from meeting_hub.errors import ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.scheduling.materials import PDF_HEADER, PDF_TRAILER, TRAILER_WINDOW, size_limit_message

ANSWERS_FOLDER = "answers"
MAX_FILENAME_LENGTH = 300
_CHUNK = 64 * 1024
_NEW_FILES = "follow_up.new_answer_files"


@dataclass(frozen=True)
class AnswerFile:
    """An uploaded PDF before it is stored: its original name and its bytes."""

    filename: str
    content: IO[bytes]


@dataclass(frozen=True)
class StoredFile:
    """A PDF stored for an answer."""

    original_name: str
    stored_name: str
    size: int
    sha256: str


def answers_folder() -> Path:
    """Return the folder of answer PDFs (instance folder's answers/), creating it."""
    folder = Path(current_app.instance_path) / ANSWERS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def max_answer_bytes() -> int:
    """Return the size limit of an answer PDF (config ISSUE_ANSWER_MAX_BYTES)."""
    return int(current_app.config.get("ISSUE_ANSWER_MAX_BYTES", 10 * 1024 * 1024))


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"attachment": message})


def store_answer_pdf(upload: AnswerFile) -> StoredFile:
    """Check and store an answer PDF; the file goes away again unless the transaction commits."""
    limit = max_answer_bytes()
    folder = answers_folder()
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    temp_path = Path(temp_name)
    try:
        digest, size, head, tail = hashlib.sha256(), 0, b"", b""
        with os.fdopen(fd, "wb") as handle:
            while chunk := upload.content.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _refuse(size_limit_message(limit))
                head = (head + chunk)[: len(PDF_HEADER)] if len(head) < len(PDF_HEADER) else head
                tail = (tail + chunk)[-TRAILER_WINDOW:]
                digest.update(chunk)
                handle.write(chunk)
        if size == 0:
            raise _refuse(_("Tệp trống."))
        if head != PDF_HEADER or PDF_TRAILER not in tail:
            raise _refuse(_("Tệp không phải PDF hợp lệ."))
        stored_name = f"{uuid.uuid4().hex}.pdf"
        os.replace(temp_path, folder / stored_name)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    db.session.info.setdefault(_NEW_FILES, []).append(folder / stored_name)
    original = os.path.basename((upload.filename or "").replace("\\", "/")).strip()[:MAX_FILENAME_LENGTH]
    return StoredFile(original or stored_name, stored_name, size, digest.hexdigest())


def stored_path(stored_name: str) -> Path:
    """Return the path of a stored answer PDF."""
    return answers_folder() / stored_name


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    for path in session.info.pop(_NEW_FILES, []):
        path.unlink(missing_ok=True)
