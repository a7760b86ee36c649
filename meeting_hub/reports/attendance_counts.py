"""Who was expected at a held briefing and how they attended, counted the same way by the minutes and the statistics.

Expected at a briefing, for each invited endpoint: everyone the endpoint's roll-call recorded, plus the active people of
its active cells who were on the roster before the briefing ended and got no record ("chưa điểm danh"). People added to
the roster later, or removed from it before and never recorded, are not expected: a past briefing keeps its figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

import sqlalchemy as sa

from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus
from meeting_hub.extensions import db
from meeting_hub.network.models import Cell, Person
from meeting_hub.scheduling import lifecycle
from meeting_hub.scheduling.models import Briefing, briefing_endpoints


@dataclass
class Counts:
    """How the people expected somewhere attended: by status, and those never recorded."""

    present: int = 0
    late: int = 0
    excused: int = 0
    absent: int = 0
    unrecorded: int = 0

    @property
    def expected(self) -> int:
        """Return everyone expected: recorded with any status, or not recorded at all."""
        return self.present + self.late + self.excused + self.absent + self.unrecorded

    @property
    def attended(self) -> int:
        """Return how many came, on time or late."""
        return self.present + self.late

    @property
    def attendance_rate(self) -> float | None:
        """Return (present + late) / expected, or None when nobody was expected."""
        return self.attended / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        """Return present / (present + late), or None when nobody came."""
        return self.present / self.attended if self.attended else None

    def add(self, other: Counts) -> None:
        """Add another set of counts to this one."""
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def count(self, status: AttendanceStatus | None, n: int = 1) -> None:
        """Add n people with this status (None: not recorded)."""
        name = "unrecorded" if status is None else status.value
        setattr(self, name, getattr(self, name) + n)


def total(counts: Iterable[Counts]) -> Counts:
    """Return the sum of several counts."""
    result = Counts()
    for item in counts:
        result.add(item)
    return result


def briefing_counts(briefing_ids: list[int]) -> dict[tuple[int, int], Counts]:
    """Return {(briefing id, endpoint id): counts} for every invited endpoint of these briefings, in two queries."""
    if not briefing_ids:
        return {}
    result: dict[tuple[int, int], Counts] = {
        (briefing_id, endpoint_id): Counts()
        for briefing_id, endpoint_id in db.session.execute(
            sa.select(briefing_endpoints.c.briefing_id, briefing_endpoints.c.endpoint_id).where(
                briefing_endpoints.c.briefing_id.in_(briefing_ids)
            )
        )
    }
    for briefing_id, endpoint_id, status, n in db.session.execute(
        sa.select(
            AttendanceRecord.briefing_id,
            AttendanceRecord.endpoint_id,
            AttendanceRecord.status,
            sa.func.count(AttendanceRecord.id),
        )
        .where(AttendanceRecord.briefing_id.in_(briefing_ids))
        .group_by(AttendanceRecord.briefing_id, AttendanceRecord.endpoint_id, AttendanceRecord.status)
    ):
        result.setdefault((briefing_id, endpoint_id), Counts()).count(AttendanceStatus(status), n)
    for briefing_id, endpoint_id, n in db.session.execute(
        sa.select(briefing_endpoints.c.briefing_id, Cell.endpoint_id, sa.func.count(Person.id))
        .join(Cell, Cell.endpoint_id == briefing_endpoints.c.endpoint_id)
        .join(Person, Person.cell_id == Cell.id)
        .join(Briefing, Briefing.id == briefing_endpoints.c.briefing_id)
        .where(
            briefing_endpoints.c.briefing_id.in_(briefing_ids),
            Person.active.is_(True),
            Cell.active.is_(True),
            Person.created_at < Briefing.ends_at,
            ~sa.exists().where(
                AttendanceRecord.briefing_id == briefing_endpoints.c.briefing_id,
                AttendanceRecord.person_id == Person.id,
            ),
        )
        .group_by(briefing_endpoints.c.briefing_id, Cell.endpoint_id)
    ):
        result[(briefing_id, endpoint_id)].count(None, n)
    return result


def unrecorded_people(briefing: Briefing) -> int:
    """Return how many people expected at the briefing have no record yet: the "chưa điểm danh" of its minutes."""
    return total(briefing_counts([briefing.id]).values()).unrecorded


# Closing a briefing states this number and asks for confirmation when it is not zero (scheduling.lifecycle).
lifecycle.count_unrecorded_with(unrecorded_people)
