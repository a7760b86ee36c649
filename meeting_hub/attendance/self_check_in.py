"""QR self check-in: a secretary scans their endpoint's code, picks their name and confirms with their phone.

Off unless the organizer turns it on for the briefing. The QR link carries a signed (briefing, endpoint) pair, so it
needs no storage and cannot be forged for another endpoint. A self check-in never overrides what an operator recorded;
the operator sees it marked "self" and can correct it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.attendance import services
from meeting_hub.attendance.models import AttendanceStatus, CheckInVia
from meeting_hub.database import utcnow
from meeting_hub.errors import AuditEntry, Conflict, NotFound, ServiceError, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.network.models import Cell, Endpoint, Person
from meeting_hub.scheduling.models import Briefing, BriefingStatus
from meeting_hub.scheduling.services import is_invited

_SALT = "meeting-hub.self-check-in"
#: Arriving this long after the start counts as late.
LATE_AFTER = timedelta(minutes=15)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def self_check_in_token(briefing_id: int, endpoint_id: int) -> str:
    """Return the token of an endpoint's QR link for a briefing."""
    return str(_serializer().dumps([briefing_id, endpoint_id]))


@dataclass(frozen=True)
class SelfCheckInTarget:
    """What a QR link points at."""

    briefing: Briefing
    endpoint: Endpoint


def resolve_token(token: str) -> SelfCheckInTarget:
    """Return the briefing and endpoint of a QR link; NotFound for a forged link or one not invited."""
    try:
        briefing_id, endpoint_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError) as error:
        raise NotFound(_("Mã QR không hợp lệ.")) from error
    briefing = db.session.get(Briefing, briefing_id)
    endpoint = db.session.get(Endpoint, endpoint_id)
    if briefing is None or endpoint is None or not is_invited(briefing, endpoint.id):
        raise NotFound(_("Mã QR không hợp lệ."))
    return SelfCheckInTarget(briefing, endpoint)


def roster(endpoint: Endpoint) -> list[Person]:
    """Return the endpoint's active people, by cell then name, for the name picker."""
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(Person.cell)
            .where(Cell.endpoint_id == endpoint.id, Person.active.is_(True), Cell.active.is_(True))
            .order_by(Cell.name, Person.full_name)
        )
    )


def set_self_check_in(briefing: Briefing, enabled: bool, actor: User) -> None:
    """Turn QR self check-in on or off for a briefing; the caller commits."""
    briefing.self_check_in = enabled
    audit.record("briefing.self_check_in", actor, target=f"briefing:{briefing.id}", enabled=enabled)


class WrongPhoneDigits(ValidationFailed):
    """The phone digits do not match the roster: refused, and audited after the caller rolls back (a guess)."""

    def __init__(self, message: str, *, target: SelfCheckInTarget, person_id: int) -> None:
        super().__init__(message, details={"phone_last_digits": _("Không khớp.")})
        self.briefing_id, self.endpoint_id, self.person_id = target.briefing.id, target.endpoint.id, person_id

    def audit_entry(self) -> AuditEntry | None:
        return AuditEntry(
            "self_check_in.failed",
            f"person:{self.person_id}",
            {"briefing_id": self.briefing_id, "endpoint_id": self.endpoint_id, "reason": "wrong_phone_digits"},
        )


@dataclass(frozen=True)
class SelfCheckInOutcome:
    """What the secretary is told."""

    person: Person
    status: AttendanceStatus
    already_recorded: bool


class TooManyGuesses(ServiceError):
    """The person's or the endpoint's guesses are used up for now (self_check_in_limits.py)."""

    code = "too_many_requests"
    http_status = 429


def is_open(briefing: Briefing) -> bool:
    """Tell whether secretaries can check themselves in now: self check-in on, and the briefing live."""
    return briefing.self_check_in and briefing.status == BriefingStatus.LIVE


def confirm_person(target: SelfCheckInTarget, person_id: int, phone_last_digits: str) -> Person:
    """Return the person of the endpoint's roster who picked their name, once the last four digits of the phone
    number on the roster match (self check-in and self-answers confirm the same way)."""
    found = services.people_at(target.briefing, {person_id}).get(person_id)  # resolve_token checked the invitation
    person = db.session.get(Person, person_id)
    if found is None or found[0] != target.endpoint.id or person is None:
        raise NotFound(_("Không tìm thấy tên này trong danh sách của điểm cầu."))
    digits = "".join(ch for ch in (person.phone or "") if ch.isdigit())
    if len(digits) < 4:
        raise ValidationFailed(_("Danh sách chưa có số điện thoại của đồng chí. Vui lòng báo cán bộ điểm cầu."))
    if phone_last_digits.strip() != digits[-4:]:
        raise WrongPhoneDigits(_("Bốn số cuối điện thoại không đúng."), target=target, person_id=person.id)
    return person


def check_in_self(target: SelfCheckInTarget, person_id: int, phone_last_digits: str) -> SelfCheckInOutcome:
    """Check a secretary in from their own phone; the caller commits.

    Confirmation is the last four digits of the phone number on the roster. A second scan changes nothing.
    """
    briefing, endpoint = target.briefing, target.endpoint
    if not briefing.self_check_in:
        raise Conflict(_("Buổi giao ban này không dùng tự điểm danh. Vui lòng báo cán bộ điểm cầu."))
    if briefing.status != BriefingStatus.LIVE:
        raise Conflict(_("Buổi giao ban chưa bắt đầu hoặc đã kết thúc."))
    person = confirm_person(target, person_id, phone_last_digits)
    existing = services.current_record(briefing.id, person.id)
    if existing is not None:
        # Never override what was recorded, by the operator or by an earlier scan.
        return SelfCheckInOutcome(person, existing.status, already_recorded=True)
    status = AttendanceStatus.LATE if utcnow() > briefing.starts_at + LATE_AFTER else AttendanceStatus.PRESENT
    services.write_record(briefing, person, endpoint.id, status, "", "", CheckInVia.SELF, None)
    return SelfCheckInOutcome(person, status, already_recorded=False)
