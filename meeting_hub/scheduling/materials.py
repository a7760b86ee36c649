"""Briefing materials: PDF uploads kept in the instance folder, their share links, QR codes and download counts."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
import unicodedata
import uuid
from pathlib import Path
from typing import IO, NoReturn

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.accounts.policy import ORGANIZERS
from meeting_hub.clock import local_zone
from meeting_hub.database import utcnow
from meeting_hub.errors import AccessDenied, NotFound, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.scheduling.models import Briefing, Material
from meeting_hub.scheduling.services import get_briefing

DEFAULT_MATERIAL_TITLE = "Thông tin tuyên giáo"
MATERIALS_FOLDER = "materials"
PDF_HEADER = b"%PDF-"
PDF_TRAILER = b"%%EOF"
#: How far from the end "%%EOF" may sit: writers append newlines, and some tools a little padding after it.
TRAILER_WINDOW = 1024
MAX_TITLE_LENGTH = 300
MAX_FILENAME_LENGTH = 300
_CHUNK = 64 * 1024
MEGABYTE = 1024 * 1024

# Files written or doomed within a database transaction; see _settle_files below.
_NEW_FILES = "materials.new_files"
_DOOMED_FILES = "materials.doomed_files"


def materials_folder() -> Path:
    """Return the folder holding the stored PDFs (instance folder's materials/, outside static/), creating it."""
    folder = Path(current_app.instance_path) / MATERIALS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def max_material_bytes() -> int:
    """Return the upload size limit (config MATERIAL_MAX_BYTES, default 20 MB)."""
    return int(current_app.config.get("MATERIAL_MAX_BYTES", 20 * MEGABYTE))


def format_size(size_bytes: int) -> str:
    """Format a size as "850 KB" or "2,4 MB" in the current locale."""
    if size_bytes < MEGABYTE:
        return f"{max(1, round(size_bytes / 1024))} KB"
    return f"{format_decimal(size_bytes / MEGABYTE, format='#,##0.#')} MB"


def size_limit_message(limit_bytes: int | None = None) -> str:
    """Return "Tệp vượt quá giới hạn 20 MB." for the given (or configured) limit."""
    limit = max_material_bytes() if limit_bytes is None else limit_bytes
    return str(_("Tệp vượt quá giới hạn %(size)s.", size=format_size(limit)))


def can_manage_materials(user: User | None) -> bool:
    """Tell whether the user may upload, revoke, renew and delete materials (the policy's ORGANIZERS)."""
    return ORGANIZERS.allows(user)


def _require_editor(actor: User) -> None:
    if not can_manage_materials(actor):
        raise AccessDenied(_("Chỉ cán bộ tổ chức và quản trị được quản lý tài liệu."))


def default_material_title(briefing: Briefing) -> str:
    """Return "Thông tin tuyên giáo tháng M/YYYY" for the briefing's month, the upload form's suggestion."""
    month = briefing.series_month or briefing.starts_at.astimezone(local_zone()).date()
    return f"{DEFAULT_MATERIAL_TITLE} tháng {month.month}/{month.year}"


def download_name(material: Material) -> str:
    """Return the file name a downloader gets: the title (not the uploaded name), safe for any file system."""
    unsafe = '/\\:*?"<>|'
    name = "".join("-" if ch in unsafe or unicodedata.category(ch).startswith("C") else ch for ch in material.title)
    name = " ".join(name.split()).strip(" .") or "tai-lieu"
    return f"{name[:150]}.pdf"


# Storing files


def _store_pdf(content: IO[bytes], limit: int) -> tuple[str, int, str]:
    """Copy an upload into the materials folder under a generated name; return (stored_name, size, sha256).

    The bytes go to a temporary file in the same folder, renamed into place only once complete and checked,
    so no half-written or rejected file is ever left under a material's name.
    """
    folder = materials_folder()
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
                    raise ValidationFailed(size_limit_message(limit), details={"file": size_limit_message(limit)})
                if len(head) < len(PDF_HEADER):
                    head = (head + chunk)[: len(PDF_HEADER)]
                    if len(head) == len(PDF_HEADER) and head != PDF_HEADER:
                        _refuse_not_pdf()  # no need to read the rest of a file that is not a PDF
                tail = (tail + chunk)[-TRAILER_WINDOW:]
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if size == 0:
            raise ValidationFailed(_("Tệp trống."), details={"file": _("Tệp trống.")})
        if head != PDF_HEADER or PDF_TRAILER not in tail:
            _refuse_not_pdf()
        stored_name = f"{uuid.uuid4().hex}.pdf"
        os.replace(temp_path, folder / stored_name)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return stored_name, size, digest.hexdigest()


def _refuse_not_pdf() -> NoReturn:
    message = _("Tệp không phải PDF hợp lệ.")
    raise ValidationFailed(message, details={"file": message})


def _files(session: Session, key: str) -> list[Path]:
    files: list[Path] = session.info.setdefault(key, [])
    return files


@event.listens_for(Session, "after_commit")
def _files_after_commit(session: Session) -> None:
    """Keep the files of committed uploads; remove the files of committed deletions."""
    session.info.pop(_NEW_FILES, None)
    for path in session.info.pop(_DOOMED_FILES, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _files_after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Remove the files of uploads whose row never got committed (rollback, failed commit, closed session)."""
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    for path in session.info.pop(_NEW_FILES, []):
        path.unlink(missing_ok=True)
    session.info.pop(_DOOMED_FILES, None)  # the deletion was rolled back: the file stays with its row


# Operations


def attach_material(briefing: Briefing, title: str, filename: str, content: IO[bytes] | bytes, actor: User) -> Material:
    """Store an uploaded PDF and attach it to the briefing with a fresh share link; the caller commits.

    If the transaction does not commit, the stored file is removed again.
    """
    _require_editor(actor)
    original_filename = os.path.basename((filename or "").replace("\\", "/")).strip()[:MAX_FILENAME_LENGTH]
    title = " ".join(title.split()) or os.path.splitext(original_filename)[0].strip()
    if not title:
        raise ValidationFailed(_("Cần nhập tiêu đề tài liệu."), details={"title": _("Bắt buộc.")})
    if len(title) > MAX_TITLE_LENGTH:
        message = _("Tiêu đề không dài quá %(n)d ký tự.", n=MAX_TITLE_LENGTH)
        raise ValidationFailed(message, details={"title": message})
    stream = io.BytesIO(content) if isinstance(content, bytes) else content
    stored_name, size, sha256 = _store_pdf(stream, max_material_bytes())
    stored_path = materials_folder() / stored_name
    _files(db.session(), _NEW_FILES).append(stored_path)
    material = Material(
        briefing_id=briefing.id,
        title=title,
        original_filename=original_filename or stored_name,
        stored_name=stored_name,
        size_bytes=size,
        sha256=sha256,
        uploaded_by_id=actor.id,
        share_token=secrets.token_urlsafe(32),
    )
    try:
        db.session.add(material)
        db.session.flush()
    except BaseException:
        stored_path.unlink(missing_ok=True)
        raise
    audit.record(
        "material.upload",
        actor,
        target=f"material:{material.id}",
        briefing_id=briefing.id,
        title=material.title,
        size_bytes=size,
        sha256=sha256,
    )
    return material


def get_material(material_id: int, viewer: User) -> Material:
    """Return a material the viewer may see (its briefing's visibility), or raise NotFound / AccessDenied."""
    material = db.session.get(Material, material_id)
    if material is None:
        raise NotFound(_("Không tìm thấy tài liệu."))
    get_briefing(material.briefing_id, viewer)
    return material


def find_shared_material(token: str) -> Material:
    """Return the material behind a live share link; unknown and revoked tokens are both NotFound."""
    material = None
    if 0 < len(token) <= 64:
        material = db.session.scalar(
            sa.select(Material).where(Material.share_token == token, Material.share_revoked_at.is_(None))
        )
    if material is None:
        raise NotFound(_("Liên kết tài liệu không tồn tại hoặc đã bị thu hồi."))
    return material


def stored_path(material: Material) -> Path:
    """Return the path of the material's file."""
    return materials_folder() / material.stored_name


def open_material_for_download(material: Material, *, count: bool = True) -> Path:
    """Return the file to send and count the download (unless it only resumes one); the caller commits."""
    path = stored_path(material)
    if not path.is_file():
        raise NotFound(_("Tệp tài liệu không còn trên máy chủ."))
    if count:
        # One UPDATE with the arithmetic in SQL: concurrent downloads each add one, none is lost.
        db.session.execute(
            sa.update(Material)
            .where(Material.id == material.id)
            .values(download_count=Material.download_count + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(material, ["download_count"])
    return path


def revoke_share_link(material: Material, actor: User) -> Material:
    """Stop the material's share link (and its QR code) from working; the caller commits."""
    _require_editor(actor)
    if material.share_revoked_at is None:
        material.share_revoked_at = utcnow()
        audit.record("material.share_revoke", actor, target=f"material:{material.id}", title=material.title)
    return material


def renew_share_link(material: Material, actor: User) -> Material:
    """Issue a new share link; the old one (and every printed QR code of it) stops working. The caller commits."""
    _require_editor(actor)
    material.share_token = secrets.token_urlsafe(32)
    material.share_revoked_at = None
    audit.record("material.share_renew", actor, target=f"material:{material.id}", title=material.title)
    return material


def delete_material(material: Material, actor: User) -> None:
    """Delete the material's row, and its file once the deletion is committed; the caller commits."""
    _require_editor(actor)
    audit.record(
        "material.delete",
        actor,
        target=f"material:{material.id}",
        briefing_id=material.briefing_id,
        title=material.title,
        sha256=material.sha256,
        download_count=material.download_count,
    )
    _files(db.session(), _DOOMED_FILES).append(stored_path(material))
    db.session.delete(material)
    db.session.flush()
