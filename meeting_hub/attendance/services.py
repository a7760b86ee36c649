"""Attendance: check-ins (idempotent, logged with a seq), endpoint link status and heartbeats, and snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance.models import (
    AttendanceRecord,
    AttendanceStatus,
    CheckInVia,
    EndpointLink,
    LinkStatus,
)
from meeting_hub.clock import local_iso
from meeting_hub.database import utcnow
from meeting_hub.errors import AccessDenied, Conflict, NotFound, ServiceError, TryAgain, ValidationFailed
from meeting_hub.event_log import log
from meeting_hub.extensions import db
from meeting_hub.network.models import Cell, Person
from meeting_hub.observability import metrics
from meeting_hub.scheduling.models import Briefing, BriefingStatus
from meeting_hub.scheduling.services import invitation, invited_among
from meeting_hub.text_input import text_problem

MAX_NOTE_LENGTH = 500
MAX_SUBSTITUTE_LENGTH = 200


@dataclass(frozen=True)
class CheckIn:
    """A check-in as a client sends it."""

    person_id: int
    status: AttendanceStatus
    client_op_id: str
    note: str = ""
    substitute_name: str = ""

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> CheckIn:
        """Take a check-in from a validated payload (payloads.CheckInMessage or CheckInBody)."""
        return cls(
            person_id=message["person_id"],
            status=AttendanceStatus(message["status"]),
            client_op_id=message["client_op_id"],
            note=message["note"],
            substitute_name=message["substitute_name"],
        )


@dataclass(frozen=True)
class WriteResult:
    """What a write answers: its result, and whether it is the replay of an earlier identical request."""

    result: dict[str, Any]
    replayed: bool


def iso(value: datetime | None) -> str | None:
    """Write a time for the API and the socket events: ISO 8601 in the network's time zone (+07:00)."""
    return local_iso(value)


def _validate_client_op_id(client_op_id: str) -> None:
    if not log.valid_client_op_id(client_op_id):
        raise ValidationFailed(
            _("Mã thao tác (client_op_id) phải dài 8-64 ký tự: chữ, số, dấu - _ . :"),
            details={"client_op_id": _("Không hợp lệ.")},
        )


@dataclass(frozen=True)
class Recorder:
    """Who records attendance, as plain values: a batch may be written in another session than the one that
    loaded the user (see meeting_hub.attendance.group_commit)."""

    user_id: int
    username: str
    role: Role
    endpoint_id: int | None

    @classmethod
    def of(cls, user: User) -> Recorder:
        return cls(user.id, user.username, user.role, user.endpoint_id)


@dataclass(frozen=True)
class CheckInRequest:
    """A check-in and who sends it."""

    recorder: Recorder
    check_in: CheckIn


@dataclass(frozen=True)
class NewRecord:
    """A person's attendance as it is about to be written."""

    person_id: int
    endpoint_id: int
    status: AttendanceStatus
    note: str
    substitute_name: str
    via: CheckInVia
    recorder: Recorder | None


def _require_can_record(recorder: Recorder, briefing: Briefing, endpoint_id: int) -> CheckInVia:
    """Decide whether the recorder may record attendance for this endpoint now, and as what."""
    if recorder.role == Role.OPERATOR:
        if recorder.endpoint_id != endpoint_id:
            raise AccessDenied(_("Bạn chỉ được điểm danh cho điểm cầu của mình."))
        if briefing.status != BriefingStatus.LIVE:
            raise Conflict(_("Buổi giao ban chưa mở hoặc đã kết thúc: chưa thể điểm danh."))
        return CheckInVia.OPERATOR
    if recorder.role in (Role.ORGANIZER, Role.ADMIN):
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
    # Checked before batching too (the payloads check it already): one bad value must not fail a batch's write.
    for name, value in (("note", note), ("substitute_name", substitute)):
        if problem := text_problem(value):
            raise ValidationFailed(problem, details={name: problem})
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
    outcome = record_check_ins(briefing, [CheckInRequest(Recorder.of(actor), check_in)])[0]
    if isinstance(outcome, ServiceError):
        raise outcome
    return outcome


def record_check_ins(briefing: Briefing, requests: list[CheckInRequest]) -> list[WriteResult | ServiceError]:
    """Record a batch of check-ins to one briefing, each as record_check_in would; return each one's outcome in order.

    The batch costs a fixed number of statements whatever its size (claim, people, seq range, records, events,
    results), and a refused check-in refuses only itself. The caller commits.
    """
    outcomes: list[WriteResult | ServiceError | None] = [None] * len(requests)
    cleaned: dict[int, tuple[str, str]] = {}
    for index, request in enumerate(requests):
        try:
            cleaned[index] = _validate_check_in(request.check_in)
        except ServiceError as error:
            outcomes[index] = error
    first_of: dict[tuple[int, str], int] = {}  # each operation's first request in the batch; later ones replay it
    repeats: dict[int, int] = {}
    for index in cleaned:
        key = _operation_key(requests[index])
        if key in first_of:
            repeats[index] = first_of[key]
        else:
            first_of[key] = index

    # Claim first: a new operation (the common case) then costs no look-up of a previous result, and a replay is
    # answered before the checks below, as the original result stands whatever changed since.
    claims = log.claim_operations(list(first_of), "check_in")
    unclaimed = [key for key in first_of if key not in claims]
    previous = log.previous_results(unclaimed)
    for key in unclaimed:  # claimed before, or by a concurrent request that has since committed
        replay = previous.get(key)
        outcomes[first_of[key]] = (
            WriteResult(replay, replayed=True)
            if replay is not None
            else TryAgain(_("Thao tác này đang được xử lý, vui lòng gửi lại sau."))
        )

    claimed = [first_of[key] for key in claims]
    people = people_at(briefing, {requests[index].check_in.person_id for index in claimed})
    writing: list[int] = []
    new_records: list[NewRecord] = []
    for index in claimed:
        try:
            new_records.append(_checked_record(briefing, requests[index], cleaned[index], people))
            writing.append(index)
        except ServiceError as error:
            outcomes[index] = error
    log.release_operations([claims[_operation_key(requests[i])] for i in claimed if outcomes[i] is not None])

    results = write_records(briefing.id, new_records)
    for index, result in zip(writing, results, strict=True):
        outcomes[index] = WriteResult(result, replayed=False)
    log.finish_operations(
        {claims[_operation_key(requests[i])]: result for i, result in zip(writing, results, strict=True)}
    )
    for index, first in repeats.items():
        original = outcomes[first]
        outcomes[index] = WriteResult(original.result, replayed=True) if isinstance(original, WriteResult) else original
    replays = sum(1 for outcome in outcomes if isinstance(outcome, WriteResult) and outcome.replayed)
    metrics.count_check_ins(db.session, replayed=replays)
    return [outcome for outcome in outcomes if outcome is not None]


def _operation_key(request: CheckInRequest) -> tuple[int, str]:
    return request.recorder.user_id, request.check_in.client_op_id


def people_at(briefing: Briefing, person_ids: set[int]) -> dict[int, tuple[int, bool]]:
    """Return the endpoint of each active person among person_ids and whether it is invited, in one query."""
    if not person_ids:
        return {}
    rows = db.session.execute(
        sa.select(Person.id, Cell.endpoint_id, invitation(briefing, Cell.endpoint_id))
        .join(Person.cell)
        .where(Person.id.in_(person_ids), Person.active.is_(True))
    )
    return {person_id: (endpoint_id, bool(invited)) for person_id, endpoint_id, invited in rows}


def _checked_record(
    briefing: Briefing, request: CheckInRequest, cleaned: tuple[str, str], people: dict[int, tuple[int, bool]]
) -> NewRecord:
    """Check one check-in against the roster and the recorder's rights; return the record to write."""
    check_in = request.check_in
    found = people.get(check_in.person_id)
    if found is None:
        raise NotFound(_("Không tìm thấy người này trong danh sách."))
    endpoint_id, invited = found
    via = _require_can_record(request.recorder, briefing, endpoint_id)
    if not invited:
        raise ValidationFailed(_("Điểm cầu của người này không được mời dự buổi giao ban."))
    note, substitute = cleaned
    return NewRecord(check_in.person_id, endpoint_id, check_in.status, note, substitute, via, request.recorder)


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
    recorder = Recorder.of(actor) if actor is not None else None
    return write_records(briefing.id, [NewRecord(person.id, endpoint_id, status, note, substitute, via, recorder)])[0]


def write_records(briefing_id: int, new_records: list[NewRecord]) -> list[dict[str, Any]]:
    """Take a seq for each new record, upsert the records and log one event each; return each {seq, record}.

    A person may come twice in one batch (a quick correction): both events are logged, the later one sets the record.
    """
    if not new_records:
        return []
    now = utcnow()
    first_seq = log.take_seqs(briefing_id, len(new_records))  # from here on this briefing's writers queue behind us
    results: list[dict[str, Any]] = []
    rows: dict[int, dict[str, Any]] = {}
    for seq, new in enumerate(new_records, start=first_seq):
        recorder = new.recorder
        row = {
            "briefing_id": briefing_id,
            "person_id": new.person_id,
            "endpoint_id": new.endpoint_id,
            "status": new.status,
            "note": new.note,
            "substitute_name": new.substitute_name,
            "via": new.via,
            "recorded_at": now,
            "recorded_by_id": recorder.user_id if recorder is not None else None,
            "seq": seq,
        }
        rows[new.person_id] = row
        data = {
            "person_id": new.person_id,
            "endpoint_id": new.endpoint_id,
            "status": new.status.value,
            "note": new.note,
            "substitute_name": new.substitute_name,
            "recorded_at": iso(now),
            "recorded_by": recorder.username if recorder is not None else None,
            "via": new.via.value,
        }
        results.append({"seq": seq, "record": data})
    upsert = log.upsert_insert(_RECORDS_TABLE)
    db.session.execute(
        upsert.on_conflict_do_update(
            index_elements=[_RECORDS_TABLE.c.briefing_id, _RECORDS_TABLE.c.person_id],
            set_={name: upsert.excluded[name] for name in _UPDATED_ON_CONFLICT},
        )
        # RETURNING makes the executemany one multi-row statement (see event_log.log).
        .returning(_RECORDS_TABLE.c.id),
        list(rows.values()),
    )
    log.append_events(
        briefing_id,
        [(result["seq"], "attendance", {"briefing_id": briefing_id, **result["record"]}) for result in results],
    )
    metrics.count_check_ins(db.session, written=len(results))
    return results


_RECORDS_TABLE = cast(sa.Table, AttendanceRecord.__table__)
#: What a new check-in overwrites in a person's existing record.
_UPDATED_ON_CONFLICT = (
    "endpoint_id",
    "status",
    "note",
    "substitute_name",
    "via",
    "recorded_at",
    "recorded_by_id",
    "seq",
)


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


def _require_operator_of_live_briefing(actor: User | Recorder, briefing: Briefing, invited: set[int]) -> int:
    """Return the actor's endpoint if they are its operator, it is among the `invited` ones and the briefing is
    live."""
    if actor.role != Role.OPERATOR or actor.endpoint_id is None:
        raise AccessDenied(_("Chỉ cán bộ điểm cầu báo trạng thái đường truyền của điểm cầu mình."))
    if actor.endpoint_id not in invited:
        raise AccessDenied(_("Điểm cầu của bạn không được mời dự buổi giao ban này."))
    if briefing.status != BriefingStatus.LIVE:
        raise Conflict(_("Buổi giao ban không đang diễn ra."))
    return actor.endpoint_id


def link_dict(link: EndpointLink) -> dict[str, Any]:
    """Return the contract's form of an endpoint's link."""
    return {
        "endpoint_id": link.endpoint_id,
        "link_status": link.status.value,
        "last_seen_at": iso(link.last_seen_at),
    }


def set_link_status(briefing: Briefing, status: LinkStatus, actor: User) -> dict[str, Any]:
    """Record the link status the operator reports for their endpoint and log it; the caller commits."""
    invited = invited_among(briefing, [actor.endpoint_id])
    endpoint_id = _require_operator_of_live_briefing(actor, briefing, invited)
    now = utcnow()
    link = _link(briefing.id, endpoint_id)
    link.status = status
    link.status_set_at = now
    link.status_set_by_id = actor.id
    link.last_seen_at = now
    link.last_presence_event_at = now
    return log.append_event(briefing.id, "link_status", {"briefing_id": briefing.id, **link_dict(link)})


def record_heartbeat(briefing: Briefing, actor: User) -> dict[str, Any] | None:
    """Note that the operator's endpoint is alive; return the presence event if one was logged (record_heartbeats)."""
    outcome = record_heartbeats(briefing, [Recorder.of(actor)])[0]
    if isinstance(outcome, ServiceError):
        raise outcome
    return outcome


def record_heartbeats(briefing: Briefing, recorders: list[Recorder]) -> list[dict[str, Any] | None | ServiceError]:
    """Note that the senders' endpoints are alive; log a presence event per endpoint at most every
    LIVE_PRESENCE_EVENT_SECONDS. Return, per heartbeat, its presence event, None, or its refusal. The caller commits.

    Heartbeats come every few seconds from every endpoint (70 a second at 1,052 endpoints): logging each would flood
    the log and the dashboards, and a batch of them costs a fixed number of statements.
    """
    outcomes: list[dict[str, Any] | None | ServiceError] = [None] * len(recorders)
    invited = invited_among(briefing, [r.endpoint_id for r in recorders if r.role == Role.OPERATOR])
    beating: dict[int, list[int]] = {}  # endpoint -> the heartbeats from it in this batch
    for index, recorder in enumerate(recorders):
        try:
            beating.setdefault(_require_operator_of_live_briefing(recorder, briefing, invited), []).append(index)
        except ServiceError as error:
            outcomes[index] = error
    if not beating:
        return outcomes
    now = utcnow()
    link = _LINKS_TABLE.c
    known = {
        endpoint_id: (status, last_presence)
        for endpoint_id, status, last_presence in db.session.execute(
            sa.select(link.endpoint_id, sa.type_coerce(link.status, sa.String), link.last_presence_event_at).where(
                link.briefing_id == briefing.id, link.endpoint_id.in_(beating)
            )
        )
    }
    due = [
        endpoint_id
        for endpoint_id in beating
        if endpoint_id not in known
        or known[endpoint_id][1] is None
        or now - known[endpoint_id][1] >= _presence_interval()
    ]
    upsert = log.upsert_insert(_LINKS_TABLE)
    db.session.execute(
        upsert.on_conflict_do_update(
            index_elements=[link.briefing_id, link.endpoint_id],
            set_={
                "last_seen_at": upsert.excluded.last_seen_at,
                "last_presence_event_at": upsert.excluded.last_presence_event_at,
            },
        ).returning(link.endpoint_id),  # RETURNING makes the executemany one multi-row statement (see event_log.log)
        [
            {
                "briefing_id": briefing.id,
                "endpoint_id": endpoint_id,
                "status": LinkStatus.CONNECTED,
                "last_seen_at": now,
                "last_presence_event_at": now if endpoint_id in due else known[endpoint_id][1],
            }
            for endpoint_id in beating
        ],
    )
    if due:
        first_seq = log.take_seqs(briefing.id, len(due))
        events = log.append_events(
            briefing.id,
            [
                (
                    seq,
                    "link_status",
                    {
                        "briefing_id": briefing.id,
                        "endpoint_id": endpoint_id,
                        "link_status": known[endpoint_id][0] if endpoint_id in known else LinkStatus.CONNECTED.value,
                        "last_seen_at": iso(now),
                    },
                )
                for seq, endpoint_id in enumerate(due, start=first_seq)
            ],
        )
        for endpoint_id, event in zip(due, events, strict=True):
            outcomes[beating[endpoint_id][0]] = event
    return outcomes


_LINKS_TABLE = cast(sa.Table, EndpointLink.__table__)
