"""Briefing materials: PDF uploads kept in the instance folder, their share links, QR codes and download counts."""

from __future__ import annotations

import io
import os
import secrets
import unicodedata
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from meeting_hub import stored_files
from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.accounts.policy import ORGANIZERS
from meeting_hub.clock import local_zone
from meeting_hub.database import utcnow
from meeting_hub.errors import AccessDenied, NotFound, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.scheduling.models import Briefing, Material
from meeting_hub.scheduling.services import get_briefing
from meeting_hub.text_input import text_problem

DEFAULT_MATERIAL_TITLE = "Thông tin tuyên giáo"
MATERIALS_FOLDER = "materials"
MAX_TITLE_LENGTH = 300


def materials_folder() -> Path:
    """Return the folder holding the stored PDFs (instance folder's materials/, outside static/), creating it."""
    return stored_files.instance_folder(MATERIALS_FOLDER)


def max_material_bytes() -> int:
    """Return the upload size limit (config MATERIAL_MAX_BYTES, default 20 MB)."""
    return int(current_app.config.get("MATERIAL_MAX_BYTES", 20 * stored_files.MEGABYTE))


def size_limit_message(limit_bytes: int | None = None) -> str:
    """Return "Tệp vượt quá giới hạn 20 MB." for the given (or configured) limit."""
    return stored_files.size_limit_message(max_material_bytes() if limit_bytes is None else limit_bytes)


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


# Operations


def attach_material(briefing: Briefing, title: str, filename: str, content: IO[bytes] | bytes, actor: User) -> Material:
    """Store an uploaded PDF and attach it to the briefing with a fresh share link; the caller commits.

    If the transaction does not commit, the stored file is removed again.
    """
    _require_editor(actor)
    original_filename = stored_files.clean_filename(filename)
    title = " ".join(title.split()) or os.path.splitext(original_filename)[0].strip()
    if not title:
        raise ValidationFailed(_("Cần nhập tiêu đề tài liệu."), details={"title": _("Bắt buộc.")})
    if problem := text_problem(title):  # the upload's title comes outside a form class
        raise ValidationFailed(problem, details={"title": problem})
    if len(title) > MAX_TITLE_LENGTH:
        message = _("Tiêu đề không dài quá %(n)d ký tự.", n=MAX_TITLE_LENGTH)
        raise ValidationFailed(message, details={"title": message})
    stream = io.BytesIO(content) if isinstance(content, bytes) else content
    stored = stored_files.store_pdf(stream, materials_folder(), max_material_bytes(), "file")
    stored_name, size, sha256 = stored.stored_name, stored.size, stored.sha256
    stored_path = materials_folder() / stored_name
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
    stored_files.remove_when_committed(stored_path(material))
    db.session.delete(material)
    db.session.flush()
