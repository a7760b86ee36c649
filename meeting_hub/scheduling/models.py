"""Briefing series, briefings with their agenda and invited endpoints, holidays, and materials."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meeting_hub.accounts.models import User
from meeting_hub.database import Base, UTCDateTime, string_enum, utcnow
from meeting_hub.network.models import Endpoint


class BriefingStatus(StrEnum):
    """Where a briefing is in its life."""

    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


BRIEFING_STATUS_LABELS = {
    BriefingStatus.SCHEDULED: _l("Đã lên lịch"),
    BriefingStatus.LIVE: _l("Đang diễn ra"),
    BriefingStatus.ENDED: _l("Đã kết thúc"),
    BriefingStatus.CANCELLED: _l("Đã hủy"),
}

series_endpoints = sa.Table(
    "series_endpoints",
    Base.metadata,
    sa.Column("series_id", sa.ForeignKey("briefing_series.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("endpoint_id", sa.ForeignKey("endpoints.id"), primary_key=True),
)

briefing_endpoints = sa.Table(
    "briefing_endpoints",
    Base.metadata,
    sa.Column("briefing_id", sa.ForeignKey("briefings.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("endpoint_id", sa.ForeignKey("endpoints.id"), primary_key=True, index=True),
)


class BriefingSeries(Base):
    """A monthly series: a rule ("2nd Tuesday", "day 31") that generates one briefing a month."""

    __tablename__ = "briefing_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    #: 0 = Monday ... 6 = Sunday, with `week`; empty for a "day of month" rule.
    weekday: Mapped[int | None] = mapped_column()
    #: 1..4, or -1 for the last such weekday of the month.
    week: Mapped[int | None] = mapped_column()
    #: 1..31 for a "day D of the month" rule; a shorter month uses its last day.
    day: Mapped[int | None] = mapped_column()
    start_time: Mapped[time] = mapped_column(sa.Time())
    duration_minutes: Mapped[int] = mapped_column()
    #: First day of the first month of the series.
    first_month: Mapped[date] = mapped_column(sa.Date())
    #: How many months the series runs; empty for open-ended (generated 12 months ahead, extended as time passes).
    months: Mapped[int | None] = mapped_column()
    video_link: Mapped[str] = mapped_column(sa.String(500), default="")
    room: Mapped[str] = mapped_column(sa.String(300), default="")
    #: True: invite every active endpoint; False: the endpoints in series_endpoints.
    all_endpoints: Mapped[bool] = mapped_column(default=True)
    #: The last month (first day) for which occurrences exist.
    generated_until: Mapped[date | None] = mapped_column(sa.Date())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    endpoints: Mapped[list[Endpoint]] = relationship(secondary=series_endpoints)
    briefings: Mapped[list[Briefing]] = relationship(back_populates="series", order_by="Briefing.starts_at")


class Briefing(Base):
    """One online briefing (buổi giao ban), alone or an occurrence of a series."""

    __tablename__ = "briefings"
    # One occurrence per series and month, even when two requests extend the same series at once.
    __table_args__ = (sa.UniqueConstraint("series_id", "series_month", name="uq_briefings_series_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("briefing_series.id"), index=True)
    #: The month (first day) this occurrence stands for in its series; it keeps it when moved.
    series_month: Mapped[date | None] = mapped_column(sa.Date())
    #: Set when the occurrence was moved or edited on its own: series edits then leave its time alone.
    detached: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str] = mapped_column(sa.String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    video_link: Mapped[str] = mapped_column(sa.String(500), default="")
    room: Mapped[str] = mapped_column(sa.String(300), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[BriefingStatus] = mapped_column(
        string_enum(BriefingStatus, "briefing_status"), default=BriefingStatus.SCHEDULED
    )
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Secretaries may check themselves in by scanning their endpoint's QR code (off unless the organizer allows it).
    self_check_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The name of the holiday this date falls on, when it does: shown to organizers to move it.
    holiday_name: Mapped[str | None] = mapped_column(sa.String(200))
    #: Stable iCalendar UID: calendar apps follow the event by it.
    ical_uid: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: iCalendar SEQUENCE: raised on every change of time, place or status.
    ical_sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    series: Mapped[BriefingSeries | None] = relationship(back_populates="briefings")
    endpoints: Mapped[list[Endpoint]] = relationship(secondary=briefing_endpoints, order_by=Endpoint.name)
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="briefing", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    materials: Mapped[list[Material]] = relationship(back_populates="briefing", order_by="Material.id")
    status_changed_by: Mapped[User | None] = relationship()
    reopenings: Mapped[list[BriefingReopening]] = relationship(
        back_populates="briefing", order_by="BriefingReopening.reopened_at"
    )

    @property
    def is_open(self) -> bool:
        """Tell whether the briefing is live (attendance and issues can be recorded)."""
        return self.status == BriefingStatus.LIVE

    def touch_calendar(self, now: datetime | None = None) -> None:
        """Record a change calendar apps must follow (time, place or status): raise SEQUENCE."""
        self.ical_sequence += 1
        self.updated_at = now or utcnow()


class BriefingReopening(Base):
    """A briefing ended by mistake and opened again, with the reason: its minutes get a new version when it closes."""

    __tablename__ = "briefing_reopenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id"), index=True)
    #: When the briefing had ended, the closing this reopening undid.
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reopened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reopened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    #: The minutes version frozen when the briefing closed again; empty until then.
    minutes_version: Mapped[int | None] = mapped_column()

    briefing: Mapped[Briefing] = relationship(back_populates="reopenings")
    reopened_by: Mapped[User | None] = relationship()


class AgendaItem(Base):
    """One item of a briefing's agenda, in order."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(300))
    presenter: Mapped[str] = mapped_column(sa.String(200), default="")
    duration_minutes: Mapped[int | None] = mapped_column()

    briefing: Mapped[Briefing] = relationship(back_populates="agenda_items")


class Holiday(Base):
    """A public holiday or Tết day: an occurrence falling on it is flagged for the organizers."""

    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date(), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))


class HolidaySeedYear(Base):
    """A year whose official holidays were seeded: never seeded again, so the organizers' edits stay."""

    __tablename__ = "holiday_seed_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seeded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Material(Base):
    """A PDF attached to a briefing (the monthly bulletin "Thông tin tuyên giáo" and others)."""

    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    original_filename: Mapped[str] = mapped_column(sa.String(300))
    #: Generated file name inside the instance folder's materials/ directory; never the uploaded name.
    stored_name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    size_bytes: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Secret part of the public share link (works without signing in until revoked).
    share_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    share_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    download_count: Mapped[int] = mapped_column(default=0)

    briefing: Mapped[Briefing] = relationship(back_populates="materials")
    uploaded_by: Mapped[User | None] = relationship()
