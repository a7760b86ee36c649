"""Attendance snapshots: a briefing's (or one endpoint's) counts, links and records at a seq.

Three queries whatever the number of endpoints or records, of plain columns: at a national briefing (1,052
endpoints, up to 31,560 records) loading ORM objects cost more than everything else together (measured with
bench/snapshot.py). The one-endpoint cut, which every operator console asks for on `watch`, filters each query to
the endpoint instead of cutting the briefing's snapshot down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from meeting_hub.accounts.models import User
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus, EndpointLink
from meeting_hub.clock import local_iso, local_zone
from meeting_hub.event_log import log
from meeting_hub.extensions import db
from meeting_hub.network.models import Cell, Person
from meeting_hub.scheduling.models import Briefing, briefing_endpoints

_STATUSES = tuple(status.value for status in AttendanceStatus)

#: A section of the snapshot another domain adds (polls): built from (briefing_id, only_endpoint) after the records.
SnapshotSection = Callable[[int, int | None], Any]
_sections: dict[str, SnapshotSection] = {}


def add_section(name: str, build: SnapshotSection) -> None:
    """Add a section to every snapshot: domains above attendance (polls) register theirs without it importing them."""
    _sections[name] = build


def _endpoint_rows(briefing_id: int, only_endpoint: int | None) -> sa.Select[Any]:
    """Select each invited endpoint (or just the one) with its link and its number of expected people."""
    invited = briefing_endpoints.c
    expected_query = (
        sa.select(Cell.endpoint_id, sa.func.count(Person.id).label("expected"))
        .select_from(Person)
        .join(Person.cell)
        .join(briefing_endpoints, sa.and_(invited.endpoint_id == Cell.endpoint_id, invited.briefing_id == briefing_id))
        .where(Person.active.is_(True), Cell.active.is_(True))
        .group_by(Cell.endpoint_id)
    )
    in_scope = invited.briefing_id == briefing_id
    if only_endpoint is not None:
        expected_query = expected_query.where(Cell.endpoint_id == only_endpoint)
        in_scope = sa.and_(in_scope, invited.endpoint_id == only_endpoint)
    expected = expected_query.subquery()
    link = EndpointLink.__table__.c
    return (
        sa.select(
            invited.endpoint_id,
            sa.type_coerce(link.status, sa.String),
            link.last_seen_at,
            sa.func.coalesce(expected.c.expected, 0),
        )
        .select_from(briefing_endpoints)
        .outerjoin(
            EndpointLink.__table__,
            sa.and_(link.briefing_id == invited.briefing_id, link.endpoint_id == invited.endpoint_id),
        )
        .outerjoin(expected, expected.c.endpoint_id == invited.endpoint_id)
        .where(in_scope)
        .order_by(invited.endpoint_id)
    )


def _recorded_at_utc() -> sa.ColumnElement[datetime]:
    """Select recorded_at as a naive UTC datetime, which the caller writes out in the network's time zone.

    At a whole roll-call, reading 31,560 aware values through UTCDateTime and formatting them cost about a quarter of
    the snapshot; PostgreSQL converts them to UTC itself, and SQLite stores them as naive UTC already.
    """
    column = AttendanceRecord.__table__.c.recorded_at
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.timezone("UTC", column, type_=sa.DateTime())
    return sa.type_coerce(column, sa.DateTime())


class _LocalIso:
    """Write naive UTC datetimes as ISO 8601 in the network's zone, as clock.local_iso does, faster: the zone's offset
    is looked up once per quarter hour (every offset change falls on one), not per value. With 31,560 distinct times
    this takes 95 ms instead of 270 ms (astimezone for each); the UTC string used before took 57 ms."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._offsets: dict[tuple[int, int, int], tuple[timedelta, str]] = {}

    def __call__(self, value: datetime) -> str:
        key = (value.toordinal(), value.hour, value.minute // 15)
        found = self._offsets.get(key)
        if found is None:
            local = self._zone.fromutc(value.replace(tzinfo=self._zone))
            offset = local.utcoffset() or timedelta(0)
            found = self._offsets[key] = (offset, local.isoformat()[len(local.replace(tzinfo=None).isoformat()) :])
        return f"{(value + found[0]).isoformat()}{found[1]}"


def _record_rows(briefing_id: int, only_endpoint: int | None) -> sa.Select[Any]:
    """Select the records in the contract's order (endpoint, person); one endpoint's come unordered.

    With an ORDER BY, SQLite reads one endpoint's records through the (briefing, person) unique index, that is all the
    briefing's records, rather than the endpoint's few through the endpoint index: the caller sorts those.
    """
    record = AttendanceRecord.__table__.c
    statement = (
        # Status and via as their stored strings: the contract wants the values, not enum members.
        sa.select(
            record.person_id,
            record.endpoint_id,
            sa.type_coerce(record.status, sa.String),
            record.note,
            record.substitute_name,
            _recorded_at_utc(),
            User.username,
            sa.type_coerce(record.via, sa.String),
        )
        .outerjoin(User, User.id == record.recorded_by_id)
        .where(record.briefing_id == briefing_id)
    )
    if only_endpoint is not None:
        return statement.where(record.endpoint_id == only_endpoint)
    return statement.order_by(record.endpoint_id, record.person_id)


def attendance_snapshot(briefing: Briefing, only_endpoint: int | None = None) -> dict[str, Any]:
    """Return the attendance of a briefing (or of one of its endpoints) in the contract's shape.

    The seq is read first: a client applies the events after it on top of the snapshot, and re-applying an event the
    snapshot already reflects is harmless (events set values, they do not add to them).
    """
    seq = log.current_seq(briefing.id)
    # On the session's connection, not through Session.execute: the ORM's result handling cost a fifth of the
    # snapshot at 31,560 records, for plain columns it has nothing to add.
    connection = db.session.connection()
    rows = connection.execute(_record_rows(briefing.id, only_endpoint))
    # A batch of check-ins shares one recorded_at (group commit): format each distinct time once.
    formatted: dict[datetime, str] = {}
    local_text = _LocalIso(local_zone())
    records = []
    # The counts per endpoint and status come from the same rows: one pass instead of another GROUP BY query.
    counts: dict[int, dict[str, int]] = {}
    for person_id, endpoint_id, status, note, substitute_name, recorded_at, username, via in rows:
        recorded_at_text = formatted.get(recorded_at)
        if recorded_at_text is None:  # what clock.local_iso gives for the aware value
            recorded_at_text = formatted[recorded_at] = local_text(recorded_at)
        records.append(
            {
                "person_id": person_id,
                "endpoint_id": endpoint_id,
                "status": status,
                "note": note,
                "substitute_name": substitute_name,
                "recorded_at": recorded_at_text,
                "recorded_by": username,
                "via": via,
            }
        )
        by_status = counts.get(endpoint_id)
        if by_status is None:
            by_status = counts[endpoint_id] = dict.fromkeys(_STATUSES, 0)
        by_status[status] += 1
    if only_endpoint is not None:
        records.sort(key=itemgetter("person_id"))  # see _record_rows
    no_records = dict.fromkeys(_STATUSES, 0)
    endpoints = []
    for endpoint_id, link_status, last_seen_at, expected in connection.execute(
        _endpoint_rows(briefing.id, only_endpoint)
    ):
        by_status = counts.get(endpoint_id, no_records)
        endpoints.append(
            {
                "endpoint_id": endpoint_id,
                "link_status": link_status,
                "last_seen_at": local_iso(last_seen_at),
                "expected": expected,
                **by_status,
                "pending": max(expected - sum(by_status.values()), 0),
            }
        )
    snapshot: dict[str, Any] = {"briefing_id": briefing.id, "seq": seq, "endpoints": endpoints, "records": records}
    # Read after the seq, like the records: what they reflect of later events is set again by those events.
    for name, build in _sections.items():
        snapshot[name] = build(briefing.id, only_endpoint)
    return snapshot


class SharedSnapshots:
    """Build a briefing's full snapshot once for all the dashboards that ask for it at the same time.

    After an outage every dashboard of a briefing asks for a fresh snapshot at once (200 at a national briefing, each
    up to 6 MB); measured with bench/live.py, building them side by side held every database connection of the
    process for seconds and stalled the roll-call. Here the requests that arrive while a build runs join the next
    round, and one of them builds it for all: at most one build per briefing and process at a time. A request only
    ever gets a build that started after it arrived, so its rooms were joined before the snapshot's seq was read.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._next_round: dict[int, _Round] = {}
        self._building: set[int] = set()

    def get(self, briefing_id: int, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Return a snapshot built after this call began, by this caller or by another one waiting with it."""
        with self._condition:
            round_ = self._next_round.get(briefing_id)
            if round_ is None:
                round_ = self._next_round[briefing_id] = _Round()
            while not round_.done:
                if briefing_id not in self._building:  # nobody builds: this caller builds its round
                    self._building.add(briefing_id)
                    del self._next_round[briefing_id]  # later callers wait for the round after this one
                    break
                self._condition.wait()
            else:
                return round_.outcome()
        try:
            round_.result = build()
        except BaseException as error:
            round_.error = error
            raise
        finally:
            with self._condition:
                round_.done = True
                self._building.discard(briefing_id)
                self._condition.notify_all()
        return round_.result


@dataclass
class _Round:
    done: bool = False
    result: dict[str, Any] | None = None
    error: BaseException | None = None

    def outcome(self) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


shared_snapshots = SharedSnapshots()
