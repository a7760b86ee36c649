"""The frozen versions of each briefing's minutes, and the endpoints' receipts of briefing materials."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meeting_hub.accounts.models import User
from meeting_hub.database import Base, UTCDateTime, utcnow
from meeting_hub.network.models import Endpoint


class MinutesVersion(Base):
    """One frozen version of a briefing's minutes (biên bản): version 1 when it closed, later ones corrections."""

    __tablename__ = "minutes_versions"
    __table_args__ = (sa.UniqueConstraint("briefing_id", "version", name="uq_minutes_versions_briefing_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id"), index=True)
    #: 1, 2, ...: every version stays downloadable.
    version: Mapped[int] = mapped_column()
    #: What the minutes said when the version was frozen (reports.minutes.MinutesData as JSON), from which its PDF
    #: is laid out; None for versions frozen before it was kept.
    content: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: SHA-256 of the content in canonical JSON (the audit log names it).
    content_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    #: Generated file name inside the instance folder's minutes/ directory; None while the PDF is being laid out.
    stored_name: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    size_bytes: Mapped[int | None] = mapped_column()
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    #: Why a correction was made; empty for version 1, frozen when the briefing closed.
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    created_by: Mapped[User | None] = relationship()


class MaterialReceipt(Base):
    """An endpoint's confirmation that it received a briefing material (the bulletin): "đã nhận"."""

    __tablename__ = "material_receipts"
    __table_args__ = (sa.UniqueConstraint("material_id", "endpoint_id", name="uq_material_receipts_material_endpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Deleting a material deletes its receipts with it (in the database: the materials module does not know them).
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("endpoints.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    endpoint: Mapped[Endpoint] = relationship()
    confirmed_by: Mapped[User | None] = relationship()
