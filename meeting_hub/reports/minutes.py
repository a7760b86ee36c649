"""The minutes (biên bản) of a briefing: what goes in them, the PDF on demand, and the frozen versions.

Version 1 is frozen when the briefing closes; if it is reopened (scheduling.lifecycle), closing it again freezes the
next version, and version 1 stays exactly as it was at the first closing. Scheduling does not know about reports
(domains depend downward): this module watches the session for a briefing whose status becomes "ended" and freezes
its minutes just before that transaction commits, whichever page, API call or command closed it. A correction by an
organizer, with a reason, freezes the next version; older versions stay downloadable. The PDFs live in the instance
folder's minutes/ directory.
"""

from __future__ import annotations

import enum
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from pydantic import TypeAdapter
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, joinedload

from meeting_hub import stored_files
from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus, LinkStatus
from meeting_hub.clock import local_zone
from meeting_hub.database import utcnow
from meeting_hub.errors import Conflict, NotFound, ServiceError, ValidationFailed
from meeting_hub.event_log.models import BriefingEvent
from meeting_hub.extensions import db
from meeting_hub.follow_up.models import Issue
from meeting_hub.jobs import runs
from meeting_hub.jobs.models import JobStatus
from meeting_hub.jobs.queue import enqueue_after_commit
from meeting_hub.jobs.registry import job
from meeting_hub.network.models import Endpoint, Person
from meeting_hub.reports.attendance_counts import Counts, briefing_counts, total
from meeting_hub.reports.minutes_polls import PollMinutes, poll_minutes
from meeting_hub.reports.models import MinutesVersion
from meeting_hub.scheduling.models import Briefing, BriefingReopening, BriefingStatus
from meeting_hub.vietnamese import sort_key

MINUTES_FOLDER = "minutes"
#: The job that lays out a frozen version's PDF.
RENDER_JOB = "reports.render_minutes"
MAX_REASON_LENGTH = 2_000
#: Briefings that became "ended" in the current transaction, frozen just before it commits.
_ENDED_KEY = "reports.ended_briefings"


# What the minutes say


@dataclass(frozen=True)
class AbsentPerson:
    """Someone expected who did not come (absent or excused), with the reason noted."""

    name: str
    cell: str
    status: AttendanceStatus
    note: str


@dataclass(frozen=True)
class Substitute:
    """Someone who attended in another person's place (dự thay)."""

    name: str
    instead_of: str
    cell: str


@dataclass(frozen=True)
class EndpointLabel:
    """How the minutes name an endpoint."""

    name: str
    display_name: str

    @classmethod
    def of(cls, endpoint: Endpoint) -> EndpointLabel:
        """Return the label of an endpoint as it is named now."""
        return cls(endpoint.name, endpoint.display_name)


@dataclass(frozen=True)
class AgendaLine:
    """One item of the agenda."""

    title: str
    presenter: str
    duration_minutes: int | None


@dataclass(frozen=True)
class BriefingFacts:
    """What the minutes say of the briefing itself; ended_at is None while it is still live (a draft)."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str
    video_link: str
    agenda_items: list[AgendaLine]
    ended_at: datetime | None

    @classmethod
    def of(cls, briefing: Briefing) -> BriefingFacts:
        """Return the facts of a briefing as they stand now."""
        ended = briefing.status == BriefingStatus.ENDED and briefing.status_changed_at is not None
        return cls(
            id=briefing.id,
            title=briefing.title,
            starts_at=briefing.starts_at,
            ends_at=briefing.ends_at,
            room=briefing.room or "",
            video_link=briefing.video_link or "",
            agenda_items=[AgendaLine(i.title, i.presenter, i.duration_minutes) for i in briefing.agenda_items],
            ended_at=briefing.status_changed_at if ended else None,
        )


@dataclass(frozen=True)
class RaisedIssue:
    """An issue raised at the briefing, as the minutes list it."""

    endpoint_name: str
    person_name: str | None
    cell_name: str | None
    category_name: str
    title: str
    content: str

    @classmethod
    def of(cls, issue: Issue) -> RaisedIssue:
        """Return the minutes' line of an issue as it stands now."""
        return cls(
            endpoint_name=issue.endpoint.name,
            person_name=issue.person.full_name if issue.person else None,
            cell_name=issue.cell.name if issue.cell else None,
            category_name=issue.category.name,
            title=issue.title,
            content=issue.content or "",
        )


@dataclass
class EndpointAttendance:
    """One invited endpoint's attendance: the counts, the absentees with their reasons, the substitutes."""

    endpoint: EndpointLabel
    counts: Counts
    absentees: list[AbsentPerson] = field(default_factory=list)
    substitutes: list[Substitute] = field(default_factory=list)


@dataclass(frozen=True)
class LinkProblem:
    """A stretch of time an endpoint's link was degraded or down; `until` is None when it lasted to the end."""

    endpoint: EndpointLabel
    status: LinkStatus
    since: datetime
    until: datetime | None


@dataclass
class MinutesData:
    """Everything the minutes of a briefing hold, read from the database at one moment.

    Plain values only: a frozen version keeps them as JSON (snapshot_of) and its PDF is laid out from them later,
    by a background job, exactly as they were when the version was frozen.
    """

    briefing: BriefingFacts
    organization_name: str
    department_name: str
    place_name: str
    endpoints: list[EndpointAttendance]
    link_problems: list[LinkProblem]
    issues: list[RaisedIssue]
    generated_at: datetime
    #: The polls put to the briefing, with their results then (versions frozen before polls existed have none).
    polls: list[PollMinutes] = field(default_factory=list)

    @property
    def totals(self) -> Counts:
        """Return the attendance of every endpoint together."""
        return total(row.counts for row in self.endpoints)


def _attendance(briefing: Briefing) -> list[EndpointAttendance]:
    counts = briefing_counts([briefing.id])
    endpoint_ids = [endpoint_id for _briefing_id, endpoint_id in counts]
    endpoints = {e.id: e for e in db.session.scalars(sa.select(Endpoint).where(Endpoint.id.in_(endpoint_ids)))}
    rows = {
        endpoint_id: EndpointAttendance(EndpointLabel.of(endpoints[endpoint_id]), endpoint_counts)
        for (_briefing_id, endpoint_id), endpoint_counts in counts.items()
    }
    records = db.session.scalars(
        sa.select(AttendanceRecord)
        .options(joinedload(AttendanceRecord.person).joinedload(Person.cell))
        .where(
            AttendanceRecord.briefing_id == briefing.id,
            sa.or_(
                AttendanceRecord.status.in_([AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED]),
                AttendanceRecord.substitute_name != "",
            ),
        )
    )
    for record in records:
        row = rows.get(record.endpoint_id)
        if row is None:
            continue
        person = record.person
        if record.status in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED):
            row.absentees.append(AbsentPerson(person.full_name, person.cell.name, record.status, record.note))
        elif record.substitute_name:
            row.substitutes.append(Substitute(record.substitute_name, person.full_name, person.cell.name))
    for row in rows.values():
        row.absentees.sort(key=lambda a: (sort_key(a.cell), sort_key(a.name)))
        row.substitutes.sort(key=lambda s: (sort_key(s.cell), sort_key(s.instead_of)))
    return sorted(rows.values(), key=lambda row: sort_key(row.endpoint.name))


def link_problems(briefing: Briefing) -> list[LinkProblem]:
    """Return when each endpoint's link was degraded or down, from the briefing's link_status events.

    Heartbeats repeat the current status every so often: consecutive events with the same status are one stretch.
    """
    known = {status.value for status in LinkStatus}
    current: dict[int, tuple[LinkStatus, datetime]] = {}
    stretches: list[tuple[int, LinkStatus, datetime, datetime | None]] = []
    for payload, at in db.session.execute(
        sa.select(BriefingEvent.payload, BriefingEvent.created_at)
        .where(BriefingEvent.briefing_id == briefing.id, BriefingEvent.type == "link_status")
        .order_by(BriefingEvent.seq)
    ):
        data: dict[str, Any] = json.loads(payload)
        endpoint_id, value = data.get("endpoint_id"), data.get("link_status")
        if not isinstance(endpoint_id, int) or value not in known:
            continue
        status = LinkStatus(value)
        previous = current.get(endpoint_id)
        if previous is not None and previous[0] == status:
            continue
        if previous is not None and previous[0] != LinkStatus.CONNECTED:
            stretches.append((endpoint_id, previous[0], previous[1], at))
        current[endpoint_id] = (status, at)
    for endpoint_id, (status, since) in current.items():
        if status != LinkStatus.CONNECTED:
            stretches.append((endpoint_id, status, since, None))
    endpoints = {
        e.id: e for e in db.session.scalars(sa.select(Endpoint).where(Endpoint.id.in_({item[0] for item in stretches})))
    }
    problems = [
        LinkProblem(EndpointLabel.of(endpoints[endpoint_id]), status, since, until)
        for endpoint_id, status, since, until in stretches
    ]
    return sorted(problems, key=lambda problem: (problem.since, sort_key(problem.endpoint.name)))


def raised_issues(briefing: Briefing) -> list[Issue]:
    """Return every issue raised at the briefing, in the order raised (withdrawn ones too: they were said)."""
    return list(
        db.session.scalars(
            sa.select(Issue)
            .options(
                joinedload(Issue.endpoint), joinedload(Issue.person), joinedload(Issue.cell), joinedload(Issue.category)
            )
            .where(Issue.briefing_id == briefing.id)
            .order_by(Issue.raised_at, Issue.id)
        )
    )


def minutes_data(briefing: Briefing, now: datetime | None = None) -> MinutesData:
    """Read what the minutes of a briefing say, as of now."""
    config = current_app.config
    return MinutesData(
        briefing=BriefingFacts.of(briefing),
        organization_name=str(config["ORGANIZATION_NAME"]),
        department_name=str(config["DEPARTMENT_NAME"]),
        place_name=str(config.get("REPORT_PLACE_NAME", "")),
        endpoints=_attendance(briefing),
        link_problems=link_problems(briefing),
        issues=[RaisedIssue.of(issue) for issue in raised_issues(briefing)],
        generated_at=now or utcnow(),
        polls=poll_minutes(briefing),
    )


_SNAPSHOT = TypeAdapter(MinutesData)


def snapshot_of(data: MinutesData) -> dict[str, Any]:
    """Return the minutes' content as JSON values, to keep with a frozen version."""
    snapshot: dict[str, Any] = _SNAPSHOT.dump_python(data, mode="json")
    return snapshot


def data_from_snapshot(snapshot: dict[str, Any]) -> MinutesData:
    """Return the minutes' content kept with a frozen version."""
    return _SNAPSHOT.validate_python(snapshot)


def _require_held(briefing: Briefing) -> None:
    if briefing.status not in (BriefingStatus.LIVE, BriefingStatus.ENDED):
        raise Conflict(_("Buổi giao ban chưa diễn ra hoặc đã hủy: chưa có biên bản."))


def _layout(data: MinutesData, *, version: int | None, reason: str = "", reopened: bool = False) -> bytes:
    from meeting_hub.reports.minutes_pdf import render  # fpdf2 loads only when a PDF is made

    with force_locale(current_app.config["DEFAULT_LANGUAGE"]):
        return render(data, version=version, reason=reason, reopened=reopened)


def render_draft(briefing: Briefing) -> bytes:
    """Return a draft of the minutes from the data as it is now, as an A4 PDF in the network's language."""
    return _layout(minutes_data(briefing), version=None)


# Frozen versions


def minutes_folder() -> Path:
    """Return the folder of the frozen minutes (instance folder's minutes/, outside static/), creating it."""
    return stored_files.instance_folder(MINUTES_FOLDER)


def list_versions(briefing: Briefing) -> list[MinutesVersion]:
    """Return the frozen versions of a briefing's minutes, oldest first."""
    return list(
        db.session.scalars(
            sa.select(MinutesVersion)
            .options(joinedload(MinutesVersion.created_by))
            .where(MinutesVersion.briefing_id == briefing.id)
            .order_by(MinutesVersion.version)
        )
    )


def get_version(briefing: Briefing, version: int | None = None) -> MinutesVersion | None:
    """Return one frozen version (the latest when none is named); None when the minutes were never frozen."""
    statement = sa.select(MinutesVersion).where(MinutesVersion.briefing_id == briefing.id)
    if version is not None:
        found = db.session.scalar(statement.where(MinutesVersion.version == version))
        if found is None:
            raise NotFound(_("Không có phiên bản %(n)d của biên bản này.", n=version))
        return found
    return db.session.scalar(statement.order_by(MinutesVersion.version.desc()).limit(1))


class MinutesNotReady(ServiceError):
    """A frozen version whose PDF is still being laid out (or could not be): its content is kept, the file is not
    there yet."""

    code = "minutes_not_ready"
    http_status = 409


class VersionState(enum.StrEnum):
    """Where a frozen version's PDF stands."""

    PREPARING = "preparing"
    READY = "ready"
    FAILED = "failed"


def render_key(minutes: MinutesVersion) -> str:
    """Return the key of the job run that lays out a frozen version's PDF (one run per version)."""
    return f"minutes:{minutes.id}"


def version_state(minutes: MinutesVersion) -> VersionState:
    """Return whether a frozen version's PDF is ready, still being prepared, or failed for good."""
    if minutes.stored_name is not None:
        return VersionState.READY
    run = runs.run_with_key(render_key(minutes))
    return VersionState.FAILED if run is not None and run.status == JobStatus.FAILED else VersionState.PREPARING


def version_states(versions: list[MinutesVersion]) -> dict[int, str]:
    """Return {version number: its state's value}, as the pages show them."""
    return {minutes.version: version_state(minutes).value for minutes in versions}


def version_path(minutes: MinutesVersion) -> Path:
    """Return the file of a frozen version whose PDF is ready."""
    assert minutes.stored_name is not None
    return minutes_folder() / minutes.stored_name


def read_version(minutes: MinutesVersion) -> bytes:
    """Return the bytes of a frozen version, exactly as frozen."""
    state = version_state(minutes)
    if state is VersionState.FAILED:
        raise MinutesNotReady(
            _("Chưa lập được tệp PDF của biên bản phiên bản %(n)d. Ban tổ chức có thể cho lập lại.", n=minutes.version)
        )
    if state is VersionState.PREPARING:
        raise MinutesNotReady(
            _("Tệp PDF của biên bản phiên bản %(n)d đang được chuẩn bị, xin thử lại sau ít giây.", n=minutes.version)
        )
    path = version_path(minutes)
    if not path.is_file():
        raise NotFound(_("Tệp biên bản không còn trên máy chủ."))
    return path.read_bytes()


def _freeze(
    briefing: Briefing, number: int, actor_id: int | None, reason: str, *, reopened: bool = False
) -> MinutesVersion:
    """Keep what the minutes say now as the next version; its PDF is laid out by a job once the transaction commits.

    Reading the data takes milliseconds; laying out the PDF takes seconds at a thousand endpoints, which must not
    hold the closing request or its transaction. `reopened` is known again from the reopening the version closes.
    """
    snapshot = snapshot_of(minutes_data(briefing))
    minutes = MinutesVersion(
        briefing_id=briefing.id,
        version=number,
        content=snapshot,
        content_sha256=hashlib.sha256(_canonical(snapshot)).hexdigest(),
        reason=reason,
        created_by_id=actor_id,
    )
    db.session.add(minutes)
    db.session.flush()
    enqueue_after_commit(RENDER_JOB, key=render_key(minutes), minutes_version_id=minutes.id)
    return minutes


def _canonical(snapshot: dict[str, Any]) -> bytes:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@job(RENDER_JOB)
def render_frozen_version(minutes_version_id: int) -> None:
    """Lay out the PDF of a frozen version from the content kept when it was frozen; nothing to do once it exists.

    Idempotent: the same content gives the same bytes, and only the first run to finish records its file.
    """
    minutes = db.session.get(MinutesVersion, minutes_version_id)
    if minutes is None or minutes.stored_name is not None:
        return
    if minutes.content is None:
        raise RuntimeError(f"minutes version {minutes_version_id} has neither a file nor its content")
    version, reason, briefing_id = minutes.version, minutes.reason, minutes.briefing_id
    data = data_from_snapshot(minutes.content)
    closes_reopening = sa.exists().where(
        BriefingReopening.briefing_id == briefing_id, BriefingReopening.minutes_version == version
    )
    reopened = db.session.scalar(sa.select(closes_reopening))
    # End the read before the seconds of layout: on SQLite an open transaction holds the write lock.
    db.session.commit()
    content = _layout(data, version=version, reason=reason, reopened=bool(reopened))
    # Checked like an upload (our own renderer's output passes); removed again unless the worker commits.
    stored = stored_files.store_pdf(io.BytesIO(content), minutes_folder(), len(content), "minutes")
    recorded = db.session.execute(
        sa.update(MinutesVersion)
        .where(MinutesVersion.id == minutes_version_id, MinutesVersion.stored_name.is_(None))
        .values(stored_name=stored.stored_name, size_bytes=len(content), sha256=stored.sha256)
        .execution_options(synchronize_session=False)
    )
    if recorded.rowcount != 1:  # type: ignore[attr-defined]
        stored_files.remove_when_committed(minutes_folder() / stored.stored_name)  # another run was first


def freeze_minutes(briefing: Briefing, actor: User | None = None) -> MinutesVersion:
    """Freeze version 1 of an ended briefing's minutes, unless it exists (then return it); the caller commits."""
    if briefing.status != BriefingStatus.ENDED:
        raise Conflict(_("Chỉ chốt biên bản khi buổi giao ban đã kết thúc."))
    existing = get_version(briefing)
    if existing is not None:
        return existing
    actor_id = actor.id if actor is not None else briefing.status_changed_by_id
    minutes = _freeze(briefing, 1, actor_id, "")
    audit.record(
        "minutes.freeze", actor, target=f"briefing:{briefing.id}", version=1, content_sha256=minutes.content_sha256
    )
    return minutes


def freeze_on_close(briefing: Briefing, actor: User | None = None) -> MinutesVersion:
    """Freeze the minutes of a briefing that has just ended: version 1, or, when it had been reopened, the next
    version (the earlier ones stay exactly as frozen). The caller commits."""
    reopening = next((r for r in reversed(briefing.reopenings) if r.minutes_version is None), None)
    latest = get_version(briefing)
    if reopening is None or latest is None:
        minutes = freeze_minutes(briefing, actor)
    else:
        actor_id = actor.id if actor is not None else briefing.status_changed_by_id
        minutes = _freeze(briefing, latest.version + 1, actor_id, reopening.reason, reopened=True)
        audit.record(
            "minutes.freeze",
            actor,
            target=f"briefing:{briefing.id}",
            version=minutes.version,
            reopened=True,
            reason=reopening.reason,
            content_sha256=minutes.content_sha256,
        )
    if reopening is not None:
        reopening.minutes_version = minutes.version
    return minutes


def prepare_again(briefing: Briefing, version: int, actor: User) -> MinutesVersion:
    """Ask again for the PDF of a frozen version whose preparation failed for good; the caller commits.

    A version being prepared or ready is left as it is (asking twice never lays it out twice).
    """
    minutes = get_version(briefing, version)
    assert minutes is not None  # a named version exists or NotFound was raised
    if version_state(minutes) is VersionState.FAILED:
        enqueue_after_commit(RENDER_JOB, key=render_key(minutes), minutes_version_id=minutes.id)
        audit.record("minutes.prepare", actor, target=f"briefing:{briefing.id}", version=minutes.version)
    return minutes


def reopened_versions(briefing: Briefing) -> dict[int, BriefingReopening]:
    """Return {minutes version: the reopening it closed} for the versions frozen when the briefing closed again."""
    return {r.minutes_version: r for r in briefing.reopenings if r.minutes_version is not None}


def correct_minutes(briefing: Briefing, reason: str, actor: User) -> MinutesVersion:
    """Freeze the next version of the minutes from the data as it is now, with the reason; the caller commits."""
    if briefing.status != BriefingStatus.ENDED:
        raise Conflict(_("Chỉ đính chính biên bản của buổi giao ban đã kết thúc."))
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed(_("Cần nêu lý do đính chính."), details={"reason": _("Bắt buộc.")})
    if len(reason) > MAX_REASON_LENGTH:
        message = _("Lý do không dài quá %(n)d ký tự.", n=MAX_REASON_LENGTH)
        raise ValidationFailed(message, details={"reason": message})
    # Without a version yet, the original is frozen first, as the data stood before this correction.
    latest = get_version(briefing) or freeze_minutes(briefing, actor)
    minutes = _freeze(briefing, latest.version + 1, actor.id, reason)
    audit.record(
        "minutes.correct",
        actor,
        target=f"briefing:{briefing.id}",
        version=minutes.version,
        reason=reason,
        content_sha256=minutes.content_sha256,
    )
    return minutes


def minutes_pdf(briefing: Briefing, version: int | None = None, *, draft: bool = False) -> tuple[bytes, int | None]:
    """Return the PDF to send and its version: the named or latest frozen one, else (or on request) a fresh draft."""
    _require_held(briefing)
    if not draft:
        frozen = get_version(briefing, version)
        if frozen is not None:
            return read_version(frozen), frozen.version
    return render_draft(briefing), None


def download_name(briefing: Briefing, version: int | None) -> str:
    """Return "bien-ban-giao-ban-2026-03-10-v1.pdf" (ASCII: every browser and chat app keeps it)."""
    day = briefing.starts_at.astimezone(local_zone()).date().isoformat()
    suffix = f"-v{version}" if version is not None else "-ban-nhap"
    return f"bien-ban-giao-ban-{day}{suffix}.pdf"


# Freezing when a briefing closes


@event.listens_for(Session, "after_flush")
def _note_ended_briefings(session: Session, _context: Any) -> None:
    """Note the briefings whose status this flush set to "ended" (the history is still there after the flush)."""
    for obj in session.dirty:
        if isinstance(obj, Briefing):
            added = sa.inspect(obj).attrs.status.history.added
            if BriefingStatus.ENDED in added:
                session.info.setdefault(_ENDED_KEY, set()).add(obj.id)


@event.listens_for(Session, "before_commit")
def _freeze_ended_briefings(session: Session) -> None:
    """Freeze the minutes of the briefings that ended in this transaction (version 1, or the next one after a
    reopening), before it commits."""
    session.flush()  # a status set since the last flush is noted now
    ended = session.info.pop(_ENDED_KEY, None)
    if not ended:
        return
    for briefing_id in sorted(ended):
        briefing = session.get(Briefing, briefing_id)
        if briefing is not None and briefing.status == BriefingStatus.ENDED:
            closer = session.get(User, briefing.status_changed_by_id) if briefing.status_changed_by_id else None
            freeze_on_close(briefing, closer)


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """Forget the briefings noted in a rolled-back transaction (stored_files removes its version files)."""
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    session.info.pop(_ENDED_KEY, None)
