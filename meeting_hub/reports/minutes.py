"""The minutes (biên bản) of a briefing: what goes in them, the PDF on demand, and the frozen versions.

Version 1 is frozen when the briefing closes; if it is reopened (scheduling.lifecycle), closing it again freezes the
next version, and version 1 stays exactly as it was at the first closing. Scheduling does not know about reports
(domains depend downward): this module watches the session for a briefing whose status becomes "ended" and freezes
its minutes just before that transaction commits, whichever page, API call or command closed it. A correction by an
organizer, with a reason, freezes the next version; older versions stay downloadable. The PDFs live in the instance
folder's minutes/ directory.
"""

from __future__ import annotations

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
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, joinedload

from meeting_hub import stored_files
from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus, LinkStatus
from meeting_hub.clock import local_zone
from meeting_hub.database import utcnow
from meeting_hub.errors import Conflict, NotFound, ValidationFailed
from meeting_hub.event_log.models import BriefingEvent
from meeting_hub.extensions import db
from meeting_hub.follow_up.models import Issue
from meeting_hub.network.models import Endpoint, Person
from meeting_hub.reports.attendance_counts import Counts, briefing_counts, total
from meeting_hub.reports.models import MinutesVersion
from meeting_hub.scheduling.models import Briefing, BriefingReopening, BriefingStatus
from meeting_hub.vietnamese import sort_key

MINUTES_FOLDER = "minutes"
MAX_REASON_LENGTH = 2_000
#: Briefings that became "ended" in the current transaction, frozen just before it commits.
_ENDED_KEY = "reports.ended_briefings"
#: Files written in the current transaction, removed again if it does not commit.


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


@dataclass
class EndpointAttendance:
    """One invited endpoint's attendance: the counts, the absentees with their reasons, the substitutes."""

    endpoint: Endpoint
    counts: Counts
    absentees: list[AbsentPerson] = field(default_factory=list)
    substitutes: list[Substitute] = field(default_factory=list)


@dataclass(frozen=True)
class LinkProblem:
    """A stretch of time an endpoint's link was degraded or down; `until` is None when it lasted to the end."""

    endpoint: Endpoint
    status: LinkStatus
    since: datetime
    until: datetime | None


@dataclass
class MinutesData:
    """Everything the minutes of a briefing hold, read from the database at one moment."""

    briefing: Briefing
    organization_name: str
    department_name: str
    place_name: str
    endpoints: list[EndpointAttendance]
    link_problems: list[LinkProblem]
    issues: list[Issue]
    generated_at: datetime

    @property
    def totals(self) -> Counts:
        """Return the attendance of every endpoint together."""
        return total(row.counts for row in self.endpoints)


def _attendance(briefing: Briefing) -> list[EndpointAttendance]:
    counts = briefing_counts([briefing.id])
    endpoint_ids = [endpoint_id for _briefing_id, endpoint_id in counts]
    endpoints = {e.id: e for e in db.session.scalars(sa.select(Endpoint).where(Endpoint.id.in_(endpoint_ids)))}
    rows = {
        endpoint_id: EndpointAttendance(endpoints[endpoint_id], endpoint_counts)
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
        LinkProblem(endpoints[endpoint_id], status, since, until) for endpoint_id, status, since, until in stretches
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
        briefing=briefing,
        organization_name=str(config["ORGANIZATION_NAME"]),
        department_name=str(config["DEPARTMENT_NAME"]),
        place_name=str(config.get("REPORT_PLACE_NAME", "")),
        endpoints=_attendance(briefing),
        link_problems=link_problems(briefing),
        issues=raised_issues(briefing),
        generated_at=now or utcnow(),
    )


def _require_held(briefing: Briefing) -> None:
    if briefing.status not in (BriefingStatus.LIVE, BriefingStatus.ENDED):
        raise Conflict(_("Buổi giao ban chưa diễn ra hoặc đã hủy: chưa có biên bản."))


def render_minutes(
    briefing: Briefing, *, version: int | None = None, reason: str = "", reopened: bool = False
) -> bytes:
    """Return the minutes as an A4 PDF, in the network's language; version None marks it as a draft.

    reopened: the version was frozen when the briefing closed again after a reopening (reason: why it was reopened).
    """
    from meeting_hub.reports.minutes_pdf import render  # fpdf2 loads only when a PDF is made

    with force_locale(current_app.config["DEFAULT_LANGUAGE"]):
        return render(minutes_data(briefing), version=version, reason=reason, reopened=reopened)


# Frozen versions


def minutes_folder() -> Path:
    """Return the folder of the frozen minutes (instance folder's minutes/, outside static/), creating it."""
    folder = Path(current_app.instance_path) / MINUTES_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


def version_path(minutes: MinutesVersion) -> Path:
    """Return the file of a frozen version."""
    return minutes_folder() / minutes.stored_name


def read_version(minutes: MinutesVersion) -> bytes:
    """Return the bytes of a frozen version, exactly as frozen."""
    path = version_path(minutes)
    if not path.is_file():
        raise NotFound(_("Tệp biên bản không còn trên máy chủ."))
    return path.read_bytes()


def _freeze(
    briefing: Briefing, number: int, actor_id: int | None, reason: str, *, reopened: bool = False
) -> MinutesVersion:
    content = render_minutes(briefing, version=number, reason=reason, reopened=reopened)
    # Checked like an upload (our own renderer's output passes); removed again unless the version commits.
    stored = stored_files.store_pdf(io.BytesIO(content), minutes_folder(), len(content), "minutes")
    stored_name, sha256 = stored.stored_name, stored.sha256
    minutes = MinutesVersion(
        briefing_id=briefing.id,
        version=number,
        stored_name=stored_name,
        size_bytes=len(content),
        sha256=sha256,
        reason=reason,
        created_by_id=actor_id,
    )
    db.session.add(minutes)
    db.session.flush()
    return minutes


def freeze_minutes(briefing: Briefing, actor: User | None = None) -> MinutesVersion:
    """Freeze version 1 of an ended briefing's minutes, unless it exists (then return it); the caller commits."""
    if briefing.status != BriefingStatus.ENDED:
        raise Conflict(_("Chỉ chốt biên bản khi buổi giao ban đã kết thúc."))
    existing = get_version(briefing)
    if existing is not None:
        return existing
    actor_id = actor.id if actor is not None else briefing.status_changed_by_id
    minutes = _freeze(briefing, 1, actor_id, "")
    audit.record("minutes.freeze", actor, target=f"briefing:{briefing.id}", version=1, sha256=minutes.sha256)
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
            sha256=minutes.sha256,
        )
    if reopening is not None:
        reopening.minutes_version = minutes.version
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
        sha256=minutes.sha256,
    )
    return minutes


def minutes_pdf(briefing: Briefing, version: int | None = None, *, draft: bool = False) -> tuple[bytes, int | None]:
    """Return the PDF to send and its version: the named or latest frozen one, else (or on request) a fresh draft."""
    _require_held(briefing)
    if not draft:
        frozen = get_version(briefing, version)
        if frozen is not None:
            return read_version(frozen), frozen.version
    return render_minutes(briefing), None


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
