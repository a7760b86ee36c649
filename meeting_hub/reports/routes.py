"""Pages of reports: statistics (network, endpoint, person), the minutes and their versions, material receipts; and
the helpers the briefing page, its materials section and the home page use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from meeting_hub.accounts.access import acting_user, signed_in_user
from meeting_hub.accounts.policy import ORGANIZERS, POLL_READERS, ROSTER_READERS, STAFF
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance.models import ATTENDANCE_STATUS_LABELS
from meeting_hub.clock import local_today
from meeting_hub.date_fields import month_from_query
from meeting_hub.errors import NotFound, ServiceError
from meeting_hub.extensions import db
from meeting_hub.follow_up.search import IssueFilters
from meeting_hub.network.models import Endpoint, Person
from meeting_hub.polls import reports as poll_reports
from meeting_hub.reports import distribution, minutes, poll_statistics, statistics, statistics_charts
from meeting_hub.reports.models import MinutesVersion
from meeting_hub.scheduling.materials import get_material
from meeting_hub.scheduling.models import Briefing, BriefingStatus
from meeting_hub.scheduling.recurrence import add_months
from meeting_hub.scheduling.services import get_briefing
from meeting_hub.web import show_refusal

blueprint = Blueprint("reports", __name__)
blueprint.add_app_template_filter(statistics_charts.percent, "rate")


# Helpers for the briefing page, its materials and the home page


def _briefing_reports(briefing: Briefing) -> dict[str, Any]:
    """What the briefing page shows of reports: the minutes (staff), the attendance exports and the polls' results."""
    user = signed_in_user()
    if user is None or briefing.status not in (BriefingStatus.LIVE, BriefingStatus.ENDED):
        return {}
    result: dict[str, Any] = {"can_export": ROSTER_READERS.allows(user)}
    if POLL_READERS.allows(user):
        result["polls"] = poll_reports.reported_polls([briefing.id])
    if STAFF.allows(user):
        result["versions"] = minutes.list_versions(briefing)
        result["states"] = minutes.version_states(result["versions"])
        result["can_prepare"] = ORGANIZERS.allows(user)
        result["reopened"] = minutes.reopened_versions(briefing)
        result["can_read_minutes"] = True
    return result


def _material_distribution(briefing: Briefing) -> dict[str, Any]:
    """What the materials section shows of the distribution: the operator's own receipts, or who has not confirmed."""
    cache: dict[int, dict[str, Any]] = g.setdefault("reports_distribution", {})
    if briefing.id in cache:
        return cache[briefing.id]
    user = signed_in_user()
    result: dict[str, Any] = {}
    if user is not None and briefing.materials:
        if user.role == Role.OPERATOR and user.endpoint_id is not None:
            result["own"] = distribution.receipts_of_endpoint(briefing, user.endpoint_id)
        elif STAFF.allows(user):
            result["by_material"] = distribution.distribution(briefing)
    cache[briefing.id] = result
    return result


def _home_absence_flags() -> list[statistics.FlaggedSecretary]:
    """The secretaries flagged for missing briefings in a row, for leaders' home page."""
    user = signed_in_user()
    if user is None or user.role != Role.LEADER:
        return []
    return statistics.absence_flags()


@blueprint.app_context_processor
def _reports_template_globals() -> dict[str, Any]:
    return {
        "briefing_reports": _briefing_reports,
        "material_distribution": _material_distribution,
        "home_absence_flags": _home_absence_flags,
        "attendance_status_labels": ATTENDANCE_STATUS_LABELS,
    }


# Statistics


def _month_from_query() -> tuple[date, str | None]:
    """Return the month asked for (mm/yyyy, or yyyy-mm from links), else this month with the reason it was not read."""
    month, error = month_from_query(request.args.get("month"))
    return month or local_today().replace(day=1), error


@blueprint.get("/statistics")
def statistics_page() -> ResponseReturnValue:
    """Show attendance, follow-up and poll participation statistics over the 12 months ending with the chosen one,
    with charts."""
    user = acting_user()
    month, month_error = _month_from_query()
    attendance = statistics.attendance_statistics(month)
    first_day, last_day = statistics.month_window(month, len(attendance.months))
    issues = statistics.issue_statistics(user, IssueFilters(raised_from=first_day, raised_to=last_day))
    polls = poll_statistics.poll_participation(month, len(attendance.months))
    month_text = month.strftime("%Y-%m")
    query = {"month": month_text}

    def endpoint_link(endpoint_id: int) -> str:
        return url_for("reports.endpoint_statistics", endpoint_id=endpoint_id, month=month_text)

    charts = {
        "trend": statistics_charts.attendance_trend(attendance),
        "endpoints": statistics_charts.attendance_by_endpoint(attendance, endpoint_link),
        "issue_endpoints": statistics_charts.issues_by_endpoint(
            issues,
            lambda endpoint_id: url_for(
                "follow_up.issue_list",
                endpoint_id=endpoint_id,
                raised_from=first_day.isoformat(),
                raised_to=last_day.isoformat(),
            ),
        ),
        "issue_categories": statistics_charts.issues_by_category(issues),
        "agencies": statistics_charts.agencies_on_time(issues),
        "poll_trend": statistics_charts.poll_participation_trend(polls),
        "poll_endpoints": statistics_charts.poll_participation_by_endpoint(polls, endpoint_link),
    }
    return render_template(
        "reports/statistics.html",
        month=month,
        month_error=month_error,
        previous_month=add_months(month, -1),
        next_month=add_months(month, 1),
        attendance=attendance,
        issues=issues,
        polls=polls,
        flags=statistics.absence_flags(),
        charts=charts,
        query=query,
        first_day=first_day,
        last_day=last_day,
    )


@blueprint.get("/statistics/endpoints/<int:endpoint_id>")
def endpoint_statistics(endpoint_id: int) -> ResponseReturnValue:
    """Show an endpoint's people with their attendance over the 12 months ending with the chosen one."""
    acting_user()
    endpoint = db.session.get(Endpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(_("Không tìm thấy điểm cầu."))
    month, _month_error = _month_from_query()
    return render_template(
        "reports/endpoint_statistics.html",
        endpoint=endpoint,
        month=month,
        people=statistics.endpoint_people(endpoint, month),
        first_day=statistics.month_window(month, statistics.trend_months())[0],
    )


@blueprint.get("/statistics/people/<int:person_id>")
def person_history(person_id: int) -> ResponseReturnValue:
    """Show a person's attendance at every held briefing they were expected at."""
    acting_user()
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound(_("Không tìm thấy người này trong danh sách."))
    return render_template("reports/person_history.html", history=statistics.person_history(person))


# Minutes


def _pdf(content: bytes, name: str) -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.get("/briefings/<int:briefing_id>/minutes")
def minutes_page(briefing_id: int) -> ResponseReturnValue:
    """Show a briefing's minutes: the frozen versions, a draft from today's data, and (organizers) a correction."""
    user = acting_user()
    briefing = get_briefing(briefing_id, user)
    versions = minutes.list_versions(briefing)
    return render_template(
        "reports/minutes.html",
        briefing=briefing,
        versions=versions,
        states=minutes.version_states(versions),
        reopened=minutes.reopened_versions(briefing),
        can_correct=ORGANIZERS.allows(user) and briefing.status == BriefingStatus.ENDED,
        held=briefing.status in (BriefingStatus.LIVE, BriefingStatus.ENDED),
    )


@blueprint.get("/briefings/<int:briefing_id>/minutes.pdf")
def minutes_pdf(briefing_id: int) -> ResponseReturnValue:
    """Send the minutes: the version asked for, else the latest frozen one, else (or with draft=1) a fresh draft."""
    user = acting_user()
    briefing = get_briefing(briefing_id, user)
    version_text = request.args.get("version", "")
    version = int(version_text) if version_text.isdigit() and 0 < int(version_text) < 10_000 else None
    try:
        content, served = minutes.minutes_pdf(briefing, version, draft=request.args.get("draft") == "1")
    except minutes.MinutesNotReady as not_ready:
        flash(not_ready.message, "info")  # a link followed before the job finished: the page shows its state
        return redirect(url_for("reports.minutes_page", briefing_id=briefing.id))
    return _pdf(content, minutes.download_name(briefing, served))


def _commit_version(
    briefing: Briefing, freeze: Callable[[], MinutesVersion], done: Callable[[int], str]
) -> ResponseReturnValue:
    """Freeze a version of the minutes and commit; flash its number (or the refusal) and go back to the minutes."""
    try:
        frozen = freeze()
        db.session.commit()
    except ServiceError as error:
        show_refusal(None, error)
    else:
        flash(done(frozen.version), "success")
    return redirect(url_for("reports.minutes_page", briefing_id=briefing.id))


@blueprint.post("/briefings/<int:briefing_id>/minutes/freeze")
def minutes_freeze(briefing_id: int) -> ResponseReturnValue:
    """Freeze version 1 of an ended briefing's minutes, when closing it did not (a briefing closed before reports)."""
    user = acting_user()
    briefing = get_briefing(briefing_id, user)
    return _commit_version(
        briefing,
        lambda: minutes.freeze_minutes(briefing, user),
        lambda n: _("Đã chốt biên bản phiên bản %(n)d.", n=n),
    )


@blueprint.post("/briefings/<int:briefing_id>/minutes/corrections")
def minutes_correct(briefing_id: int) -> ResponseReturnValue:
    """Freeze a corrected version of the minutes from the data as it is now, with the reason given."""
    user = acting_user()
    briefing = get_briefing(briefing_id, user)
    return _commit_version(
        briefing,
        lambda: minutes.correct_minutes(briefing, request.form.get("reason", ""), user),
        lambda n: _("Đã lập biên bản đính chính, phiên bản %(n)d.", n=n),
    )


@blueprint.post("/briefings/<int:briefing_id>/minutes/<int:version>/prepare")
def minutes_prepare(briefing_id: int, version: int) -> ResponseReturnValue:
    """Ask again for the PDF of a frozen version whose preparation failed."""
    user = acting_user()
    briefing = get_briefing(briefing_id, user)
    return _commit_version(
        briefing,
        lambda: minutes.prepare_again(briefing, version, user),
        lambda n: _("Đang lập lại tệp PDF của biên bản phiên bản %(n)d.", n=n),
    )


# Material receipts


@blueprint.post("/materials/<int:material_id>/receipt")
def confirm_receipt(material_id: int) -> ResponseReturnValue:
    """Confirm, for the operator's endpoint, that the material was received."""
    user = acting_user()
    material = get_material(material_id, user)
    distribution.confirm_receipt(material, user)
    db.session.commit()
    flash(_("Đã xác nhận điểm cầu nhận “%(title)s”.", title=material.title), "success")
    return redirect(url_for("scheduling.briefing_detail", briefing_id=material.briefing_id, _anchor="materials"))
