"""Append to a briefing's event log, read it back by seq, and make client writes idempotent.

Services append events inside their transaction; once it commits, the events go to whatever publisher the transport
registered (see meeting_hub/realtime). A rolled-back transaction publishes nothing.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, SessionTransaction

from meeting_hub.database import utcnow
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

# Tables for the Core statements that write a batch of rows at once. The INSERTs are executemany calls with
# RETURNING: SQLAlchemy then sends them as multi-row statements ("insertmanyvalues", compiled once, whatever the
# batch size), where psycopg would run one statement per row. A multi-row .values([...]) would be compiled anew for
# every batch size (about 15 ms for 200 rows).
_EVENTS_TABLE = cast(sa.Table, BriefingEvent.__table__)
_OPERATIONS_TABLE = cast(sa.Table, ClientOperation.__table__)


def add_publisher(publisher: Publisher) -> None:
    """Register a function that delivers committed events (the realtime transport does this at start-up)."""
    if publisher not in _publishers:
        _publishers.append(publisher)


def remove_publisher(publisher: Publisher) -> None:
    """Unregister a publisher."""
    if publisher in _publishers:
        _publishers.remove(publisher)


def upsert_insert(model: type[Any] | sa.Table) -> Any:
    """Return an INSERT for the session's dialect that supports ON CONFLICT (PostgreSQL and SQLite)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)


#: How long a writer waits for this process's turn to write to a briefing before it proceeds anyway.
WRITE_GATE_TIMEOUT_SECONDS = 10.0
_GATES_KEY = "meeting_hub.event_log.write_gates"
_write_gates: dict[int, threading.Lock] = {}
_write_gates_lock = threading.Lock()


def _enter_write_gate(briefing_id: int) -> None:
    """Queue this process's writers to one briefing here, before they take the briefing's seq row lock.

    Every write to a briefing's log serialises on its seq row (see take_seqs). Measured with
    bench/live.py on PostgreSQL, dozens of transactions waiting on that one row lock cost far more than the
    work they wait for (the database wakes and requeues every waiter at each commit); waiting on a process-local
    lock (a greenlet lock under gevent) leaves at most one waiter per process at the database. Released when
    the session's transaction ends, whether it commits or rolls back.
    """
    held: list[threading.Lock] = db.session.info.setdefault(_GATES_KEY, [])
    with _write_gates_lock:
        gate = _write_gates.setdefault(briefing_id, threading.Lock())
    if gate in held:
        return
    if gate.acquire(timeout=WRITE_GATE_TIMEOUT_SECONDS):  # past the timeout the row lock still keeps seqs right
        held.append(gate)


@sa_event.listens_for(Session, "after_transaction_end")
def _leave_write_gates(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for gate in session.info.pop(_GATES_KEY, ()):
            gate.release()


def take_seqs(briefing_id: int, count: int) -> int:
    """Hand out the briefing's next `count` seqs and return the first; they run up to first + count - 1.

    One upsert creates the counter row or advances it. Either way it locks the row until the transaction ends
    (ON CONFLICT DO UPDATE locks like an UPDATE), so concurrent writers to the same briefing queue up here (PostgreSQL
    row lock; SQLite's write lock) and seqs are gap-free and in commit order. A batch of writes takes its whole range
    in one statement, so the time the row stays locked is paid per batch, not per write.
    """
    _enter_write_gate(briefing_id)
    last: int = db.session.execute(
        upsert_insert(BriefingSequence)
        .values(briefing_id=briefing_id, last_seq=count)
        .on_conflict_do_update(
            index_elements=[BriefingSequence.briefing_id], set_={"last_seq": BriefingSequence.last_seq + count}
        )
        .returning(BriefingSequence.last_seq)
    ).scalar_one()
    return last - count + 1


def append_event(briefing_id: int, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Log an event with the briefing's next seq; it is published when the transaction commits."""
    return append_events(briefing_id, [(take_seqs(briefing_id, 1), event_type, data)])[0]


def append_events(briefing_id: int, events: list[tuple[int, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Log (seq, type, data) events under seqs already taken in this transaction, in one INSERT; return them as sent.

    Core, not ORM objects: nothing reads these rows back in the transaction, and a roll-call writes many of them.
    Pass at least one event.
    """
    logged = [{"seq": seq, "type": event_type, **data} for seq, event_type, data in events]
    now = utcnow()
    db.session.execute(
        sa.insert(_EVENTS_TABLE).returning(_EVENTS_TABLE.c.id),
        [
            {
                "briefing_id": briefing_id,
                "seq": event["seq"],
                "type": event["type"],
                "payload": json.dumps(event, ensure_ascii=False, default=str),
                "created_at": now,
            }
            for event in logged
        ],
    )
    db.session.info.setdefault(_PENDING_KEY, []).extend((briefing_id, event) for event in logged)
    return logged


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


def claim_operation(user_id: int, client_op_id: str, kind: str) -> int | None:
    """Claim one operation (see claim_operations); return its claim id, or None when it was claimed before."""
    return claim_operations([(user_id, client_op_id)], kind).get((user_id, client_op_id))


def previous_result(user_id: int, client_op_id: str) -> dict[str, Any] | None:
    """Return the stored result of an operation claimed before, if it completed."""
    return previous_results([(user_id, client_op_id)]).get((user_id, client_op_id))


def previous_results(keys: list[tuple[int, str]]) -> dict[tuple[int, str], dict[str, Any]]:
    """Return the stored results of (user id, client_op_id) operations claimed before, those that completed."""
    if not keys:
        return {}
    rows = db.session.execute(
        sa.select(ClientOperation.user_id, ClientOperation.client_op_id, ClientOperation.result).where(
            sa.tuple_(ClientOperation.user_id, ClientOperation.client_op_id).in_(keys)
        )
    )
    return {(user_id, client_op_id): json.loads(stored) for user_id, client_op_id, stored in rows if stored}


def claim_operations(keys: list[tuple[int, str]], kind: str) -> dict[tuple[int, str], int]:
    """Claim many (user id, client_op_id) operations in one INSERT; return the claim id of each one claimed now.

    Keys claimed before (or by a concurrent transaction that has since committed) are missing from the answer: their
    callers replay the previous result. Pass each key once.
    """
    if not keys:
        return {}
    now = utcnow()
    rows = db.session.execute(
        upsert_insert(_OPERATIONS_TABLE)
        .on_conflict_do_nothing()
        .returning(_OPERATIONS_TABLE.c.id, _OPERATIONS_TABLE.c.user_id, _OPERATIONS_TABLE.c.client_op_id),
        [
            {"user_id": user_id, "client_op_id": client_op_id, "kind": kind, "result": "", "created_at": now}
            for user_id, client_op_id in keys
        ],
    )
    return {(user_id, client_op_id): claim_id for claim_id, user_id, client_op_id in rows}


def finish_operations(results: dict[int, dict[str, Any]]) -> None:
    """Store the results of operations claimed with claim_operations (by claim id), so replays return exactly them."""
    if results:
        db.session.execute(
            sa.update(_OPERATIONS_TABLE)
            .where(_OPERATIONS_TABLE.c.id == sa.bindparam("claim_id"))
            .values(result=sa.bindparam("stored_result")),
            [
                {"claim_id": claim_id, "stored_result": json.dumps(result, ensure_ascii=False, default=str)}
                for claim_id, result in results.items()
            ],
        )


def release_operations(claim_ids: list[int]) -> None:
    """Drop claims whose operations were refused: the same client_op_id may then be tried again."""
    if claim_ids:
        db.session.execute(sa.delete(_OPERATIONS_TABLE).where(_OPERATIONS_TABLE.c.id.in_(claim_ids)))


def finish_operation(claim_id: int, result: dict[str, Any]) -> None:
    """Store one claimed operation's result (see finish_operations)."""
    finish_operations({claim_id: result})


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
