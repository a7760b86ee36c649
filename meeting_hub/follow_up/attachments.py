"""The PDF a responder may attach to an answer: checked like briefing materials, kept in the instance folder.

The checks and the file's life are those of every stored PDF (meeting_hub/stored_files.py): checked while copied,
written under a generated name, removed again if the answer is not committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app

from meeting_hub import stored_files

ANSWERS_FOLDER = "answers"


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
    return stored_files.instance_folder(ANSWERS_FOLDER)


def max_answer_bytes() -> int:
    """Return the size limit of an answer PDF (config ISSUE_ANSWER_MAX_BYTES)."""
    return int(current_app.config.get("ISSUE_ANSWER_MAX_BYTES", 10 * 1024 * 1024))


def store_answer_pdf(upload: AnswerFile) -> StoredFile:
    """Check and store an answer PDF; the file goes away again unless the transaction commits."""
    stored = stored_files.store_pdf(upload.content, answers_folder(), max_answer_bytes(), "attachment")
    original = stored_files.clean_filename(upload.filename)
    return StoredFile(original or stored.stored_name, stored.stored_name, stored.size, stored.sha256)


def stored_path(stored_name: str) -> Path:
    """Return the path of a stored answer PDF."""
    return answers_folder() / stored_name
