"""What people were last told of each briefing's time and status, so that a change is told once, in its latest state."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meeting_hub.database import Base, UTCDateTime, utcnow


class BriefingAnnouncement(Base):
    """One briefing's last announced time and status, and the changes waiting to be told.

    Made at the first change of a briefing after it was created (with the time and status it had before: what
    invitations, calendars and reminders had said). Each change raises `changes` and asks for a delayed run; a run
    whose number is no longer `changes` was overtaken by a later change and leaves the telling to that one.
    """

    __tablename__ = "briefing_announcements"

    briefing_id: Mapped[int] = mapped_column(
        sa.ForeignKey("briefings.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The briefing status people were last told ("scheduled", or "cancelled" once the cancellation was told).
    status: Mapped[str] = mapped_column(sa.String(32))
    #: How many changes were recorded; the delayed run of the latest one tells them all.
    changes: Mapped[int] = mapped_column(default=0)
    #: Endpoints invited since the last announcement, told with "briefing.invited".
    invited_endpoint_ids: Mapped[list[int]] = mapped_column(sa.JSON(), default=list)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
