"""Append to a briefing's event log, read it back by seq, and make client writes idempotent.

Services append events inside their transaction; once it commits, the events go to whatever publisher the transport
registered (see meeting_hub/realtime). A rolled-back transaction publishes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from meeting_hub.event_log.models import BriefingEvent, BriefingSequence, ClientOperation
from meeting_hub.extensions import db

#: What a publisher receives after a commit: (briefing id, event) pairs, in seq order.
Publisher = Callable[[list[tuple[int, dict[str, Any]]]], None]
_PENDING_KEY = "meeting_hub.pending_events"
_publishers: list[Publisher] = []

#: What a client_op_id looks like: the client generates it (a UUID fits) and it is unique per user.
CLIENT_OP_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")

#: A reconnecting client gets the missed events when there are at most this many; otherwise a fresh snapshot.
MAX_REPLAY_EVENTS = 500


def add_publisher(publisher: Publisher) -> None:
    """Register a function that delivers committed events (the realtime transport does this at start-up)."""
    if publisher not in _publishers:
        _publishers.append(publisher)


def remove_publisher(publisher: Publisher) -> None:
    """Unregister a publisher."""
    if publisher in _publishers:
        _publishers.remove(publisher)


def upsert_insert(model: type[Any]) -> Any:
    """Return an INSERT for the session's dialect that supports ON CONFLICT (PostgreSQL and SQLite)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)


def next_seq(briefing_id: int) -> int:
    """Hand out the briefing's next seq.

    One upsert creates the counter row at 1 or increments it. Either way it locks the row until the transaction ends
    (ON CONFLICT DO UPDATE locks like an UPDATE), so concurrent writers to the same briefing queue up here (PostgreSQL
    row lock; SQLite's write lock) and seqs are gap-free and in commit order.
    """
    seq: int = db.session.execute(
        upsert_insert(BriefingSequence)
        .values(briefing_id=briefing_id, last_seq=1)
        .on_conflict_do_update(
            index_elements=[BriefingSequence.briefing_id], set_={"last_seq": BriefingSequence.last_seq + 1}
        )
        .returning(BriefingSequence.last_seq)
    ).scalar_one()
    return seq


def append_event(briefing_id: int, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Log an event with the briefing's next seq; it is published when the transaction commits."""
    return append_event_with_seq(briefing_id, next_seq(briefing_id), event_type, data)


def append_event_with_seq(briefing_id: int, seq: int, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Log an event under a seq already taken with next_seq() in this transaction."""
    event = {"seq": seq, "type": event_type, **data}
    db.session.add(
        BriefingEvent(
            briefing_id=briefing_id,
            seq=event["seq"],
            type=event_type,
            payload=json.dumps(event, ensure_ascii=False, default=str),
        )
    )
    db.session.info.setdefault(_PENDING_KEY, []).append((briefing_id, event))
    return event


def current_seq(briefing_id: int) -> int:
    """Return the last seq handed out for the briefing (0 before any event)."""
    seq = db.session.scalar(sa.select(BriefingSequence.last_seq).where(BriefingSequence.briefing_id == briefing_id))
    return seq or 0


def events_since(briefing_id: int, last_seq: int, limit: int = MAX_REPLAY_EVENTS) -> list[dict[str, Any]] | None:
    """Return the events after last_seq in order; None when there are too many (the client takes a snapshot)."""
    payloads = list(
        db.session.scalars(
            sa.select(BriefingEvent.payload)
            .where(BriefingEvent.briefing_id == briefing_id, BriefingEvent.seq > last_seq)
            .order_by(BriefingEvent.seq)
            .limit(limit + 1)
        )
    )
    if len(payloads) > limit:
        return None
    return [json.loads(payload) for payload in payloads]


def valid_client_op_id(client_op_id: str | None) -> bool:
    """Tell whether a client_op_id has the required form."""
    return bool(CLIENT_OP_ID_PATTERN.match(client_op_id or ""))


def claim_operation(user_id: int, client_op_id: str, kind: str) -> ClientOperation | None:
    """Claim a client operation id for this user; None when it was claimed before (the caller replays its result).

    Concurrent claims of the same id wait on the unique index; exactly one gets the row. RETURNING the entity puts
    the claimed row in the session as it is, so finish_operation needs no SELECT to load it back.
    """
    claimed: ClientOperation | None = db.session.scalars(
        upsert_insert(ClientOperation)
        .values(user_id=user_id, client_op_id=client_op_id, kind=kind, result="")
        .on_conflict_do_nothing()
        .returning(ClientOperation)
    ).one_or_none()
    return claimed


def previous_result(user_id: int, client_op_id: str) -> dict[str, Any] | None:
    """Return the stored result of an operation claimed before, if it completed."""
    stored = db.session.scalar(
        sa.select(ClientOperation.result).where(
            ClientOperation.user_id == user_id, ClientOperation.client_op_id == client_op_id
        )
    )
    if not stored:
        return None
    result: dict[str, Any] = json.loads(stored)
    return result


def finish_operation(operation: ClientOperation, result: dict[str, Any]) -> None:
    """Store an operation's result so a replay returns exactly it."""
    operation.result = json.dumps(result, ensure_ascii=False, default=str)


@sa_event.listens_for(Session, "after_commit")
def _publish_committed_events(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    for publisher in list(_publishers):
        publisher(pending)


@sa_event.listens_for(Session, "after_rollback")
def _drop_rolled_back_events(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
