"""The monthly bulletin "Thông tin tuyên giáo" as a publication: its PDF and cover, its share links (one public, one per
endpoint), how often each link was opened per day, and the endpoints' receipts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meeting_hub.accounts.models import User
from meeting_hub.database import Base, UTCDateTime, string_enum, utcnow
from meeting_hub.network.models import Endpoint
from meeting_hub.scheduling.models import Briefing


class BulletinStatus(StrEnum):
    """A bulletin is prepared as a draft, then published (its links work and endpoints confirm receipt)."""

    DRAFT = "draft"
    PUBLISHED = "published"


BULLETIN_STATUS_LABELS = {
    BulletinStatus.DRAFT: _l("Bản nháp"),
    BulletinStatus.PUBLISHED: _l("Đã phát hành"),
}


class Bulletin(Base):
    """One month's bulletin: a PDF with a cover rendered from its first page."""

    __tablename__ = "bulletins"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The first day of the month the bulletin is for; one bulletin per month.
    month: Mapped[date] = mapped_column(sa.Date(), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[BulletinStatus] = mapped_column(
        string_enum(BulletinStatus, "bulletin_status"), default=BulletinStatus.DRAFT
    )
    #: The briefing it is presented at, if any (shown on that briefing's page).
    briefing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("briefings.id", ondelete="SET NULL"), index=True)
    original_filename: Mapped[str] = mapped_column(sa.String(300))
    #: Generated file names inside the instance folder's bulletins/ directory; never the uploaded name.
    stored_name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    cover_name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    size_bytes: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    page_count: Mapped[int] = mapped_column()
    #: Raised each time the organizer issues new links: links of an older generation answer 410.
    share_generation: Mapped[int] = mapped_column(default=1)
    #: Set while the organizer has revoked the links (none works until new ones are issued).
    share_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    briefing: Mapped[Briefing | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    @property
    def is_published(self) -> bool:
        """Tell whether the bulletin is published."""
        return self.status == BulletinStatus.PUBLISHED

    @property
    def links_live(self) -> bool:
        """Tell whether its share links work now (published and not revoked)."""
        return self.is_published and self.share_revoked_at is None


class BulletinLink(Base):
    """A share link of a bulletin: the public one (printed QR, endpoint_id empty) or one endpoint's own."""

    __tablename__ = "bulletin_links"
    __table_args__ = (
        # One link per source and generation, even when two pages ask for an endpoint's link at once.
        sa.Index(
            "uq_bulletin_links_endpoint",
            "bulletin_id",
            "share_generation",
            "endpoint_id",
            unique=True,
            sqlite_where=sa.text("endpoint_id IS NOT NULL"),
            postgresql_where=sa.text("endpoint_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_bulletin_links_public",
            "bulletin_id",
            "share_generation",
            unique=True,
            sqlite_where=sa.text("endpoint_id IS NULL"),
            postgresql_where=sa.text("endpoint_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(sa.ForeignKey("bulletins.id", ondelete="CASCADE"))
    #: Empty for the public link (the printed QR code); else the endpoint that shares this link.
    endpoint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("endpoints.id"))
    share_generation: Mapped[int] = mapped_column()
    #: Secret part of the link (works without signing in while the bulletin's links are live).
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    bulletin: Mapped[Bulletin] = relationship()
    endpoint: Mapped[Endpoint | None] = relationship()


class BulletinOpen(Base):
    """How many times a link was opened on a day (Vietnam time): a count only, nothing about the reader."""

    __tablename__ = "bulletin_opens"

    link_id: Mapped[int] = mapped_column(sa.ForeignKey("bulletin_links.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date(), primary_key=True)
    opens: Mapped[int] = mapped_column(default=0)


class BulletinReceipt(Base):
    """An endpoint's confirmation that it received the bulletin: "đã nhận"."""

    __tablename__ = "bulletin_receipts"
    __table_args__ = (sa.UniqueConstraint("bulletin_id", "endpoint_id", name="uq_bulletin_receipts_bulletin_endpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(sa.ForeignKey("bulletins.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("endpoints.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    endpoint: Mapped[Endpoint] = relationship()
    confirmed_by: Mapped[User | None] = relationship()
