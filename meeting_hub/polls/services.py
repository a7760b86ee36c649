"""Polls: create, open and close them, take answers (idempotent, logged with a seq), and count the results.

Answers go through the briefing's event log like check-ins: a client_op_id is claimed first (a replay returns the
original result), the briefing's next seq is taken (which queues this briefing's writers, so what is read after it is
current), and one "poll" event is appended. The caller commits: one transaction per REST answer, a savepoint in the
roll-call writer's batch for a socket answer (attendance/group_commit.py).

Secret polls: nothing written here pairs a person with a choice. The person goes to PollParticipant, the choice to
the endpoint's anonymous PollTally; the answer's result, its event and its stored replay carry the endpoint's tallies
only. A secret answer cannot be replaced (replacing would need the old choice), so a second one is refused.

Self-answers (a cell secretary from their phone, through the endpoint's QR link) take the same path without a user:
the operator's entry wins, so a named self-answer never replaces an operator's and an operator's replaces a
self-answer; in a secret poll the two exclude each other (nothing can be replaced there).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus
from meeting_hub.attendance.services import Recorder, WriteResult, iso
from meeting_hub.database import utcnow
from meeting_hub.errors import AccessDenied, Conflict, NotFound, ServiceError, TryAgain, ValidationFailed
from meeting_hub.event_log import log
from meeting_hub.extensions import db
from meeting_hub.polls.models import (
    AnswerSource,
    Poll,
    PollBallot,
    PollEndpointReport,
    PollKind,
    PollOtherText,
    PollParticipant,
    PollStatus,
    PollTally,
)
from meeting_hub.scheduling.models import Briefing, BriefingStatus, briefing_endpoints
from meeting_hub.scheduling.services import get_briefing
from meeting_hub.text_input import text_problem

MAX_QUESTION_LENGTH = 500
MAX_OPTION_LENGTH = 200
MAX_OTHER_TEXT_LENGTH = 200
MIN_OPTIONS, MAX_OPTIONS = 2, 10
#: The event type of every poll change in the briefing's log.
EVENT_TYPE = "poll"
#: The ClientOperation kind of an answer.
OPERATION_KIND = "poll_answer"
#: Who prepares, opens and closes polls.
POLL_MANAGERS = (Role.ORGANIZER, Role.ADMIN)
#: Who records answers: operators (their own endpoint) and organizers (any endpoint).
ANSWER_RECORDERS = (Role.OPERATOR, Role.ORGANIZER, Role.ADMIN)
_ELIGIBLE = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


@dataclass(frozen=True)
class PollDraft:
    """A poll as an organizer writes it."""

    question: str
    options: list[str]
    kind: PollKind
    multiple: bool = False
    allow_other: bool = False
    allow_self_answer: bool = False


@dataclass(frozen=True)
class Answer:
    """An answer as a client sends it: a person's choices (named, secret) or an endpoint's counts (endpoint)."""

    client_op_id: str
    choices: tuple[int, ...] = ()
    counts: tuple[int, ...] | None = None
    person_id: int | None = None
    endpoint_id: int | None = None
    #: What was said with the "other" option (a poll that allows it).
    other_text: str | None = None

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Answer:
        """Take an answer from a validated payload (payloads.PollAnswerBody or PollAnswerMessage)."""
        counts = message.get("counts")
        return cls(
            client_op_id=message["client_op_id"],
            choices=tuple(message.get("choices") or ()),
            counts=tuple(counts) if counts is not None else None,
            person_id=message.get("person_id"),
            endpoint_id=message.get("endpoint_id"),
            other_text=message.get("other_text"),
        )


# Preparing, opening, closing


def _require_manager(actor: User) -> None:
    if actor.role not in POLL_MANAGERS:
        raise AccessDenied(_("Chỉ cán bộ tổ chức được chuẩn bị, mở và đóng thăm dò ý kiến."))


def clean_poll_text(question: str, options: list[str]) -> tuple[str, list[str]]:
    """Return the question and options as they are kept (trimmed), or refuse them with the rule they break."""
    question = question.strip()
    if not question:
        raise ValidationFailed(_("Hãy nhập câu hỏi."), details={"question": _("Không được để trống.")})
    if len(question) > MAX_QUESTION_LENGTH:
        raise ValidationFailed(_("Câu hỏi quá dài."), details={"question": _("Tối đa 500 ký tự.")})
    if problem := text_problem(question):
        raise ValidationFailed(problem, details={"question": problem})
    options = [option.strip() for option in options]
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise ValidationFailed(
            _("Câu hỏi cần từ 2 đến 10 phương án trả lời."), details={"options": _("Từ 2 đến 10 phương án.")}
        )
    for option in options:
        if not option:
            raise ValidationFailed(
                _("Phương án trả lời không được để trống."), details={"options": _("Không được để trống.")}
            )
        if len(option) > MAX_OPTION_LENGTH:
            raise ValidationFailed(_("Phương án trả lời quá dài."), details={"options": _("Tối đa 200 ký tự.")})
        if problem := text_problem(option):
            raise ValidationFailed(problem, details={"options": problem})
    if len({option.casefold() for option in options}) < len(options):
        raise ValidationFailed(
            _("Các phương án trả lời không được trùng nhau."), details={"options": _("Có phương án trùng nhau.")}
        )
    return question, options


def accepts_new_polls(briefing: Briefing) -> bool:
    """Tell whether polls may still be prepared for the briefing (it is scheduled or live)."""
    return briefing.status in (BriefingStatus.SCHEDULED, BriefingStatus.LIVE)


def _allows_self_answer(draft: PollDraft) -> bool:
    # An endpoint poll counts a room's hands: there is no one person to answer from a phone.
    return draft.allow_self_answer and draft.kind != PollKind.ENDPOINT


def create_poll(briefing: Briefing, draft: PollDraft, actor: User) -> Poll:
    """Prepare a poll (a draft) for a briefing that is scheduled or live. The caller commits."""
    _require_manager(actor)
    question, options = clean_poll_text(draft.question, draft.options)
    if not accepts_new_polls(briefing):
        raise Conflict(_("Buổi giao ban đã kết thúc hoặc đã hủy: không thể thêm câu hỏi thăm dò."))
    poll = Poll(
        briefing_id=briefing.id,
        question=question,
        options=options,
        multiple=draft.multiple,
        allow_other=draft.allow_other,
        allow_self_answer=_allows_self_answer(draft),
        kind=draft.kind,
        status=PollStatus.DRAFT,
        created_by_id=actor.id,
    )
    db.session.add(poll)
    db.session.flush()
    audit.record("poll.create", actor, target=f"briefing:{briefing.id}", poll_id=poll.id, question=question)
    return poll


def get_poll(poll_id: int, viewer: User) -> Poll:
    """Return a poll the viewer may see (operators: open and closed polls of a briefing they are invited to)."""
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        raise NotFound(_("Không tìm thấy câu hỏi thăm dò."))
    get_briefing(poll.briefing_id, viewer)
    if poll.status == PollStatus.DRAFT and viewer.role not in POLL_MANAGERS + (Role.LEADER,):
        raise NotFound(_("Không tìm thấy câu hỏi thăm dò."))
    return poll


def poll_briefing_id(poll_id: int) -> int:
    """Return the briefing of a poll (whose roll-call writer takes its socket answers); NotFound if there is none."""
    found = db.session.scalar(sa.select(Poll.briefing_id).where(Poll.id == poll_id))
    if found is None:
        raise NotFound(_("Không tìm thấy câu hỏi thăm dò."))
    return found


def briefing_polls(briefing: Briefing, viewer: User) -> list[Poll]:
    """Return a briefing's polls in the order they were made (operators: not the drafts)."""
    statement = sa.select(Poll).where(Poll.briefing_id == briefing.id).order_by(Poll.id)
    if viewer.role not in POLL_MANAGERS + (Role.LEADER,):
        statement = statement.where(Poll.status != PollStatus.DRAFT)
    return list(db.session.scalars(statement))


def _current_status(poll: Poll) -> PollStatus:
    """Read the poll's status again, after this transaction took the briefing's seq (so after any close)."""
    status: PollStatus = db.session.execute(sa.select(Poll.status).where(Poll.id == poll.id)).scalar_one()
    return status


def _lock_draft(poll: Poll, refusal: str) -> None:
    """Read the poll again under a row lock and refuse unless it is still a draft.

    Editing, deleting and opening a draft all lock its row first (SQLite: the write lock BEGIN IMMEDIATE took), so
    an edit racing an opening either lands before it (the poll opens with the edited text) or finds it open (409).
    """
    db.session.refresh(poll, with_for_update=True)
    if poll.status != PollStatus.DRAFT:
        raise Conflict(refusal)


def opening_refusal(briefing: Briefing) -> str | None:
    """Return why a draft poll of this briefing cannot be opened now (its briefing is not live), or None."""
    if briefing.status == BriefingStatus.LIVE:
        return None
    if briefing.status == BriefingStatus.SCHEDULED:
        return str(_("Buổi giao ban chưa bắt đầu: chỉ mở được thăm dò khi buổi giao ban đang diễn ra."))
    return str(_("Buổi giao ban đã kết thúc hoặc đã hủy: không mở được thăm dò ý kiến nữa."))


def open_poll(poll: Poll, actor: User) -> dict[str, Any]:
    """Open a draft poll of a live briefing for answers; log and return the "opened" event. The caller commits."""
    _require_manager(actor)
    seq = log.take_seqs(poll.briefing_id, 1)
    _lock_draft(poll, _("Chỉ mở được câu hỏi thăm dò còn ở dạng nháp."))
    if refusal := opening_refusal(get_briefing(poll.briefing_id)):
        raise Conflict(refusal)
    poll.status = PollStatus.OPEN
    poll.opened_at = utcnow()
    audit.record("poll.open", actor, target=f"briefing:{poll.briefing_id}", poll_id=poll.id)
    return _status_event(poll, seq, "opened")


def _status_event(poll: Poll, seq: int, action: str) -> dict[str, Any]:
    """Log and return the event telling that a poll opened or closed, with its results then."""
    data = {
        "briefing_id": poll.briefing_id,
        "poll_id": poll.id,
        "action": action,
        "poll": poll_dict(poll, with_results=True),
    }
    return log.append_events(poll.briefing_id, [(seq, EVENT_TYPE, data)])[0]


def close_poll(poll: Poll, actor: User) -> dict[str, Any]:
    """Close an open poll for good; log and return the "closed" event with the final results. The caller commits."""
    _require_manager(actor)
    seq = log.take_seqs(poll.briefing_id, 1)
    if _current_status(poll) != PollStatus.OPEN:
        raise Conflict(_("Chỉ đóng được câu hỏi thăm dò đang mở."))
    poll.status = PollStatus.CLOSED
    poll.closed_at = utcnow()
    audit.record("poll.close", actor, target=f"briefing:{poll.briefing_id}", poll_id=poll.id)
    return _status_event(poll, seq, "closed")


def draft_of(poll: Poll) -> PollDraft:
    """Return a poll's text and settings as a draft, for an edit that changes some of them."""
    return PollDraft(
        poll.question,
        list(poll.options),
        poll.kind,
        poll.multiple,
        allow_other=poll.allow_other,
        allow_self_answer=poll.allow_self_answer,
    )


def update_poll(poll: Poll, draft: PollDraft, actor: User) -> Poll:
    """Rewrite a draft poll (question, options, its settings and ballot kind) with create_poll's rules. The caller
    commits."""
    _require_manager(actor)
    question, options = clean_poll_text(draft.question, draft.options)
    _lock_draft(poll, _("Câu hỏi thăm dò đã mở hoặc đã đóng: không sửa được nữa."))
    poll.question = question
    poll.options = options
    poll.multiple = draft.multiple
    poll.kind = draft.kind
    poll.allow_other = draft.allow_other
    poll.allow_self_answer = _allows_self_answer(draft)
    audit.record("poll.update", actor, target=f"briefing:{poll.briefing_id}", poll_id=poll.id, question=question)
    return poll


def delete_poll(poll: Poll, actor: User) -> None:
    """Delete a draft poll (an opened one is part of the briefing's record and stays). The caller commits."""
    _require_manager(actor)
    _lock_draft(poll, _("Câu hỏi thăm dò đã mở hoặc đã đóng: không xóa được."))
    audit.record("poll.delete", actor, target=f"briefing:{poll.briefing_id}", poll_id=poll.id, question=poll.question)
    db.session.delete(poll)
    db.session.flush()


# Answers


@dataclass(frozen=True)
class AnswerRequest:
    """An answer and who sends it, as plain values (the roll-call's writer writes it in another session).
    recorder None: the person's own answer from the endpoint's QR page, which confirmed who they are."""

    poll_id: int
    answer: Answer
    recorder: Recorder | None


def answer_poll(poll_id: int, answer: Answer, actor: User) -> WriteResult:
    """Record one answer to an open poll; idempotent by client_op_id. The caller commits (and rolls back a refusal).

    named: the person's choices replace their earlier ones. secret: a person answers once. endpoint: the endpoint's
    counts replace its earlier ones. Each accepted answer takes the briefing's next seq and logs a "poll" event with
    the endpoint's tally (and, for a named poll only, who chose what).
    """
    if actor.role not in ANSWER_RECORDERS:
        raise AccessDenied(_("Bạn không có quyền ghi câu trả lời thăm dò ý kiến."))
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        raise NotFound(_("Không tìm thấy câu hỏi thăm dò."))
    briefing = get_briefing(poll.briefing_id, actor)
    outcome = answer_polls(briefing, [AnswerRequest(poll_id, answer, Recorder.of(actor))])[0]
    if isinstance(outcome, ServiceError):
        raise outcome
    return outcome


def answer_poll_self(
    poll: Poll, briefing: Briefing, endpoint_id: int, person_id: int, choices: list[int], other_text: str | None
) -> dict[str, Any]:
    """Record a cell secretary's own answer (the QR page confirmed who they are); return the result. The caller
    commits. Refused when the poll does not allow self-answers, is an endpoint poll, or the operator answered."""
    if poll.briefing_id != briefing.id or poll.status == PollStatus.DRAFT:
        raise NotFound(_("Không tìm thấy câu hỏi thăm dò."))
    if not poll.allow_self_answer or poll.kind == PollKind.ENDPOINT:
        raise Conflict(_("Câu hỏi này không cho tự trả lời. Vui lòng trả lời với cán bộ điểm cầu."))
    answer = Answer("", tuple(choices), None, person_id, endpoint_id, other_text)
    outcome = answer_polls(briefing, [AnswerRequest(poll.id, answer, None)])[0]
    if isinstance(outcome, ServiceError):
        raise outcome
    return outcome.result


def answer_polls(briefing: Briefing, requests: list[AnswerRequest]) -> list[WriteResult | ServiceError]:
    """Record a batch of answers to one briefing's polls, each as answer_poll would; return each one's outcome in
    order. The caller commits.

    As with the roll-call's check-ins (attendance.services.record_check_ins), the batch costs a fixed number of
    statements whatever its size: claims, what the checks read, one seq range, one write per table, the endpoints'
    tallies, the events, the stored results. A refused answer refuses only itself and gives back its claim.
    """
    outcomes: list[WriteResult | ServiceError | None] = [None] * len(requests)
    for index, request in enumerate(requests):
        if request.recorder is None:
            continue
        if request.recorder.role not in ANSWER_RECORDERS:
            outcomes[index] = AccessDenied(_("Bạn không có quyền ghi câu trả lời thăm dò ý kiến."))
        elif not log.valid_client_op_id(request.answer.client_op_id):
            outcomes[index] = ValidationFailed(
                _("Mã thao tác (client_op_id) phải dài 8-64 ký tự: chữ, số, dấu - _ . :"),
                details={"client_op_id": _("Không hợp lệ.")},
            )
    first_of: dict[tuple[int, str], int] = {}  # each operation's first request in the batch; later ones replay it
    repeats: dict[int, int] = {}
    for index, request in enumerate(requests):
        if outcomes[index] is None and (key := _operation_key(request)) is not None:
            if key in first_of:
                repeats[index] = first_of[key]
            else:
                first_of[key] = index

    # Claim first: a replay is answered before the checks below, as the original result stands whatever changed.
    claims = log.claim_operations(list(first_of), OPERATION_KIND)
    unclaimed = [key for key in first_of if key not in claims]
    previous = log.previous_results(unclaimed)
    for key in unclaimed:
        index, replay = first_of[key], previous.get(key)
        if replay is None:
            outcomes[index] = TryAgain(_("Thao tác này đang được xử lý, vui lòng gửi lại sau."))
        elif replay.get("action") != "answered" or replay.get("poll_id") != requests[index].poll_id:
            # The id went with another operation (a check-in, an issue, an answer to another poll).
            outcomes[index] = Conflict(_("Mã thao tác (client_op_id) này đã được dùng cho một thao tác khác."))
        else:
            outcomes[index] = WriteResult(replay, replayed=True)

    candidates = [index for index in range(len(requests)) if outcomes[index] is None and index not in repeats]
    if candidates:
        # Enter the briefing's write gate first: the polls' status and the roll-call read below are then current
        # (a close or a check-in of another transaction comes before or after the whole batch).
        log.take_seqs(briefing.id, 0)
        checks = _AnswerChecks(briefing, [requests[index] for index in candidates])
        planned: list[tuple[int, _PlannedAnswer]] = []
        for index in candidates:
            try:
                planned.append((index, checks.plan(requests[index])))
            except ServiceError as error:
                outcomes[index] = error
        refused = [_operation_key(requests[index]) for index in candidates if outcomes[index] is not None]
        log.release_operations([claims[key] for key in refused if key is not None])
        if planned:
            results = _write_answers(briefing, [plan for _index, plan in planned])
            stored: dict[int, dict[str, Any]] = {}
            for (index, _plan), result in zip(planned, results, strict=True):
                outcomes[index] = WriteResult(result, replayed=False)
                if (key := _operation_key(requests[index])) is not None:
                    stored[claims[key]] = result
            log.finish_operations(stored)
    for index, first in repeats.items():
        original = outcomes[first]
        outcomes[index] = WriteResult(original.result, replayed=True) if isinstance(original, WriteResult) else original
    return [outcome for outcome in outcomes if outcome is not None]


def _operation_key(request: AnswerRequest) -> tuple[int, str] | None:
    """The (user, client_op_id) an answer is claimed under; None for a self-answer (the QR page keeps none)."""
    return None if request.recorder is None else (request.recorder.user_id, request.answer.client_op_id)


@dataclass(frozen=True)
class _PlannedAnswer:
    """An answer that passed its checks, as it is about to be written."""

    poll: Poll
    endpoint_id: int
    source: AnswerSource
    recorder_id: int | None
    person_id: int | None = None
    choices: tuple[int, ...] = ()
    counts: tuple[int, ...] = ()
    answered: int = 0
    other_text: str | None = None


class _AnswerChecks:
    """What a batch's checks need, read in a few queries for the whole batch, and the checks of one answer."""

    def __init__(self, briefing: Briefing, requests: list[AnswerRequest]) -> None:
        self.briefing = briefing
        poll_ids = {request.poll_id for request in requests}
        self.polls = {
            poll.id: poll
            for poll in db.session.scalars(
                sa.select(Poll).where(Poll.id.in_(poll_ids)).execution_options(populate_existing=True)
            )
        }
        person_ids = {request.answer.person_id for request in requests if request.answer.person_id is not None}
        self.records: dict[int, tuple[int, AttendanceStatus]] = {}
        if person_ids:
            rows = db.session.execute(
                sa.select(AttendanceRecord.person_id, AttendanceRecord.endpoint_id, AttendanceRecord.status).where(
                    AttendanceRecord.briefing_id == briefing.id, AttendanceRecord.person_id.in_(person_ids)
                )
            )
            self.records = {person_id: (endpoint_id, status) for person_id, endpoint_id, status in rows}
        counted = [request for request in requests if self._kind(request) == PollKind.ENDPOINT]
        endpoint_ids = {
            endpoint_id
            for endpoint_id in [request.recorder.endpoint_id for request in requests if request.recorder is not None]
            + [request.answer.endpoint_id for request in counted]
            if endpoint_id is not None
        }
        self.invited = set(
            db.session.scalars(
                sa.select(briefing_endpoints.c.endpoint_id).where(
                    briefing_endpoints.c.briefing_id == briefing.id,
                    briefing_endpoints.c.endpoint_id.in_(endpoint_ids),
                )
            )
        )
        self.eligible = eligible_by_endpoint(briefing.id, endpoint_ids) if counted else {}

        # Who answered before: for a secret poll, anyone (once each); for a named one, only a self-answer needs to
        # know (the operator's entry wins), so an operators' batch of named answers reads neither table.
        def pairs_of(kind: PollKind, *, self_only: bool) -> set[tuple[int, int]]:
            return {
                (request.poll_id, request.answer.person_id)
                for request in requests
                if request.answer.person_id is not None
                and self._kind(request) == kind
                and (request.recorder is None or not self_only)
            }

        self.answered_before: dict[tuple[int, int], AnswerSource] = {}
        for model, pairs in (
            (PollParticipant, pairs_of(PollKind.SECRET, self_only=False)),
            (PollBallot, pairs_of(PollKind.NAMED, self_only=True)),
        ):
            if pairs:
                sources = db.session.execute(
                    sa.select(model.poll_id, model.person_id, model.source).where(
                        sa.tuple_(model.poll_id, model.person_id).in_(pairs)
                    )
                )
                self.answered_before.update({(poll_id, person_id): source for poll_id, person_id, source in sources})

    def _kind(self, request: AnswerRequest) -> PollKind | None:
        poll = self.polls.get(request.poll_id)
        return None if poll is None else poll.kind

    def plan(self, request: AnswerRequest) -> _PlannedAnswer:
        """Check one answer against the batch's reads (and the answers planned before it); return what to write."""
        poll = self.polls.get(request.poll_id)
        if poll is None or poll.briefing_id != self.briefing.id:
            raise NotFound(_("Không tìm thấy câu hỏi thăm dò."))
        recorder = request.recorder
        if recorder is not None and recorder.role == Role.OPERATOR and recorder.endpoint_id not in self.invited:
            raise AccessDenied(_("Điểm cầu của bạn không được mời dự buổi giao ban này."))
        if poll.status != PollStatus.OPEN:
            raise Conflict(_("Câu hỏi thăm dò chưa mở hoặc đã đóng: không nhận thêm câu trả lời."))
        if self.briefing.status != BriefingStatus.LIVE:
            raise Conflict(_("Buổi giao ban chưa mở hoặc đã kết thúc: không nhận câu trả lời."))
        if poll.kind == PollKind.ENDPOINT and recorder is not None:
            return self._plan_counts(poll, request.answer, recorder)
        return self._plan_choices(poll, request.answer, recorder)

    def _plan_choices(self, poll: Poll, answer: Answer, recorder: Recorder | None) -> _PlannedAnswer:
        choices = _check_choices(poll, answer)
        other_text = _clean_other_text(poll, answer, chose_other=len(poll.options) in choices)
        if answer.person_id is None:
            raise ValidationFailed(_("Hãy chọn người trả lời."), details={"person_id": _("Bắt buộc.")})
        record = self.records.get(answer.person_id)
        if record is None or record[1] not in _ELIGIBLE:
            if recorder is None:
                raise Conflict(
                    _("Đồng chí chưa được điểm danh có mặt: hãy tự điểm danh trước, hoặc báo cán bộ điểm cầu.")
                )
            raise Conflict(_("Người này chưa được điểm danh có mặt hoặc đến muộn: chưa thể trả lời."))
        endpoint_id = record[0]
        _require_endpoint_of(recorder, endpoint_id)
        if answer.endpoint_id is not None and answer.endpoint_id != endpoint_id:
            raise ValidationFailed(
                _("Người này thuộc điểm cầu khác."), details={"endpoint_id": _("Không khớp với người trả lời.")}
            )
        source = AnswerSource.OPERATOR if recorder is not None else AnswerSource.SELF
        before = self.answered_before.get((poll.id, answer.person_id))
        if poll.kind == PollKind.SECRET and before is not None:
            if source == AnswerSource.SELF:
                raise Conflict(_("Đồng chí đã trả lời câu hỏi bỏ phiếu kín này; phiếu kín không sửa được."))
            if before == AnswerSource.SELF:
                raise Conflict(_("Người này đã tự bỏ phiếu kín từ điện thoại; phiếu kín không sửa được."))
            raise Conflict(_("Bỏ phiếu kín: mỗi người chỉ trả lời một lần, câu trả lời đã ghi không sửa được."))
        if source == AnswerSource.SELF and before == AnswerSource.OPERATOR:
            raise Conflict(
                _("Cán bộ điểm cầu đã ghi câu trả lời của đồng chí. Nếu cần sửa, vui lòng báo cán bộ điểm cầu.")
            )
        if poll.kind == PollKind.SECRET or before != AnswerSource.OPERATOR:
            self.answered_before[(poll.id, answer.person_id)] = source  # for the batch's later answers
        return _PlannedAnswer(
            poll,
            endpoint_id,
            source,
            recorder.user_id if recorder is not None else None,
            person_id=answer.person_id,
            choices=tuple(choices),
            other_text=other_text,
        )

    def _plan_counts(self, poll: Poll, answer: Answer, recorder: Recorder) -> _PlannedAnswer:
        if answer.person_id is not None or answer.choices:
            raise ValidationFailed(
                _("Câu hỏi này ghi số lượng theo điểm cầu: không chọn người hay phương án."),
                details={"person_id": _("Không dùng."), "choices": _("Không dùng.")},
            )
        endpoint_id = answer.endpoint_id if answer.endpoint_id is not None else recorder.endpoint_id
        if endpoint_id is None:
            raise ValidationFailed(_("Hãy chọn điểm cầu."), details={"endpoint_id": _("Bắt buộc.")})
        _require_endpoint_of(recorder, endpoint_id)
        if endpoint_id not in self.invited:
            raise Conflict(_("Điểm cầu này không được mời dự buổi giao ban."))
        counts = list(answer.counts or ())
        if len(counts) != option_count(poll):
            raise ValidationFailed(
                _("Cần nhập số lượng cho từng phương án."), details={"counts": _("Số phần tử phải bằng số phương án.")}
            )
        if any(count < 0 for count in counts):
            raise ValidationFailed(_("Số lượng không được âm."), details={"counts": _("Không hợp lệ.")})
        other_text = _clean_other_text(poll, answer, chose_other=poll.allow_other and counts[-1] > 0)
        answered = max(counts) if poll.multiple else sum(counts)
        eligible = self.eligible.get(endpoint_id, 0)
        if answered > eligible:
            raise Conflict(
                _(
                    "Số người trả lời (%(answered)d) vượt số người có mặt hoặc đến muộn tại điểm cầu (%(eligible)d).",
                    answered=answered,
                    eligible=eligible,
                )
            )
        return _PlannedAnswer(
            poll,
            endpoint_id,
            AnswerSource.OPERATOR,
            recorder.user_id,
            counts=tuple(counts),
            answered=answered,
            other_text=other_text,
        )


def _write_answers(briefing: Briefing, plans: list[_PlannedAnswer]) -> list[dict[str, Any]]:
    """Write checked answers with one seq each, one statement per table; log their events; return their results.

    Several answers of one person (or one endpoint's counts) in a batch: the last one stands, as if written one after
    the other. Each event carries its endpoint's tally after the whole batch: applying the latest event per endpoint
    gives the state, as always.
    """
    first_seq = log.take_seqs(briefing.id, len(plans))
    now = utcnow()
    ballots: dict[tuple[int, int], dict[str, Any]] = {}
    reports: dict[tuple[int, int], dict[str, Any]] = {}
    participants: list[dict[str, Any]] = []
    tallies: Counter[tuple[int, int, int]] = Counter()
    secret_texts: Counter[tuple[int, int, str]] = Counter()
    for offset, plan in enumerate(plans):
        poll_id, seq = plan.poll.id, first_seq + offset
        written = {
            "poll_id": poll_id,
            "endpoint_id": plan.endpoint_id,
            "other_text": plan.other_text,
            "recorded_by_id": plan.recorder_id,
            "recorded_at": now,
            "seq": seq,
        }
        if plan.poll.kind == PollKind.NAMED:
            assert plan.person_id is not None
            ballots[(poll_id, plan.person_id)] = {
                **written,
                "person_id": plan.person_id,
                "choices": list(plan.choices),
                "source": plan.source,
            }
        elif plan.poll.kind == PollKind.SECRET:
            assert plan.person_id is not None
            participants.append(
                {
                    "poll_id": poll_id,
                    "person_id": plan.person_id,
                    "endpoint_id": plan.endpoint_id,
                    "source": plan.source,
                }
            )
            tallies.update((poll_id, plan.endpoint_id, index) for index in plan.choices)
            if plan.other_text is not None:
                secret_texts[(poll_id, plan.endpoint_id, plan.other_text)] += 1
        else:
            reports[(poll_id, plan.endpoint_id)] = {**written, "counts": list(plan.counts), "answered": plan.answered}
    _upsert(_BALLOTS, [_BALLOTS.c.poll_id, _BALLOTS.c.person_id], list(ballots.values()), _BALLOT_UPDATES)
    _upsert(_REPORTS, [_REPORTS.c.poll_id, _REPORTS.c.endpoint_id], list(reports.values()), _REPORT_UPDATES)
    if participants:
        db.session.execute(sa.insert(_PARTICIPANTS), participants)
    _add_counts(
        _TALLIES,
        [_TALLIES.c.poll_id, _TALLIES.c.endpoint_id, _TALLIES.c.option_index],
        [{"poll_id": p, "endpoint_id": e, "option_index": i, "count": n} for (p, e, i), n in tallies.items()],
    )
    _add_counts(
        _OTHER_TEXTS,
        [_OTHER_TEXTS.c.poll_id, _OTHER_TEXTS.c.endpoint_id, _OTHER_TEXTS.c.text],
        [{"poll_id": p, "endpoint_id": e, "text": t, "count": n} for (p, e, t), n in secret_texts.items()],
    )

    # The endpoints' tallies after the batch: one read per poll.
    touched: dict[int, set[int]] = defaultdict(set)
    for plan in plans:
        touched[plan.poll.id].add(plan.endpoint_id)
    polls = {plan.poll.id: plan.poll for plan in plans}
    after = {poll_id: _tallies(polls[poll_id], sorted(endpoints)) for poll_id, endpoints in touched.items()}
    results: list[dict[str, Any]] = []
    events: list[tuple[int, str, dict[str, Any]]] = []
    for offset, plan in enumerate(plans):
        poll = plan.poll
        width = option_count(poll)
        tally = after[poll.id].get(plan.endpoint_id, {"answered": 0, "counts": [0] * width})
        data: dict[str, Any] = {
            "briefing_id": briefing.id,
            "poll_id": poll.id,
            "action": "answered",
            "endpoint_id": plan.endpoint_id,
        }
        if poll.kind == PollKind.NAMED:  # a secret answer's event and result pair nobody with a choice
            data |= {
                "person_id": plan.person_id,
                "choices": list(plan.choices),
                "other_text": plan.other_text,
                "source": plan.source.value,
            }
        data["tally"] = tally
        events.append((first_seq + offset, EVENT_TYPE, data))
        results.append({"seq": first_seq + offset, **data})
    log.append_events(briefing.id, events)
    return results


def _upsert(table: sa.Table, key: list[sa.Column[Any]], rows: list[dict[str, Any]], updates: tuple[str, ...]) -> None:
    """Insert rows, or overwrite the given columns of those already there (each key at most once in rows)."""
    if rows:
        statement = log.upsert_insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=key, set_={name: statement.excluded[name] for name in updates}
        )
        db.session.execute(statement, rows)


def _add_counts(table: sa.Table, key: list[sa.Column[Any]], rows: list[dict[str, Any]]) -> None:
    """Insert counts, or add them to those already there (each key at most once in rows)."""
    if rows:
        statement = log.upsert_insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=key, set_={"count": table.c.count + statement.excluded["count"]}
        )
        db.session.execute(statement, rows)


def option_count(poll: Poll) -> int:
    """Return how many options a poll offers: the organizer's, and "other" when allowed (the last index)."""
    return len(poll.options) + (1 if poll.allow_other else 0)


def _clean_other_text(poll: Poll, answer: Answer, chose_other: bool) -> str | None:
    """Return the "other" text to keep (None when blank); refuse it where no "other" was chosen or allowed."""
    text = (answer.other_text or "").strip()
    if not text:
        return None
    if not chose_other:
        raise ValidationFailed(
            _("Chỉ ghi ý kiến khác khi chọn phương án “Khác”."), details={"other_text": _("Không dùng.")}
        )
    if len(text) > MAX_OTHER_TEXT_LENGTH:
        raise ValidationFailed(_("Ý kiến khác quá dài."), details={"other_text": _("Tối đa 200 ký tự.")})
    if problem := text_problem(text):
        raise ValidationFailed(problem, details={"other_text": problem})
    return text


def _check_choices(poll: Poll, answer: Answer) -> list[int]:
    if answer.counts is not None:
        raise ValidationFailed(
            _("Câu hỏi này ghi câu trả lời từng người: không gửi số lượng."), details={"counts": _("Không dùng.")}
        )
    choices = sorted(set(answer.choices))
    if not choices:
        raise ValidationFailed(_("Hãy chọn một phương án."), details={"choices": _("Chưa chọn phương án nào.")})
    if len(choices) < len(answer.choices):
        raise ValidationFailed(_("Một phương án được chọn hai lần."), details={"choices": _("Có phương án trùng.")})
    if any(not 0 <= choice < option_count(poll) for choice in choices):
        raise ValidationFailed(_("Phương án không có trong câu hỏi."), details={"choices": _("Không hợp lệ.")})
    if len(choices) > 1 and not poll.multiple:
        raise ValidationFailed(
            _("Câu hỏi này chỉ được chọn một phương án."), details={"choices": _("Chỉ chọn một phương án.")}
        )
    return choices


def _require_endpoint_of(actor: User | Recorder | None, endpoint_id: int) -> None:
    if actor is not None and actor.role == Role.OPERATOR and actor.endpoint_id != endpoint_id:
        raise AccessDenied(_("Bạn chỉ được ghi câu trả lời cho điểm cầu của mình."))


_BALLOTS = cast(sa.Table, PollBallot.__table__)
_PARTICIPANTS = cast(sa.Table, PollParticipant.__table__)
_TALLIES = cast(sa.Table, PollTally.__table__)
_REPORTS = cast(sa.Table, PollEndpointReport.__table__)
_OTHER_TEXTS = cast(sa.Table, PollOtherText.__table__)
#: What a later answer overwrites: a named ballot's, an endpoint report's.
_BALLOT_UPDATES = ("endpoint_id", "choices", "other_text", "source", "recorded_by_id", "recorded_at", "seq")
_REPORT_UPDATES = ("counts", "answered", "other_text", "recorded_by_id", "recorded_at", "seq")


# Results


def eligible_by_endpoint(briefing_id: int, endpoint_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Return how many people are recorded present or late at each endpoint of the briefing."""
    statement = (
        sa.select(AttendanceRecord.endpoint_id, sa.func.count())
        .where(AttendanceRecord.briefing_id == briefing_id, AttendanceRecord.status.in_(_ELIGIBLE))
        .group_by(AttendanceRecord.endpoint_id)
    )
    if endpoint_ids is not None:
        statement = statement.where(AttendanceRecord.endpoint_id.in_(list(endpoint_ids)))
    return {endpoint_id: count for endpoint_id, count in db.session.execute(statement)}


def _tallies(poll: Poll, endpoint_ids: list[int] | None = None) -> dict[int, dict[str, Any]]:
    """Return {endpoint: {answered, counts}} for the endpoints with answers (or only those asked for)."""
    width = option_count(poll)
    found: dict[int, dict[str, Any]] = defaultdict(lambda: {"answered": 0, "counts": [0] * width})

    def where(model: Any) -> list[Any]:
        clauses = [model.poll_id == poll.id]
        if endpoint_ids is not None:
            clauses.append(model.endpoint_id.in_(endpoint_ids))
        return clauses

    if poll.kind == PollKind.NAMED:
        for endpoint_id, choices in db.session.execute(
            sa.select(PollBallot.endpoint_id, PollBallot.choices).where(*where(PollBallot))
        ):
            tally = found[endpoint_id]
            tally["answered"] += 1
            for index in choices:
                tally["counts"][index] += 1
    elif poll.kind == PollKind.SECRET:
        for endpoint_id, count in db.session.execute(
            sa.select(PollParticipant.endpoint_id, sa.func.count())
            .where(*where(PollParticipant))
            .group_by(PollParticipant.endpoint_id)
        ):
            found[endpoint_id]["answered"] = count
        for endpoint_id, index, count in db.session.execute(
            sa.select(PollTally.endpoint_id, PollTally.option_index, PollTally.count).where(*where(PollTally))
        ):
            found[endpoint_id]["counts"][index] = count
    else:
        for endpoint_id, counts, answered in db.session.execute(
            sa.select(PollEndpointReport.endpoint_id, PollEndpointReport.counts, PollEndpointReport.answered).where(
                *where(PollEndpointReport)
            )
        ):
            found[endpoint_id] = {"answered": answered, "counts": list(counts)}
    return dict(found)


def _endpoint_tally(poll: Poll, endpoint_id: int) -> dict[str, Any]:
    width = option_count(poll)
    return _tallies(poll, [endpoint_id]).get(endpoint_id, {"answered": 0, "counts": [0] * width})


def poll_results(poll: Poll) -> dict[str, Any]:
    """Return the results: per option, per endpoint (every invited one), answered and eligible (present + late)."""
    tallies = _tallies(poll)
    eligible = eligible_by_endpoint(poll.briefing_id)
    invited = set(
        db.session.scalars(
            sa.select(briefing_endpoints.c.endpoint_id).where(briefing_endpoints.c.briefing_id == poll.briefing_id)
        )
    )
    width = option_count(poll)
    by_endpoint = [
        {
            "endpoint_id": endpoint_id,
            "answered": tallies.get(endpoint_id, {}).get("answered", 0),
            "eligible": eligible.get(endpoint_id, 0),
            "counts": tallies.get(endpoint_id, {}).get("counts", [0] * width),
        }
        for endpoint_id in sorted(invited | set(tallies) | set(eligible))
    ]
    totals = [sum(row["counts"][index] for row in by_endpoint) for index in range(width)]
    return {
        "options": [
            {"index": index, "text": text, "count": totals[index], "other": index == len(poll.options)}
            for index, text in enumerate(option_texts(poll))
        ],
        "answered": sum(row["answered"] for row in by_endpoint),
        "eligible": sum(row["eligible"] for row in by_endpoint),
        "by_endpoint": by_endpoint,
        "other_texts": other_texts(poll),
    }


def option_texts(poll: Poll) -> list[str]:
    """Return the texts of the options offered, "Khác" (other) last when the poll allows it."""
    return list(poll.options) + ([_("Khác")] if poll.allow_other else [])


def other_texts(poll: Poll) -> list[dict[str, Any]]:
    """Return what was said with "other", by endpoint: {endpoint_id, text, count}, never who said it."""
    if not poll.allow_other:
        return []
    if poll.kind == PollKind.SECRET:
        rows = db.session.execute(
            sa.select(PollOtherText.endpoint_id, PollOtherText.text, PollOtherText.count).where(
                PollOtherText.poll_id == poll.id
            )
        )
    else:
        model = PollBallot if poll.kind == PollKind.NAMED else PollEndpointReport
        rows = db.session.execute(
            sa.select(model.endpoint_id, model.other_text, sa.func.count())
            .where(model.poll_id == poll.id, model.other_text.is_not(None))
            .group_by(model.endpoint_id, model.other_text)
        )
    return [
        {"endpoint_id": endpoint_id, "text": text, "count": count}
        for endpoint_id, text, count in sorted(rows, key=lambda row: (row[0], row[1]))
    ]


def poll_dict(poll: Poll, *, with_results: bool = False) -> dict[str, Any]:
    """Return a poll in the API's shape (with its results when asked)."""
    data: dict[str, Any] = {
        "id": poll.id,
        "briefing_id": poll.briefing_id,
        "question": poll.question,
        "options": list(poll.options),
        "multiple": poll.multiple,
        "allow_other": poll.allow_other,
        "allow_self_answer": poll.allow_self_answer,
        "kind": poll.kind.value,
        "status": poll.status.value,
        "created_at": iso(poll.created_at),
        "opened_at": iso(poll.opened_at),
        "closed_at": iso(poll.closed_at),
    }
    if with_results:
        data["results"] = poll_results(poll)
    return data


# What one endpoint answered (its operator's console)


def console_polls(briefing: Briefing, viewer: User) -> list[Poll]:
    """Return the polls an endpoint's console shows: those opened at this briefing (open or closed), never drafts."""
    return [poll for poll in briefing_polls(briefing, viewer) if poll.status != PollStatus.DRAFT]


def endpoint_answers(poll: Poll, endpoint_id: int) -> dict[str, Any]:
    """Return what one endpoint answered to a poll, for its console to show after a reload.

    named: the endpoint's tally and each person's choices ("other" text and who entered it too); secret: how many and
    who answered, never what (not even the endpoint's counts: with one person answered they would tell); endpoint: the
    counts its operator entered, their "other" note, and when.
    """
    tally = _endpoint_tally(poll, endpoint_id)
    if poll.kind == PollKind.NAMED:
        ballots = db.session.scalars(
            sa.select(PollBallot)
            .where(PollBallot.poll_id == poll.id, PollBallot.endpoint_id == endpoint_id)
            .order_by(PollBallot.person_id)
        )
        return {
            "tally": tally,
            "ballots": [
                {
                    "person_id": ballot.person_id,
                    "choices": list(ballot.choices),
                    "other_text": ballot.other_text,
                    "source": ballot.source.value,
                    "seq": ballot.seq,
                }
                for ballot in ballots
            ],
        }
    if poll.kind == PollKind.SECRET:
        people = db.session.scalars(
            sa.select(PollParticipant.person_id)
            .where(PollParticipant.poll_id == poll.id, PollParticipant.endpoint_id == endpoint_id)
            .order_by(PollParticipant.person_id)
        )
        return {"tally": {"answered": tally["answered"]}, "answered_people": list(people)}
    report = db.session.get(PollEndpointReport, (poll.id, endpoint_id))
    if report is None:
        return {"tally": tally, "other_text": None, "recorded_at": None}
    return {"tally": tally, "other_text": report.other_text, "recorded_at": iso(report.recorded_at)}
