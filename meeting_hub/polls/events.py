"""Socket handlers of polls on /live: thin wrappers over the polls' services, run through the same gate as
check-ins (attendance.events.handle: budgets, the caller's grant, validation, commit, error acks).

Who sends what:
- `answer` (operators, for their own endpoint; organizers and admins): `{poll_id, person_id?, endpoint_id?, choices,
  counts?, client_op_id}`; ack `{ok: true, seq, replayed, result}` or `{ok: false, error}`. The resulting "poll" event
  reaches the briefing's dashboards and the endpoint's consoles through meeting_hub.realtime.transport. With
  LIVE_GROUP_COMMIT on, answers are written in the check-in writer's batches (attendance/group_commit.py).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _

from meeting_hub.accounts.models import User
from meeting_hub.attendance import group_commit
from meeting_hub.attendance.events import Caller, handle
from meeting_hub.attendance.services import WriteResult
from meeting_hub.errors import AccessDenied
from meeting_hub.extensions import db, socketio
from meeting_hub.observability.socket_events import observed
from meeting_hub.polls import payloads, services
from meeting_hub.realtime import transport


def _answer(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    poll_id = message["poll_id"]
    answer = services.Answer.from_message(message)
    writer = group_commit.writer(current_app._get_current_object())  # type: ignore[attr-defined]
    if writer is None:
        result = services.answer_poll(poll_id, answer, caller.user())
    else:
        # Written with the roll-call's next batch, as check-ins are (one commit for the batch).
        briefing_id = services.get_poll(poll_id, caller.user()).briefing_id
        db.session.rollback()  # hold no transaction while waiting: on SQLite the writer needs the write lock
        user_id = caller.recorder.user_id

        def write() -> WriteResult:
            user = db.session.get(User, user_id)
            if user is None or not user.active:
                raise AccessDenied(_("Tài khoản không còn hoạt động."))
            return services.answer_poll(poll_id, answer, user)

        result = writer.run(briefing_id, write, caller.language)
    return {"seq": result.result["seq"], "replayed": result.replayed, "result": result.result}


@socketio.on(transport.ANSWER, namespace=transport.NAMESPACE)
@observed(transport.ANSWER)
def on_answer(data: Any = None) -> dict[str, Any]:
    """Operators (own endpoint) and organizers: record one answer to an open poll, idempotently."""
    return handle(payloads.PollAnswerMessage(), data, _answer)
