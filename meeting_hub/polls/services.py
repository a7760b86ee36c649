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

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus
from meeting_hub.attendance.services import WriteResult, iso
from meeting_hub.database import utcnow
from meeting_hub.errors import AccessDenied, Conflict, NotFound, TryAgain, ValidationFailed
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
from meeting_hub.scheduling.services import get_briefing, is_invited
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


def answer_poll(poll_id: int, answer: Answer, actor: User) -> WriteResult:
    """Record one answer to an open poll; idempotent by client_op_id. The caller commits (and rolls back a refusal).

    named: the person's choices replace their earlier ones. secret: a person answers once. endpoint: the endpoint's
    counts replace its earlier ones. Each accepted answer takes the briefing's next seq and logs a "poll" event with
    the endpoint's tally (and, for a named poll only, who chose what).
    """
    if actor.role not in ANSWER_RECORDERS:
        raise AccessDenied(_("Bạn không có quyền ghi câu trả lời thăm dò ý kiến."))
    if not log.valid_client_op_id(answer.client_op_id):
        raise ValidationFailed(
            _("Mã thao tác (client_op_id) phải dài 8-64 ký tự: chữ, số, dấu - _ . :"),
            details={"client_op_id": _("Không hợp lệ.")},
        )
    claim = log.claim_operation(actor.id, answer.client_op_id, OPERATION_KIND)
    if claim is None:  # seen before: the original result stands whatever changed since
        previous = log.previous_result(actor.id, answer.client_op_id)
        if previous is None:
            raise TryAgain(_("Thao tác này đang được xử lý, vui lòng gửi lại sau."))
        if previous.get("action") != "answered" or previous.get("poll_id") != poll_id:
            # The id went with another operation (a check-in, an issue, an answer to another poll).
            raise Conflict(_("Mã thao tác (client_op_id) này đã được dùng cho một thao tác khác."))
        return WriteResult(previous, replayed=True)
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        raise NotFound(_("Không tìm thấy câu hỏi thăm dò."))
    result = _write_answer(poll, get_briefing(poll.briefing_id, actor), answer, actor)
    log.finish_operation(claim, result)
    return WriteResult(result, replayed=False)


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
    return _write_answer(poll, briefing, answer, None)


def _write_answer(poll: Poll, briefing: Briefing, answer: Answer, actor: User | None) -> dict[str, Any]:
    """Take the briefing's next seq, write the answer (actor None: the person's own) and log its event."""
    seq = log.take_seqs(briefing.id, 1)  # from here this briefing's writers queue behind us: what we read is current
    if _current_status(poll) != PollStatus.OPEN:
        raise Conflict(_("Câu hỏi thăm dò chưa mở hoặc đã đóng: không nhận thêm câu trả lời."))
    if briefing.status != BriefingStatus.LIVE:
        raise Conflict(_("Buổi giao ban chưa mở hoặc đã kết thúc: không nhận câu trả lời."))
    if poll.kind == PollKind.ENDPOINT and actor is not None:
        result, event = _record_counts(poll, answer, actor, seq)
    else:
        result, event = _record_choices(poll, answer, actor, seq)
    log.append_events(briefing.id, [(seq, EVENT_TYPE, event)])
    return result


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


def _require_endpoint_of(actor: User | None, endpoint_id: int) -> None:
    if actor is not None and actor.role == Role.OPERATOR and actor.endpoint_id != endpoint_id:
        raise AccessDenied(_("Bạn chỉ được ghi câu trả lời cho điểm cầu của mình."))


def _record_choices(poll: Poll, answer: Answer, actor: User | None, seq: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Record a person's answer to a named or secret poll (actor None: their own); return the result and event."""
    choices = _check_choices(poll, answer)
    other_text = _clean_other_text(poll, answer, chose_other=len(poll.options) in choices)
    source = AnswerSource.OPERATOR if actor is not None else AnswerSource.SELF
    if answer.person_id is None:
        raise ValidationFailed(_("Hãy chọn người trả lời."), details={"person_id": _("Bắt buộc.")})
    record = db.session.scalar(
        sa.select(AttendanceRecord).where(
            AttendanceRecord.briefing_id == poll.briefing_id, AttendanceRecord.person_id == answer.person_id
        )
    )
    if record is None or record.status not in _ELIGIBLE:
        if actor is None:
            raise Conflict(_("Đồng chí chưa được điểm danh có mặt: hãy tự điểm danh trước, hoặc báo cán bộ điểm cầu."))
        raise Conflict(_("Người này chưa được điểm danh có mặt hoặc đến muộn: chưa thể trả lời."))
    endpoint_id = record.endpoint_id
    _require_endpoint_of(actor, endpoint_id)
    if answer.endpoint_id is not None and answer.endpoint_id != endpoint_id:
        raise ValidationFailed(
            _("Người này thuộc điểm cầu khác."), details={"endpoint_id": _("Không khớp với người trả lời.")}
        )
    base = {"briefing_id": poll.briefing_id, "poll_id": poll.id, "action": "answered", "endpoint_id": endpoint_id}
    if poll.kind == PollKind.SECRET:
        _record_secret(poll, answer.person_id, endpoint_id, choices, other_text, source)
        tally = _endpoint_tally(poll, endpoint_id)
        return {"seq": seq, **base, "tally": tally}, {**base, "tally": tally}
    if source == AnswerSource.SELF and _ballot_source(poll, answer.person_id) == AnswerSource.OPERATOR:
        raise Conflict(_("Cán bộ điểm cầu đã ghi câu trả lời của đồng chí. Nếu cần sửa, vui lòng báo cán bộ điểm cầu."))
    upsert = log.upsert_insert(_BALLOTS)
    db.session.execute(
        upsert.values(
            poll_id=poll.id,
            person_id=answer.person_id,
            endpoint_id=endpoint_id,
            choices=choices,
            other_text=other_text,
            source=source,
            recorded_by_id=actor.id if actor is not None else None,
            recorded_at=utcnow(),
            seq=seq,
        ).on_conflict_do_update(
            index_elements=[_BALLOTS.c.poll_id, _BALLOTS.c.person_id],
            set_={name: upsert.excluded[name] for name in _BALLOT_UPDATES},
        )
    )
    tally = _endpoint_tally(poll, endpoint_id)
    named = {
        **base,
        "person_id": answer.person_id,
        "choices": choices,
        "other_text": other_text,
        "source": source.value,
        "tally": tally,
    }
    return {"seq": seq, **named}, named


def _ballot_source(poll: Poll, person_id: int) -> AnswerSource | None:
    return db.session.scalar(
        sa.select(PollBallot.source).where(PollBallot.poll_id == poll.id, PollBallot.person_id == person_id)
    )


def _record_secret(
    poll: Poll, person_id: int, endpoint_id: int, choices: list[int], other_text: str | None, source: AnswerSource
) -> None:
    """Note that the person answered, and add their choices (and "other" text) to the endpoint's anonymous tally:
    writes that share nothing but the endpoint."""
    answered_before = db.session.scalar(
        sa.select(PollParticipant.source).where(
            PollParticipant.poll_id == poll.id, PollParticipant.person_id == person_id
        )
    )
    if answered_before is not None:
        if source == AnswerSource.SELF:
            raise Conflict(_("Đồng chí đã trả lời câu hỏi bỏ phiếu kín này; phiếu kín không sửa được."))
        if answered_before == AnswerSource.SELF:
            raise Conflict(_("Người này đã tự bỏ phiếu kín từ điện thoại; phiếu kín không sửa được."))
        raise Conflict(_("Bỏ phiếu kín: mỗi người chỉ trả lời một lần, câu trả lời đã ghi không sửa được."))
    db.session.execute(
        sa.insert(_PARTICIPANTS).values(poll_id=poll.id, person_id=person_id, endpoint_id=endpoint_id, source=source)
    )
    upsert = log.upsert_insert(_TALLIES)
    db.session.execute(
        upsert.on_conflict_do_update(
            index_elements=[_TALLIES.c.poll_id, _TALLIES.c.endpoint_id, _TALLIES.c.option_index],
            set_={"count": _TALLIES.c.count + 1},
        ),
        [{"poll_id": poll.id, "endpoint_id": endpoint_id, "option_index": index, "count": 1} for index in choices],
    )
    if other_text is not None:
        upsert = log.upsert_insert(_OTHER_TEXTS)
        db.session.execute(
            upsert.values(poll_id=poll.id, endpoint_id=endpoint_id, text=other_text, count=1).on_conflict_do_update(
                index_elements=[_OTHER_TEXTS.c.poll_id, _OTHER_TEXTS.c.endpoint_id, _OTHER_TEXTS.c.text],
                set_={"count": _OTHER_TEXTS.c.count + 1},
            )
        )


def _record_counts(poll: Poll, answer: Answer, actor: User, seq: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Record an endpoint's counts for an endpoint poll (replacing its earlier ones); return the result and event."""
    if answer.person_id is not None or answer.choices:
        raise ValidationFailed(
            _("Câu hỏi này ghi số lượng theo điểm cầu: không chọn người hay phương án."),
            details={"person_id": _("Không dùng."), "choices": _("Không dùng.")},
        )
    endpoint_id = answer.endpoint_id if answer.endpoint_id is not None else actor.endpoint_id
    if endpoint_id is None:
        raise ValidationFailed(_("Hãy chọn điểm cầu."), details={"endpoint_id": _("Bắt buộc.")})
    _require_endpoint_of(actor, endpoint_id)
    briefing = get_briefing(poll.briefing_id)
    if not is_invited(briefing, endpoint_id):
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
    eligible = eligible_by_endpoint(poll.briefing_id, [endpoint_id]).get(endpoint_id, 0)
    if answered > eligible:
        raise Conflict(
            _(
                "Số người trả lời (%(answered)d) vượt số người có mặt hoặc đến muộn tại điểm cầu (%(eligible)d).",
                answered=answered,
                eligible=eligible,
            )
        )
    upsert = log.upsert_insert(_REPORTS)
    db.session.execute(
        upsert.values(
            poll_id=poll.id,
            endpoint_id=endpoint_id,
            counts=counts,
            answered=answered,
            other_text=other_text,
            recorded_by_id=actor.id,
            recorded_at=utcnow(),
            seq=seq,
        ).on_conflict_do_update(
            index_elements=[_REPORTS.c.poll_id, _REPORTS.c.endpoint_id],
            set_={name: upsert.excluded[name] for name in _REPORT_UPDATES},
        )
    )
    base = {"briefing_id": poll.briefing_id, "poll_id": poll.id, "action": "answered", "endpoint_id": endpoint_id}
    tally = {"answered": answered, "counts": counts}
    return {"seq": seq, **base, "tally": tally}, {**base, "tally": tally}


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
