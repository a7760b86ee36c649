"""Attendance: check-ins (idempotent, logged with a seq), endpoint link status and heartbeats, and snapshots."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance.models import (
    AttendanceRecord,
    AttendanceStatus,
    CheckInVia,
    EndpointLink,
    LinkStatus,
)
from meeting_hub.database import utcnow
from meeting_hub.errors import AccessDenied, Conflict, NotFound, TryAgain, ValidationFailed
from meeting_hub.event_log import log
from meeting_hub.extensions import db
from meeting_hub.network.models import Cell, Person
from meeting_hub.scheduling.models import Briefing, BriefingStatus, briefing_endpoints
from meeting_hub.scheduling.services import invitation, is_invited

MAX_NOTE_LENGTH = 500
MAX_SUBSTITUTE_LENGTH = 200
#: How long a check-in waits for this process's turn to write to a briefing before it proceeds anyway.
WRITE_GATE_TIMEOUT_SECONDS = 10.0
_GATES_KEY = "meeting_hub.attendance.write_gates"
_write_gates: dict[int, threading.Lock] = {}
_write_gates_lock = threading.Lock()


def _enter_write_gate(briefing_id: int) -> None:
    """Queue this process's writers to one briefing here, before they take the briefing's seq row lock.

    Every check-in of a briefing serialises on its seq row (see event_log.log.next_seq). Measured with
    bench/live.py on PostgreSQL, dozens of transactions waiting on that one row lock cost far more than the
    work they wait for (the database wakes and requeues every waiter at each commit); waiting on a process-local
    lock (a greenlet lock under gevent) leaves at most one waiter per process at the database. Released when
    the session's transaction ends, whether it commits or rolls back.
    """
    held: list[threading.Lock] = db.session.info.setdefault(_GATES_KEY, [])
    with _write_gates_lock:
        gate = _write_gates.setdefault(briefing_id, threading.Lock())
    if gate in held:
        return
    if gate.acquire(timeout=WRITE_GATE_TIMEOUT_SECONDS):  # past the timeout the row lock still keeps seqs right
        held.append(gate)


@sa_event.listens_for(Session, "after_transaction_end")
def _leave_write_gates(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for gate in session.info.pop(_GATES_KEY, ()):
            gate.release()


@dataclass(frozen=True)
class CheckIn:
    """A check-in as a client sends it."""

    person_id: int
    status: AttendanceStatus
    client_op_id: str
    note: str = ""
    substitute_name: str = ""


@dataclass(frozen=True)
class WriteResult:
    """What a write answers: its result, and whether it is the replay of an earlier identical request."""

    result: dict[str, Any]
    replayed: bool


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def record_dict(record: AttendanceRecord, recorded_by: str | None) -> dict[str, Any]:
    """Return the contract's form of an attendance record."""
    return {
        "person_id": record.person_id,
        "endpoint_id": record.endpoint_id,
        "status": record.status.value,
        "note": record.note,
        "substitute_name": record.substitute_name,
        "recorded_at": _iso(record.recorded_at),
        "recorded_by": recorded_by,
        "via": record.via.value,
    }


def _validate_client_op_id(client_op_id: str) -> None:
    if not log.valid_client_op_id(client_op_id):
        raise ValidationFailed(
            _("Mã thao tác (client_op_id) phải dài 8-64 ký tự: chữ, số, dấu - _ . :"),
            details={"client_op_id": _("Không hợp lệ.")},
        )


def _invited_endpoint_ids(briefing: Briefing) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(briefing_endpoints.c.endpoint_id).where(briefing_endpoints.c.briefing_id == briefing.id)
        )
    )


def person_at(briefing: Briefing, person_id: int) -> tuple[Person, int, bool] | None:
    """Return an active person, their endpoint and whether it is invited to the briefing; None when there is none.

    One query for all three: this is the hot path of a roll-call.
    """
    found = db.session.execute(
        sa.select(Person, Cell.endpoint_id, invitation(briefing, Cell.endpoint_id))
        .join(Person.cell)
        .where(Person.id == person_id)
    ).one_or_none()
    if found is None or not found[0].active:
        return None
    person, endpoint_id, invited = found
    return person, endpoint_id, bool(invited)


def _require_can_record(actor: User, briefing: Briefing, endpoint_id: int) -> CheckInVia:
    """Decide whether the actor may record attendance for this endpoint now, and as what."""
    if actor.role == Role.OPERATOR:
        if actor.endpoint_id != endpoint_id:
            raise AccessDenied(_("Bạn chỉ được điểm danh cho điểm cầu của mình."))
        if briefing.status != BriefingStatus.LIVE:
            raise Conflict(_("Buổi giao ban chưa mở hoặc đã kết thúc: chưa thể điểm danh."))
        return CheckInVia.OPERATOR
    if actor.role in (Role.ORGANIZER, Role.ADMIN):
        # Organizers may also correct the roll-call after the briefing has ended.
        if briefing.status not in (BriefingStatus.LIVE, BriefingStatus.ENDED):
            raise Conflict(_("Buổi giao ban chưa mở: chưa thể điểm danh."))
        return CheckInVia.ORGANIZER
    raise AccessDenied(_("Bạn không có quyền điểm danh."))


def _validate_check_in(check_in: CheckIn) -> tuple[str, str]:
    _validate_client_op_id(check_in.client_op_id)
    note = (check_in.note or "").strip()
    substitute = (check_in.substitute_name or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationFailed(_("Ghi chú quá dài."), details={"note": _("Tối đa 500 ký tự.")})
    if len(substitute) > MAX_SUBSTITUTE_LENGTH:
        raise ValidationFailed(_("Tên người dự thay quá dài."), details={"substitute_name": _("Tối đa 200 ký tự.")})
    if substitute and check_in.status not in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
        raise ValidationFailed(
            _("Người dự thay chỉ ghi khi có người đến dự."), details={"substitute_name": _("Không hợp lệ.")}
        )
    return note, substitute


def record_check_in(briefing: Briefing, check_in: CheckIn, actor: User) -> WriteResult:
    """Record (or correct) one person's attendance; idempotent by client_op_id. The caller commits.

    A replay of a client_op_id already seen returns the original result and writes nothing. A new operation takes
    the briefing's next seq, updates the person's record and appends an "attendance" event to the log; a later
    correction is a new event, so the log keeps both.
    """
    note, substitute = _validate_check_in(check_in)
    # Claim first: a new operation (the common case) then costs no look-up of a previous result, and a replay is
    # answered before the checks below, as the original result stands whatever changed since. A refused check-in
    # raises, and every caller rolls back, the claim with it.
    operation = log.claim_operation(actor.id, check_in.client_op_id, "check_in")
    if operation is None:  # claimed before, or by a concurrent request that has since committed
        replay = log.previous_result(actor.id, check_in.client_op_id)
        if replay is None:
            raise TryAgain(_("Thao tác này đang được xử lý, vui lòng gửi lại sau."))
        return WriteResult(replay, replayed=True)

    found = person_at(briefing, check_in.person_id)
    if found is None:
        raise NotFound(_("Không tìm thấy người này trong danh sách."))
    person, endpoint_id, invited = found
    recorded_via = _require_can_record(actor, briefing, endpoint_id)
    if not invited:
        raise ValidationFailed(_("Điểm cầu của người này không được mời dự buổi giao ban."))

    result = write_record(briefing, person, endpoint_id, check_in.status, note, substitute, recorded_via, actor)
    log.finish_operation(operation, result)
    return WriteResult(result, replayed=False)


def write_record(
    briefing: Briefing,
    person: Person,
    endpoint_id: int,
    status: AttendanceStatus,
    note: str,
    substitute: str,
    via: CheckInVia,
    actor: User | None,
) -> dict[str, Any]:
    """Take the briefing's next seq, set the person's record and log the change; return {seq, record}."""
    now = utcnow()
    _enter_write_gate(briefing.id)
    seq = log.next_seq(briefing.id)  # from here on this briefing's writers queue behind us
    record = current_record(briefing.id, person.id)
    if record is None:
        record = AttendanceRecord(briefing_id=briefing.id, person_id=person.id)
        db.session.add(record)
    record.endpoint_id = endpoint_id
    record.status = status
    record.note = note
    record.substitute_name = substitute
    record.via = via
    record.recorded_at = now
    record.recorded_by_id = actor.id if actor is not None else None
    record.seq = seq
    data = record_dict(record, actor.username if actor is not None else None)
    log.append_event_with_seq(briefing.id, seq, "attendance", {"briefing_id": briefing.id, **data})
    return {"seq": seq, "record": data}


def current_record(briefing_id: int, person_id: int) -> AttendanceRecord | None:
    """Return a person's attendance record at a briefing, if any."""
    return db.session.scalar(
        sa.select(AttendanceRecord).where(
            AttendanceRecord.briefing_id == briefing_id, AttendanceRecord.person_id == person_id
        )
    )


# Link status and presence


def _presence_interval() -> timedelta:
    return timedelta(seconds=float(current_app.config.get("LIVE_PRESENCE_EVENT_SECONDS", 30)))


def stale_after() -> timedelta:
    """Return how long without a heartbeat before an endpoint is shown as unheard."""
    return timedelta(seconds=float(current_app.config.get("LIVE_STALE_AFTER_SECONDS", 60)))


def _link(briefing_id: int, endpoint_id: int) -> EndpointLink:
    link = db.session.get(EndpointLink, (briefing_id, endpoint_id))
    if link is None:
        link = EndpointLink(briefing_id=briefing_id, endpoint_id=endpoint_id, status=LinkStatus.CONNECTED)
        db.session.add(link)
    return link


def _require_operator_of_live_briefing(actor: User, briefing: Briefing) -> int:
    if actor.role != Role.OPERATOR or actor.endpoint_id is None:
        raise AccessDenied(_("Chỉ cán bộ điểm cầu báo trạng thái đường truyền của điểm cầu mình."))
    if not is_invited(briefing, actor.endpoint_id):
        raise AccessDenied(_("Điểm cầu của bạn không được mời dự buổi giao ban này."))
    if briefing.status != BriefingStatus.LIVE:
        raise Conflict(_("Buổi giao ban không đang diễn ra."))
    return actor.endpoint_id


def link_dict(link: EndpointLink) -> dict[str, Any]:
    """Return the contract's form of an endpoint's link."""
    return {
        "endpoint_id": link.endpoint_id,
        "link_status": link.status.value,
        "last_seen_at": _iso(link.last_seen_at),
    }


def set_link_status(briefing: Briefing, status: LinkStatus, actor: User) -> dict[str, Any]:
    """Record the link status the operator reports for their endpoint and log it; the caller commits."""
    endpoint_id = _require_operator_of_live_briefing(actor, briefing)
    now = utcnow()
    link = _link(briefing.id, endpoint_id)
    link.status = status
    link.status_set_at = now
    link.status_set_by_id = actor.id
    link.last_seen_at = now
    link.last_presence_event_at = now
    return log.append_event(briefing.id, "link_status", {"briefing_id": briefing.id, **link_dict(link)})


def record_heartbeat(briefing: Briefing, actor: User) -> dict[str, Any] | None:
    """Note that the operator's endpoint is alive; log a presence event at most every LIVE_PRESENCE_EVENT_SECONDS.

    Heartbeats come every few seconds from every endpoint: logging each would flood the log and the dashboards.
    """
    endpoint_id = _require_operator_of_live_briefing(actor, briefing)
    now = utcnow()
    link = _link(briefing.id, endpoint_id)
    link.last_seen_at = now
    if link.last_presence_event_at is not None and now - link.last_presence_event_at < _presence_interval():
        return None
    link.last_presence_event_at = now
    return log.append_event(briefing.id, "link_status", {"briefing_id": briefing.id, **link_dict(link)})


# Reading


def attendance_snapshot(briefing: Briefing, only_endpoint: int | None = None) -> dict[str, Any]:
    """Return the attendance of a briefing (or of one of its endpoints) in the contract's shape, in a fixed number
    of queries whatever the number of endpoints.

    The seq is read first: a client applies the events after it on top of the snapshot, and re-applying an event the
    snapshot already reflects is harmless (events set values, they do not add to them).
    """
    seq = log.current_seq(briefing.id)
    invited = sorted(_invited_endpoint_ids(briefing))
    if only_endpoint is not None:
        invited = [endpoint_id for endpoint_id in invited if endpoint_id == only_endpoint]
    expected = dict(
        db.session.execute(
            sa.select(Cell.endpoint_id, sa.func.count(Person.id))
            .join(Person.cell)
            .where(Cell.endpoint_id.in_(invited), Person.active.is_(True), Cell.active.is_(True))
            .group_by(Cell.endpoint_id)
        ).all()
    )
    counts: dict[int, dict[str, int]] = {}
    in_scope = AttendanceRecord.briefing_id == briefing.id
    if only_endpoint is not None:
        in_scope = sa.and_(in_scope, AttendanceRecord.endpoint_id == only_endpoint)
    for endpoint_id, status, count in db.session.execute(
        sa.select(AttendanceRecord.endpoint_id, AttendanceRecord.status, sa.func.count(AttendanceRecord.id))
        .where(in_scope)
        .group_by(AttendanceRecord.endpoint_id, AttendanceRecord.status)
    ):
        counts.setdefault(endpoint_id, {})[AttendanceStatus(status).value] = count
    links = {
        link.endpoint_id: link
        for link in db.session.scalars(sa.select(EndpointLink).where(EndpointLink.briefing_id == briefing.id))
    }
    endpoints = []
    for endpoint_id in invited:
        by_status = counts.get(endpoint_id, {})
        recorded = sum(by_status.values())
        link = links.get(endpoint_id)
        endpoints.append(
            {
                "endpoint_id": endpoint_id,
                "link_status": link.status.value if link else None,
                "last_seen_at": _iso(link.last_seen_at) if link else None,
                "expected": expected.get(endpoint_id, 0),
                **{status.value: by_status.get(status.value, 0) for status in AttendanceStatus},
                "pending": max(expected.get(endpoint_id, 0) - recorded, 0),
            }
        )
    rows = db.session.execute(
        sa.select(AttendanceRecord, User.username)
        .outerjoin(User, User.id == AttendanceRecord.recorded_by_id)
        .where(in_scope)
        .order_by(AttendanceRecord.endpoint_id, AttendanceRecord.person_id)
    ).all()
    records = [record_dict(record, username) for record, username in rows]
    return {"briefing_id": briefing.id, "seq": seq, "endpoints": endpoints, "records": records}
