"""Socket handlers of the /live namespace: thin wrappers that authorise, validate, call a service and ack.

Who sends what:
- `connect`: anyone with a session cookie or `auth: {"token": ...}`; everyone else is refused, and so is everyone on
  the default namespace "/", which serves nothing. The connection keeps the grant it was opened under: it is closed
  when that ends (meeting_hub/realtime/revocation.py).
- `watch` (organizers, leaders, admins: the dashboard; operators: their own endpoint): joins the briefing's rooms and
  acks the missed events or a snapshot.
- `check_in`, `link_status`, `heartbeat` (operators of an invited endpoint, while the briefing is live; organizers may
  also check in): ack {ok, seq, ...}; the resulting events reach the rooms through meeting_hub.realtime.transport.
- any other event: acked at once with {ok: false, error: {code: "unknown_event"}}, so a client does not wait for
  its time-out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_socketio import ConnectionRefusedError, join_room  # noqa: A004 - its message reaches the client

from meeting_hub import database
from meeting_hub.accounts import audit, live_access
from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.access import current_sign_in_id, signed_in_user
from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance import group_commit, payloads, services
from meeting_hub.attendance.models import LinkStatus
from meeting_hub.attendance.snapshot import attendance_snapshot, shared_snapshots
from meeting_hub.errors import AccessDenied, AuditEntry, ServiceError
from meeting_hub.event_log import log
from meeting_hub.extensions import db, socketio
from meeting_hub.observability import logs, metrics
from meeting_hub.observability.socket_events import observed
from meeting_hub.realtime import revocation, transport
from meeting_hub.realtime.connections import Connection, Limits, connections
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing
from meeting_hub.validation_messages import flat_details

logger = logging.getLogger(__name__)

DASHBOARD_ROLES = (Role.ORGANIZER, Role.LEADER, Role.ADMIN)

# Read at each scrape: the registry of open connections is the count, so the gauge can never drift from it.
metrics.LIVE_SOCKETS.set_function(lambda: len(connections))


def _error(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"ok": False, "error": body}


def _request_sid() -> str:
    return str(request.sid)  # type: ignore[attr-defined]  # set by Flask-SocketIO on socket requests


@dataclass(frozen=True)
class Caller:
    """Who sent a socket event: as read at most LIVE_USER_RECHECK_SECONDS ago (see realtime.connections)."""

    recorder: services.Recorder
    language: str

    def user(self) -> User:
        """Load the user, for the events that need more than the recorder (watch, link status, audit)."""
        user = db.session.get(User, self.recorder.user_id)
        if user is None or not user.active:
            raise AccessDenied(_("Tài khoản không còn hoạt động."))
        return user


def _caller(connection: Connection) -> Caller | None:
    """Return who is behind the connection, checking its grant again when the last check is too old."""
    if connection.ended:
        return None
    now = time.monotonic()
    recheck = float(current_app.config["LIVE_USER_RECHECK_SECONDS"])
    if connection.caller is not None and now - connection.caller_read_at < recheck:
        cached: Caller = connection.caller
        return cached
    user = db.session.get(User, connection.user_id)
    caller = None
    if user is not None and user.auth_epoch != connection.grant.epoch:
        # Something changed the account since the grant was last checked (made elsewhere: a change made by this
        # process closed the connection already). Only a grant that still holds goes on.
        grant = live_access.recheck(connection.grant)
        if grant is None:
            user = None
        else:
            connection.grant = grant
    if user is not None and user.active:
        languages = current_app.config["LANGUAGES"]
        language = user.language if user.language in languages else str(current_app.config["DEFAULT_LANGUAGE"])
        caller = Caller(services.Recorder.of(user), language)
    db.session.rollback()  # the reading's transaction ends here: the writer may need the SQLite lock
    connection.caller, connection.caller_read_at = caller, now
    if caller is None:
        revocation.close(connection)
    return caller


def _over_budget(connection: Connection) -> dict[str, Any] | None:
    """Take the event from the user's and address's budgets; return the refusal when they are spent."""
    if connection.allow():
        return None
    if connection.flooding():
        logger.warning(
            "closing live connection %s of user %s: %d events sent while refused",
            connection.sid[:8],
            connection.user_id,
            connection.refused_in_a_row,
        )
        revocation.close(connection)
    return _error("rate_limited", _("Bạn gửi quá nhanh. Vui lòng đợi một lát."))


def handle(schema: ma.Schema, data: Any, action: Callable[[Caller, dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """Run one socket event: rate limit, identify, validate, act, commit; every failure becomes an error ack.

    Every /live handler goes through here, other domains' too (meeting_hub/polls/events.py): one place for the
    budgets, the caller's grant, the language and the answers to refusals."""
    connection = connections.get(_request_sid())
    if connection is None:
        return _error("unauthorized", _("Kết nối chưa được xác thực."))
    # Answers speak the language last read for the connection's user: left to Flask-Babel, choosing it would load
    # the user from the database for every refusal (a flood's too), and fail while the database is away.
    with _language_of(connection.caller):
        refused = _over_budget(connection)
        if refused is not None:
            return refused
        audit.client_address.set(request.remote_addr or "")
        logs.bind(user_id=connection.user_id)
        try:
            return _serve(connection, schema, data, action)
        except sa.exc.DBAPIError as error:
            if not database.is_transient(error):
                raise
            # The database is away for a moment (restarted, a lock held too long): nothing of the event was
            # written, or it was and a resend of the same client_op_id replays it. Without this answer the client
            # would wait for its time-out.
            _roll_back_after(error)
            with _language_of(connection.caller, or_default=True):
                return _error("try_again", _("Máy chủ đang bận, vui lòng gửi lại sau."))


@contextmanager
def _language_of(caller: Caller | None, or_default: bool = False) -> Iterator[None]:
    """Speak the caller's language; unknown: the default one if asked, else Flask-Babel's choice (which reads the
    user)."""
    language = caller.language if caller is not None else None
    if language is None and or_default:
        language = str(current_app.config["DEFAULT_LANGUAGE"])
    if language is None:
        yield
        return
    with force_locale(language):
        yield


def _serve(
    connection: Connection, schema: ma.Schema, data: Any, action: Callable[[Caller, dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    caller = _caller(connection)
    if caller is None:
        return _error("unauthorized", _("Tài khoản không còn hoạt động."))
    with _language_of(caller):
        try:
            message = schema.load(data if isinstance(data, dict) else {})
        except ma.ValidationError as error:
            return _error("invalid", _("Dữ liệu gửi lên chưa hợp lệ."), flat_details(error.messages))
        try:
            ack = action(caller, message)
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            entry = error.audit_entry()
            if entry is not None:
                _audit_refusal(caller, entry)
            return _error(error.code, error.message, error.details)
        return {"ok": True, **ack}


def _roll_back_after(error: sa.exc.DBAPIError) -> None:
    """End the failed transaction; a connection already gone must not fail the answer (the pool discards it)."""
    logger.warning("database unavailable for a socket event: %s", error.orig)
    try:
        db.session.rollback()
    except Exception:
        logger.warning("rolling back after a database error failed", exc_info=True)


def _audit_refusal(caller: Caller, entry: AuditEntry) -> None:
    user = db.session.get(User, caller.recorder.user_id)
    event_name = request.event["message"]  # type: ignore[attr-defined]  # set by Flask-SocketIO
    audit.record(entry.action, user, target=entry.target or f"socket {event_name}", **entry.detail)
    db.session.commit()


@socketio.on("connect")
def on_default_connect(_auth: Any = None) -> None:
    """Refuse every connection to the default namespace "/": nothing is served there (clients use /live)."""
    raise ConnectionRefusedError("unknown_namespace")


@socketio.on("connect", namespace=transport.NAMESPACE)
@observed("connect")
def on_connect(auth: Any = None) -> None:
    """Accept a connection with a valid API token (auth.token) or a signed-in session; refuse anything else."""
    token = auth.get("token") if isinstance(auth, dict) else None
    grant: live_access.LiveGrant | None = None
    if isinstance(token, str) and token:
        api_token = accounts.find_api_token(token)
        grant = live_access.grant_for_token(api_token) if api_token is not None else None
    else:
        user = signed_in_user()
        if user is not None and user.must_change_password:
            db.session.rollback()
            raise ConnectionRefusedError("password_change_required")
        grant = live_access.grant_for_session(user, current_sign_in_id()) if user is not None else None
    if grant is None:
        db.session.rollback()
        raise ConnectionRefusedError("unauthorized")
    db.session.commit()  # keeps the token's last_used_at
    limits = Limits.from_config(current_app.config)
    for oldest in connections.add(_request_sid(), grant, request.remote_addr or "", limits):
        revocation.close(oldest)  # past the user's cap: the newest connection wins
    revocation.start_sweeping()


@socketio.on("disconnect", namespace=transport.NAMESPACE)
@observed("disconnect")
def on_disconnect(*_args: Any) -> None:
    """Forget the connection."""
    connections.remove(_request_sid())


@socketio.on("*", namespace=transport.NAMESPACE)
@observed("unknown")
def on_unknown_event(_event: Any = None, *_args: Any) -> dict[str, Any]:
    """Any event nobody handles: answer at once that it is unknown (a client would otherwise wait for its time-out)."""
    connection = connections.get(_request_sid())
    if connection is None:
        return _error("unauthorized", _("Kết nối chưa được xác thực."))
    return _over_budget(connection) or _error("unknown_event", _("Máy chủ không nhận sự kiện này."))


def _watch(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    user = caller.user()
    briefing = scheduling.get_briefing(message["briefing_id"], user)
    only_endpoint: int | None = None
    if user.role in DASHBOARD_ROLES:
        # The dashboard room gets every event, briefing-wide ones included: joining the briefing room too would
        # deliver those twice.
        join_room(transport.dashboard_room(briefing.id), namespace=transport.NAMESPACE)
    elif user.role == Role.OPERATOR and user.endpoint_id is not None:
        only_endpoint = user.endpoint_id
        join_room(transport.endpoint_room(briefing.id, only_endpoint), namespace=transport.NAMESPACE)
        join_room(transport.briefing_room(briefing.id), namespace=transport.NAMESPACE)
    else:
        raise AccessDenied(_("Bạn không có quyền theo dõi buổi giao ban này."))
    # Rooms are joined first, then the state is read: nothing falls between; duplicates are dropped by seq.
    return catch_up(briefing, message.get("last_seq"), only_endpoint)


def catch_up(briefing: Briefing, last_seq: int | None, only_endpoint: int | None) -> dict[str, Any]:
    """Return the events after last_seq when the log still has them, else a snapshot (cut to one endpoint if given)."""
    seq = log.current_seq(briefing.id)
    if last_seq is not None and last_seq <= seq:
        events = log.events_since(briefing.id, last_seq)
        if events is not None:
            if only_endpoint is not None:
                # The same share the endpoint's rooms get live (see transport.deliver).
                events = [e for e in events if transport.event_endpoint(e) in (None, only_endpoint)]
            return {"seq": seq, "events": events}
    if only_endpoint is not None:
        snapshot = attendance_snapshot(briefing, only_endpoint)
    else:  # dashboards: one build for all those asking at once, waited for without holding a database connection
        briefing_id = briefing.id
        db.session.rollback()
        snapshot = shared_snapshots.get(briefing_id, lambda: attendance_snapshot(scheduling.get_briefing(briefing_id)))
    return {"seq": snapshot["seq"], "snapshot": snapshot}


@socketio.on(transport.WATCH, namespace=transport.NAMESPACE)
@observed(transport.WATCH)
def on_watch(data: Any = None) -> dict[str, Any]:
    """Dashboards and consoles: start receiving a briefing's events; ack with what was missed."""
    return handle(payloads.WatchMessage(), data, _watch)


def _writer() -> group_commit.CheckInWriter | None:
    return group_commit.writer(current_app._get_current_object())  # type: ignore[attr-defined]


def _check_in(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    check_in = services.CheckIn.from_message(message)
    writer = _writer()
    if writer is None:
        briefing = scheduling.get_briefing(message["briefing_id"])
        result = services.record_check_in(briefing, check_in, caller.user())
    else:
        request = services.CheckInRequest(caller.recorder, check_in)
        result = writer.submit(message["briefing_id"], request, caller.language)
    return {"seq": result.result["seq"], "replayed": result.replayed, "record": result.result["record"]}


@socketio.on(transport.CHECK_IN, namespace=transport.NAMESPACE)
@observed(transport.CHECK_IN)
def on_check_in(data: Any = None) -> dict[str, Any]:
    """Operators (own endpoint, live briefing) and organizers: record one person's attendance, idempotently."""
    return handle(payloads.CheckInMessage(), data, _check_in)


def _link_status(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    briefing = scheduling.get_briefing(message["briefing_id"])
    event = services.set_link_status(briefing, LinkStatus(message["status"]), caller.user())
    return {"seq": event["seq"]}


@socketio.on(transport.LINK_STATUS, namespace=transport.NAMESPACE)
@observed(transport.LINK_STATUS)
def on_link_status(data: Any = None) -> dict[str, Any]:
    """Operators: report their endpoint's link (connected, degraded, down)."""
    return handle(payloads.LinkStatusMessage(), data, _link_status)


def _heartbeat(caller: Caller, message: dict[str, Any]) -> dict[str, Any]:
    writer = _writer()
    if writer is None:
        briefing = scheduling.get_briefing(message["briefing_id"])
        event = services.record_heartbeat(briefing, caller.user())
        return {"seq": event["seq"] if event else log.current_seq(briefing.id)}
    return writer.beat(message["briefing_id"], caller.recorder, caller.language)


@socketio.on(transport.HEARTBEAT, namespace=transport.NAMESPACE)
@observed(transport.HEARTBEAT)
def on_heartbeat(data: Any = None) -> dict[str, Any]:
    """Operators' consoles, every few seconds: the endpoint is still there."""
    return handle(payloads.HeartbeatMessage(), data, _heartbeat)
