"""The briefing network: endpoints, their Party cells, the people in them, and the handling agencies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meeting_hub.database import Base, UTCDateTime, string_enum, utcnow
from meeting_hub.vietnamese import fold


class EndpointKind(StrEnum):
    """Whether an endpoint is a ward's or a commune's Party committee."""

    WARD = "ward"
    COMMUNE = "commune"


class CellKind(StrEnum):
    """What a Party cell is attached to."""

    VILLAGE = "village"
    RESIDENTIAL_AREA = "residential_area"
    OTHER = "other"


class PersonRole(StrEnum):
    """A person's role in their cell."""

    SECRETARY = "secretary"
    DEPUTY = "deputy"
    MEMBER = "member"


ENDPOINT_KIND_LABELS = {EndpointKind.WARD: _l("Phường"), EndpointKind.COMMUNE: _l("Xã")}
CELL_KIND_LABELS = {
    CellKind.VILLAGE: _l("Thôn"),
    CellKind.RESIDENTIAL_AREA: _l("Khu dân cư"),
    CellKind.OTHER: _l("Khác"),
}
PERSON_ROLE_LABELS = {
    PersonRole.SECRETARY: _l("Bí thư chi bộ"),
    PersonRole.DEPUTY: _l("Phó bí thư"),
    PersonRole.MEMBER: _l("Đảng viên"),
}


class Endpoint(Base):
    """A ward or commune Party committee that joins the briefings (điểm cầu)."""

    __tablename__ = "endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ASCII slug of the name, e.g. "hoang-hoa-tham"; used by imports and account names.
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[EndpointKind] = mapped_column(string_enum(EndpointKind, "endpoint_kind"))
    party_committee_name: Mapped[str] = mapped_column(sa.String(300))
    active: Mapped[bool] = mapped_column(default=True)
    #: Set when the unit was merged into another one; the old endpoint keeps its history.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("endpoints.id"))
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The channels ("sms", "zalo") on which the endpoint's cell secretaries get briefing reminders; empty: none.
    secretary_channels: Mapped[list[str]] = mapped_column(sa.JSON(), default=list)
    #: Folded name and code, for search that ignores diacritics and case.
    search_text: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    merged_into: Mapped[Endpoint | None] = relationship(remote_side=[id])
    cells: Mapped[list[Cell]] = relationship(back_populates="endpoint", order_by="Cell.name")

    def refresh_search_text(self) -> None:
        """Recompute the folded search text from the name and code."""
        self.search_text = f"{fold(self.name)} {self.code} {fold(self.party_committee_name)}"

    @property
    def display_name(self) -> str:
        """Return "Phường Sao Đỏ" style names."""
        return f"{ENDPOINT_KIND_LABELS[self.kind]} {self.name}"


class Cell(Base):
    """A village or residential-area Party cell (chi bộ) belonging to an endpoint."""

    __tablename__ = "cells"
    __table_args__ = (sa.UniqueConstraint("endpoint_id", "name", name="uq_cells_endpoint_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("endpoints.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[CellKind] = mapped_column(string_enum(CellKind, "cell_kind"), default=CellKind.VILLAGE)
    active: Mapped[bool] = mapped_column(default=True)
    search_text: Mapped[str] = mapped_column(sa.String(500), default="")

    endpoint: Mapped[Endpoint] = relationship(back_populates="cells")
    people: Mapped[list[Person]] = relationship(back_populates="cell", order_by="Person.full_name")

    def refresh_search_text(self) -> None:
        """Recompute the folded search text from the name."""
        self.search_text = fold(self.name)


class Person(Base):
    """A member of a cell who attends briefings, usually its secretary."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(sa.ForeignKey("cells.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[PersonRole] = mapped_column(string_enum(PersonRole, "person_role"), default=PersonRole.SECRETARY)
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    active: Mapped[bool] = mapped_column(default=True)
    search_text: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cell: Mapped[Cell] = relationship(back_populates="people")

    def refresh_search_text(self) -> None:
        """Recompute the folded search text from the name and phone."""
        self.search_text = f"{fold(self.full_name)} {self.phone or ''}".strip()


class Agency(Base):
    """A handling agency (cơ quan xử lý) that answers raised issues."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), unique=True)
    #: Optional: the endpoint whose local government this agency is (e.g. "UBND phường Sao Đỏ").
    endpoint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("endpoints.id"))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    active: Mapped[bool] = mapped_column(default=True)
    search_text: Mapped[str] = mapped_column(sa.String(500), default="")

    endpoint: Mapped[Endpoint | None] = relationship()

    def refresh_search_text(self) -> None:
        """Recompute the folded search text from the name."""
        self.search_text = fold(self.name)
