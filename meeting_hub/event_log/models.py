"""The per-briefing event log: ordered changes with a seq that only grows, and idempotency keys for client writes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meeting_hub.database import Base, UTCDateTime, utcnow


class BriefingSequence(Base):
    """The last seq handed out for a briefing: one row, updated with RETURNING, serialises that briefing's writes."""

    __tablename__ = "briefing_sequences"

    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)


class BriefingEvent(Base):
    """One change during a briefing, in order: what dashboards replay after a reconnect."""

    __tablename__ = "briefing_events"
    __table_args__ = (sa.UniqueConstraint("briefing_id", "seq", name="uq_briefing_events_briefing_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id"))
    seq: Mapped[int] = mapped_column()
    #: attendance | link_status | issue | briefing
    type: Mapped[str] = mapped_column(sa.String(32))
    #: The event as sent to clients (JSON), so a replay is byte-for-byte what was broadcast.
    payload: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ClientOperation(Base):
    """An idempotency key: a client's operation id and the result it got, replayed when the id comes again."""

    __tablename__ = "client_operations"
    __table_args__ = (sa.UniqueConstraint("user_id", "client_op_id", name="uq_client_operations_user_op"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    client_op_id: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: JSON of the original result; empty while the operation's transaction is still running.
    result: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
