"""Socket handlers of polls on /live: thin wrappers over the polls' services, run through the same gate as
check-ins (attendance.events.handle: budgets, the caller's grant, validation, commit, error acks).

Who sends what:
- `answer` (operators, for their own endpoint; organizers and admins): `{poll_id, person_id?, endpoint_id?, choices,
  counts?, client_op_id}`; ack `{ok: true, seq, replayed, result}` or `{ok: false, error}`. The resulting "poll" event
  reaches the briefing's dashboards and the endpoint's consoles through meeting_hub.realtime.transport.
"""

from __future__ import annotations

from typing import Any

from meeting_hub.attendance.events import Caller, handle
from meeting_hub.extensions import socketio
from meeting_hub.observability.socket_events import observed
from meeting_hub.polls import payloads, services
from meeting_hub.realtime import transport


def _answer(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    result = services.answer_poll(message["poll_id"], services.Answer.from_message(message), caller.user())
    return {"seq": result.result["seq"], "replayed": result.replayed, "result": result.result}


@socketio.on(transport.ANSWER, namespace=transport.NAMESPACE)
@observed(transport.ANSWER)
def on_answer(data: Any = None) -> dict[str, Any]:
    """Operators (own endpoint) and organizers: record one answer to an open poll, idempotently."""
    return handle(payloads.PollAnswerMessage(), data, _answer)
