"""Pages of live attendance: the operators' roll-call console, the live dashboard, and the console's service worker."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from meeting_hub.accounts.access import acting_user
from meeting_hub.accounts.models import User
from meeting_hub.accounts.policy import require_endpoint
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance import page_data, services
from meeting_hub.attendance.snapshot import attendance_snapshot
from meeting_hub.clock import local_iso
from meeting_hub.database import utcnow
from meeting_hub.errors import NotFound
from meeting_hub.network.services import get_endpoint
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing

blueprint = Blueprint("attendance", __name__)

DASHBOARD_ROLES = (Role.ORGANIZER, Role.LEADER, Role.ADMIN)
#: What the console needs to open with no connection; the service worker keeps these (and the console's HTML).
CONSOLE_SHELL_FILES = (
    "css/console.css",
    "vendor/socket.io.min.js",
    "js/live_client.js",
    "js/console/main.js",
    "js/console/storage.js",
    "js/console/state.js",
    "js/console/connection.js",
    "js/console/outbox.js",
    "js/console/roll_call.js",
    "js/console/issues.js",
    "js/console/polls.js",
    "js/console/poll_cards.js",
)
SERVICE_WORKER_SOURCE = "js/console_sw.js"
#: How often the "no briefing yet" page asks whether one has opened (a light JSON request; a 1,000-endpoint network
#: waiting at once makes about 70 requests a second at this pace).
WAITING_POLL_SECONDS = 15


@blueprint.get("/console")
def console() -> ResponseReturnValue:
    """Take an operator to the console of today's briefing (staff to its dashboard), or list the coming ones."""
    user = acting_user()
    briefing = page_data.briefing_to_take(user)
    if briefing is not None:
        if user.role == Role.OPERATOR:
            return redirect(url_for("attendance.briefing_console", briefing_id=briefing.id))
        return redirect(url_for("attendance.dashboard", briefing_id=briefing.id))
    return render_template(
        "attendance/no_briefing.html",
        upcoming=scheduling.upcoming_briefings(user),
        poll_seconds=WAITING_POLL_SECONDS,
    )


@blueprint.get("/console/next")
def console_next() -> ResponseReturnValue:
    """Tell the waiting page where to go once there is a briefing to take: {"url": ...}, or {"url": null}."""
    user = acting_user()
    briefing = page_data.briefing_to_take(user)
    if briefing is None:
        url = None
    elif user.role == Role.OPERATOR:
        url = url_for("attendance.briefing_console", briefing_id=briefing.id)
    else:
        url = url_for("attendance.dashboard", briefing_id=briefing.id)
    response = jsonify({"url": url})
    response.headers["Cache-Control"] = "no-store"
    return response


def _console_endpoint_id(user: User, briefing: Briefing) -> int | None:
    """Return the endpoint whose roll-call this user takes here (None: an organizer who has not chosen one)."""
    requested = request.args.get("endpoint_id", type=int)
    if user.role == Role.OPERATOR:
        if requested is not None:
            require_endpoint(user, requested)
        return user.endpoint_id
    if requested is not None and requested not in {endpoint.id for endpoint in briefing.endpoints}:
        raise NotFound(_("Điểm cầu này không được mời dự buổi giao ban."))
    return requested


@blueprint.get("/briefings/<int:briefing_id>/console")
def briefing_console(briefing_id: int) -> ResponseReturnValue:
    """Show the roll-call console of one endpoint (the operator's own; organizers pick one with ?endpoint_id=)."""
    user = acting_user()
    briefing = scheduling.get_briefing(briefing_id, user)
    endpoint_id = _console_endpoint_id(user, briefing)
    if endpoint_id is None:
        return redirect(url_for("attendance.dashboard", briefing_id=briefing.id))
    endpoint = get_endpoint(endpoint_id, user)
    snapshot = attendance_snapshot(briefing, endpoint.id)
    data: dict[str, Any] = {
        "briefing": {
            "id": briefing.id,
            "title": briefing.title,
            "status": briefing.status.value,
            "status_changed_at": briefing.status_changed_at.isoformat() if briefing.status_changed_at else None,
        },
        "briefing_url": url_for("api_scheduling.get_briefing", briefing_id=briefing.id),
        "time_zone": current_app.config["TIMEZONE"],
        "endpoint": {"id": endpoint.id, "name": endpoint.display_name},
        "user": user.username,
        "reports_link": user.role == Role.OPERATOR,
        "roster": page_data.roster_by_cell(user, endpoint.id),
        "snapshot": snapshot,
        "heartbeat_seconds": float(current_app.config["LIVE_HEARTBEAT_SECONDS"]),
        "api_url": url_for("api_attendance.post_attendance", briefing_id=briefing.id),
        "service_worker_url": url_for("attendance.console_service_worker"),
        "statuses": page_data.status_labels(),
        "issues_url": url_for("api_follow_up.raise_issue", briefing_id=briefing.id),
        "categories": page_data.issue_categories(),
        "issue_statuses": page_data.issue_status_labels(),
        "issues": page_data.raised_issues(user, briefing, endpoint.id),
        "report_back": page_data.report_back(user, briefing, endpoint.id),
        "polls": page_data.console_polls(user, briefing, endpoint.id),
        "poll_labels": page_data.poll_labels(),
        "polls_url": url_for("attendance.console_polls", briefing_id=briefing.id, endpoint_id=endpoint.id),
        # The REST fallback of an answer when the socket is down; "{id}" is the poll's.
        "poll_answer_url": url_for("api_polls.answer_poll", poll_id=0).replace("/0/", "/{id}/"),
    }
    return render_template("attendance/console.html", briefing=briefing, endpoint=endpoint, data=data)


@blueprint.get("/briefings/<int:briefing_id>/console/polls")
def console_polls(briefing_id: int) -> ResponseReturnValue:
    """Give the console its polls again (after a resync, or a secret answer given on another device): the same JSON
    as the page embeds."""
    user = acting_user()
    briefing = scheduling.get_briefing(briefing_id, user)
    endpoint_id = _console_endpoint_id(user, briefing)
    if endpoint_id is None:
        raise NotFound(_("Hãy chọn điểm cầu."))
    endpoint = get_endpoint(endpoint_id, user)
    response = jsonify(page_data.console_polls(user, briefing, endpoint.id))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/briefings/<int:briefing_id>/live")
def dashboard(briefing_id: int) -> ResponseReturnValue:
    """Show the live dashboard: a tile per invited endpoint, network totals and the latest events."""
    user = acting_user()
    briefing = scheduling.get_briefing(briefing_id, user)
    endpoints, groups = page_data.dashboard_endpoints(user, briefing)
    data: dict[str, Any] = {
        "briefing": {"id": briefing.id, "title": briefing.title, "status": briefing.status.value},
        "endpoints": endpoints,
        "groups": groups,
        "snapshot": attendance_snapshot(briefing),
        "names": page_data.person_names(user, [endpoint["id"] for endpoint in endpoints]),
        "recent_events": page_data.recent_events(briefing),
        "stale_after_seconds": services.stale_after().total_seconds(),
        "server_time": local_iso(utcnow()),
        "statuses": page_data.status_labels(),
        "categories": page_data.category_names(),
    }
    return render_template("attendance/dashboard.html", briefing=briefing, data=data)


@lru_cache(maxsize=8)
def _shell_version(stamps: tuple[tuple[str, int, int], ...]) -> str:
    """Hash the shell files' contents; cached by their modification times and sizes."""
    digest = hashlib.sha256()
    for path, _mtime, _size in stamps:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


@blueprint.get("/console-sw.js")
def console_service_worker() -> ResponseReturnValue:
    """Serve the console's service worker, with the shell to keep and a version that changes with any shell file.

    Public on purpose: browsers re-fetch it on their own, also after the session has ended, and a redirect to the
    sign-in page would break the update (and keep a stale worker). It holds nothing but static URLs.
    """
    static = Path(current_app.static_folder or "")
    files = [static / name for name in (*CONSOLE_SHELL_FILES, SERVICE_WORKER_SOURCE)]
    # A vendor file missing (setup not run) must not take the worker down: the shell is then cached without it.
    stamps = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in files if path.exists())
    settings = {
        "version": _shell_version(stamps),
        "shell": [url_for("static", filename=name) for name in CONSOLE_SHELL_FILES],
        "offline_title": _("Chưa có bản lưu ngoại tuyến"),
        "offline_message": _("Không có kết nối mạng, và máy này chưa lưu trang điểm danh. Hãy mở lại khi có mạng."),
    }
    source = (static / SERVICE_WORKER_SOURCE).read_text(encoding="utf-8")
    response = make_response(f"const SETTINGS = {json.dumps(settings, ensure_ascii=False)};\n{source}")
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response
