"""Attendance: one record per briefing and person, the per-briefing event log, idempotency keys, endpoint links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meeting_hub.accounts.models import User
from meeting_hub.database import Base, UTCDateTime, string_enum, utcnow
from meeting_hub.network.models import Person


class AttendanceStatus(StrEnum):
    """How a person attended."""

    PRESENT = "present"
    LATE = "late"
    EXCUSED = "excused"
    ABSENT = "absent"


class CheckInVia(StrEnum):
    """Who recorded the attendance."""

    OPERATOR = "operator"
    SELF = "self"
    ORGANIZER = "organizer"


class LinkStatus(StrEnum):
    """An endpoint's connection to the briefing, as its operator reports it."""

    CONNECTED = "connected"
    DEGRADED = "degraded"
    DOWN = "down"


ATTENDANCE_STATUS_LABELS = {
    AttendanceStatus.PRESENT: _l("Có mặt"),
    AttendanceStatus.LATE: _l("Đến muộn"),
    AttendanceStatus.EXCUSED: _l("Vắng có lý do"),
    AttendanceStatus.ABSENT: _l("Vắng"),
}
LINK_STATUS_LABELS = {
    LinkStatus.CONNECTED: _l("Kết nối tốt"),
    LinkStatus.DEGRADED: _l("Chập chờn"),
    LinkStatus.DOWN: _l("Mất kết nối"),
}


class AttendanceRecord(Base):
    """The current attendance of one person at one briefing; its history is in the event log."""

    __tablename__ = "attendance_records"
    __table_args__ = (sa.UniqueConstraint("briefing_id", "person_id", name="uq_attendance_records_briefing_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    #: The person's endpoint when recorded: kept if the person later moves or the endpoint is merged.
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("endpoints.id"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(string_enum(AttendanceStatus, "attendance_status"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Who attended instead (dự thay), when someone did.
    substitute_name: Mapped[str] = mapped_column(sa.String(200), default="")
    via: Mapped[CheckInVia] = mapped_column(string_enum(CheckInVia, "check_in_via"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: The seq of the event that set the current values.
    seq: Mapped[int] = mapped_column()

    person: Mapped[Person] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class EndpointLink(Base):
    """An endpoint's link to a live briefing: the status its operator set, and when it was last heard from."""

    __tablename__ = "endpoint_links"

    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id"), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("endpoints.id"), primary_key=True)
    status: Mapped[LinkStatus] = mapped_column(string_enum(LinkStatus, "link_status"), default=LinkStatus.CONNECTED)
    status_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When a presence event last went out for this endpoint (heartbeats are logged at most every so often).
    last_presence_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
