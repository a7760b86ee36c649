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

from meeting_hub.attendance import group_commit
from meeting_hub.attendance.events import Caller, handle
from meeting_hub.extensions import db, socketio
from meeting_hub.observability.socket_events import observed
from meeting_hub.polls import payloads, services
from meeting_hub.realtime import transport

# Socket answers are written with their briefing's roll-call batches, all of a batch's answers at once.
group_commit.register_batch_write(services.OPERATION_KIND, services.answer_polls)


def _answer(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    poll_id = message["poll_id"]
    answer = services.Answer.from_message(message)
    writer = group_commit.writer(current_app._get_current_object())  # type: ignore[attr-defined]
    if writer is None:
        result = services.answer_poll(poll_id, answer, caller.user())
    else:
        # Written with the roll-call's next batch, as check-ins are (one commit for the batch).
        briefing_id = services.poll_briefing_id(poll_id)
        db.session.rollback()  # hold no transaction while waiting: on SQLite the writer needs the write lock
        request = services.AnswerRequest(poll_id, answer, caller.recorder)
        result = writer.run(briefing_id, services.OPERATION_KIND, request, caller.language)
    return {"seq": result.result["seq"], "replayed": result.replayed, "result": result.result}


@socketio.on(transport.ANSWER, namespace=transport.NAMESPACE)
@observed(transport.ANSWER)
def on_answer(data: Any = None) -> dict[str, Any]:
    """Operators (own endpoint) and organizers: record one answer to an open poll, idempotently."""
    return handle(payloads.PollAnswerMessage(), data, _answer)
