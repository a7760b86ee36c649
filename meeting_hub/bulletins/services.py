"""The bulletin's life: organizers create it from a PDF, edit it, publish it, revoke and reissue its share links;
operators confirm receipt for their endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import IO

import sqlalchemy as sa
from flask_babel import gettext as _

from meeting_hub import stored_files
from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.accounts.policy import ORGANIZERS, STAFF
from meeting_hub.accounts.roles import Role
from meeting_hub.bulletins import files, links
from meeting_hub.bulletins.models import Bulletin, BulletinReceipt, BulletinStatus
from meeting_hub.database import utcnow
from meeting_hub.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.scheduling.models import Briefing
from meeting_hub.text_input import text_problem

DEFAULT_TITLE = "Thông tin tuyên giáo"
MAX_TITLE_LENGTH = 300


@dataclass(frozen=True)
class BulletinUpload:
    """An uploaded PDF: the name the browser sent and its content."""

    filename: str
    content: IO[bytes] | bytes


def can_manage(user: User | None) -> bool:
    """Tell whether the user may create, edit, publish and revoke bulletins (organizers and admins)."""
    return ORGANIZERS.allows(user)


def _require_manager(actor: User) -> None:
    if not can_manage(actor):
        raise AccessDenied(_("Chỉ cán bộ tổ chức và quản trị được quản lý bản tin."))


def default_title(month: date) -> str:
    """Return "Thông tin tuyên giáo tháng M/YYYY", the form's suggestion."""
    return f"{DEFAULT_TITLE} tháng {month.month}/{month.year}"


def list_bulletins(viewer: User) -> list[Bulletin]:
    """Return the bulletins the viewer may see, newest month first: drafts only for organizers and admins."""
    statement = sa.select(Bulletin).order_by(Bulletin.month.desc())
    if not can_manage(viewer):
        statement = statement.where(Bulletin.status == BulletinStatus.PUBLISHED)
    return list(db.session.scalars(statement))


def get_bulletin(bulletin_id: int, viewer: User) -> Bulletin:
    """Return a bulletin the viewer may see; a draft is NotFound for those who cannot manage bulletins."""
    bulletin = db.session.get(Bulletin, bulletin_id)
    if bulletin is None or (not bulletin.is_published and not can_manage(viewer)):
        raise NotFound(_("Không tìm thấy bản tin."))
    if viewer.role not in STAFF.roles and viewer.role != Role.OPERATOR:
        raise AccessDenied(_("Bạn không có quyền xem bản tin."))
    return bulletin


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        message = _("Cần nhập tiêu đề bản tin.")
        raise ValidationFailed(message, details={"title": message})
    if problem := text_problem(title):
        raise ValidationFailed(problem, details={"title": problem})
    if len(title) > MAX_TITLE_LENGTH:
        message = _("Tiêu đề không dài quá %(n)d ký tự.", n=MAX_TITLE_LENGTH)
        raise ValidationFailed(message, details={"title": message})
    return title


def _check_month(month: date, bulletin: Bulletin | None) -> date:
    month = month.replace(day=1)
    taken = db.session.scalar(sa.select(Bulletin.id).where(Bulletin.month == month))
    if taken is not None and (bulletin is None or taken != bulletin.id):
        message = _("Tháng %(month)s đã có bản tin.", month=month.strftime("%m/%Y"))
        raise ValidationFailed(message, details={"month": message})
    return month


def _check_briefing(briefing_id: int | None) -> int | None:
    if briefing_id is None:
        return None
    if db.session.get(Briefing, briefing_id) is None:
        message = _("Không tìm thấy buổi giao ban.")
        raise ValidationFailed(message, details={"briefing_id": message})
    return briefing_id


def create_bulletin(
    month: date, title: str, upload: BulletinUpload, actor: User, briefing_id: int | None = None
) -> Bulletin:
    """Store the PDF, render its cover and create the month's bulletin as a draft; the caller commits."""
    _require_manager(actor)
    title = _clean_title(title)
    month = _check_month(month, None)
    briefing_id = _check_briefing(briefing_id)
    stored = files.store_bulletin_pdf(upload.content)
    bulletin = Bulletin(
        month=month,
        title=title,
        briefing_id=briefing_id,
        original_filename=stored_files.clean_filename(upload.filename) or stored.stored_name,
        stored_name=stored.stored_name,
        cover_name=stored.cover_name,
        size_bytes=stored.size,
        sha256=stored.sha256,
        page_count=stored.page_count,
        status=BulletinStatus.DRAFT,
        share_generation=1,
        created_by_id=actor.id,
    )
    db.session.add(bulletin)
    db.session.flush()
    audit.record(
        "bulletin.create",
        actor,
        target=f"bulletin:{bulletin.id}",
        title=title,
        month=month.isoformat(),
        sha256=stored.sha256,
    )
    return bulletin


def update_bulletin(
    bulletin: Bulletin,
    actor: User,
    *,
    month: date,
    title: str,
    briefing_id: int | None,
    upload: BulletinUpload | None = None,
) -> Bulletin:
    """Change a bulletin's month, title, briefing, and (optionally) its PDF and cover; the caller commits."""
    _require_manager(actor)
    bulletin.title = _clean_title(title)
    bulletin.month = _check_month(month, bulletin)
    bulletin.briefing_id = _check_briefing(briefing_id)
    detail: dict[str, str] = {}
    if upload is not None:
        stored = files.store_bulletin_pdf(upload.content)
        stored_files.remove_when_committed(files.pdf_path(bulletin.stored_name))
        stored_files.remove_when_committed(files.pdf_path(bulletin.cover_name))
        bulletin.original_filename = stored_files.clean_filename(upload.filename) or stored.stored_name
        bulletin.stored_name, bulletin.cover_name = stored.stored_name, stored.cover_name
        bulletin.size_bytes, bulletin.sha256, bulletin.page_count = stored.size, stored.sha256, stored.page_count
        detail["sha256"] = stored.sha256
    bulletin.updated_at = utcnow()
    db.session.flush()
    audit.record("bulletin.update", actor, target=f"bulletin:{bulletin.id}", title=bulletin.title, **detail)
    return bulletin


def publish(bulletin: Bulletin, actor: User) -> Bulletin:
    """Publish a draft: its public link and every active endpoint's link start to work. The caller commits.

    This is the one moment a bulletin becomes published: the "bulletin.published" notice hangs on it.
    """
    _require_manager(actor)
    if bulletin.is_published:
        raise Conflict(_("Bản tin đã được phát hành."))
    bulletin.status = BulletinStatus.PUBLISHED
    bulletin.published_at = utcnow()
    bulletin.published_by_id = actor.id
    bulletin.share_revoked_at = None
    links.issue_links(bulletin)
    audit.record("bulletin.publish", actor, target=f"bulletin:{bulletin.id}", title=bulletin.title)
    return bulletin


def revoke_links(bulletin: Bulletin, actor: User) -> Bulletin:
    """Stop every share link of the bulletin (public and endpoints', and their printed QR codes); the caller commits."""
    _require_manager(actor)
    if bulletin.share_revoked_at is None:
        bulletin.share_revoked_at = utcnow()
        audit.record("bulletin.share_revoke", actor, target=f"bulletin:{bulletin.id}", title=bulletin.title)
    return bulletin


def issue_new_links(bulletin: Bulletin, actor: User) -> Bulletin:
    """Issue a new set of share links; every older link (and QR code) answers "revoked" from now on. The caller
    commits."""
    _require_manager(actor)
    if not bulletin.is_published:
        raise Conflict(_("Bản tin chưa phát hành nên chưa có liên kết chia sẻ."))
    bulletin.share_generation += 1
    bulletin.share_revoked_at = None
    links.issue_links(bulletin)
    audit.record("bulletin.share_renew", actor, target=f"bulletin:{bulletin.id}", title=bulletin.title)
    return bulletin


def delete_draft(bulletin: Bulletin, actor: User) -> None:
    """Delete a draft and its files (a published bulletin stays: its links may be printed); the caller commits."""
    _require_manager(actor)
    if bulletin.is_published:
        raise Conflict(_("Không xóa được bản tin đã phát hành; hãy thu hồi liên kết nếu cần dừng chia sẻ."))
    audit.record("bulletin.delete", actor, target=f"bulletin:{bulletin.id}", title=bulletin.title)
    stored_files.remove_when_committed(files.pdf_path(bulletin.stored_name))
    stored_files.remove_when_committed(files.pdf_path(bulletin.cover_name))
    db.session.delete(bulletin)
    db.session.flush()


def confirm_receipt(bulletin: Bulletin, actor: User) -> BulletinReceipt:
    """Record that the operator's endpoint received the published bulletin (once; a repeat returns the first); the
    caller commits."""
    if actor.role != Role.OPERATOR or actor.endpoint_id is None:
        raise AccessDenied(_("Chỉ cán bộ điểm cầu xác nhận đã nhận bản tin cho điểm cầu của mình."))
    if not bulletin.is_published:
        raise NotFound(_("Không tìm thấy bản tin."))
    existing = db.session.scalar(
        sa.select(BulletinReceipt).where(
            BulletinReceipt.bulletin_id == bulletin.id, BulletinReceipt.endpoint_id == actor.endpoint_id
        )
    )
    if existing is not None:
        return existing
    receipt = BulletinReceipt(bulletin_id=bulletin.id, endpoint_id=actor.endpoint_id, confirmed_by_id=actor.id)
    db.session.add(receipt)
    db.session.flush()
    audit.record("bulletin.receipt", actor, target=f"bulletin:{bulletin.id}", endpoint_id=actor.endpoint_id)
    return receipt


def receipt_of(bulletin: Bulletin, endpoint_id: int) -> BulletinReceipt | None:
    """Return the endpoint's receipt of the bulletin, if it confirmed."""
    return db.session.scalar(
        sa.select(BulletinReceipt).where(
            BulletinReceipt.bulletin_id == bulletin.id, BulletinReceipt.endpoint_id == endpoint_id
        )
    )


def bulletins_of_briefing(briefing: Briefing) -> list[Bulletin]:
    """Return the published bulletins presented at a briefing (for its page)."""
    return list(
        db.session.scalars(
            sa.select(Bulletin).where(Bulletin.briefing_id == briefing.id, Bulletin.status == BulletinStatus.PUBLISHED)
        )
    )
