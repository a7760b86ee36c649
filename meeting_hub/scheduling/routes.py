"""Pages: the calendar, series, briefings and holidays (status changes: lifecycle_routes.py)."""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from meeting_hub.accounts.access import acting_user
from meeting_hub.accounts.forms import ConfirmForm
from meeting_hub.accounts.roles import Role
from meeting_hub.clock import local_datetime, local_today, local_zone
from meeting_hub.date_fields import DateInputError, format_day, month_from_query, parse_month
from meeting_hub.errors import ServiceError
from meeting_hub.extensions import db
from meeting_hub.network.services import list_endpoints
from meeting_hub.scheduling import holidays as holiday_service
from meeting_hub.scheduling import lifecycle, lifecycle_routes, services
from meeting_hub.scheduling.forms import (
    BriefingForm,
    HolidayForm,
    HolidayRenameForm,
    HolidayRestoreForm,
    SeriesForm,
)
from meeting_hub.scheduling.models import BRIEFING_STATUS_LABELS, Briefing, Holiday
from meeting_hub.scheduling.recurrence import (
    WEEKDAY_LABELS,
    MonthlyRule,
    add_months,
    format_long_date,
    format_vietnamese_date,
)
from meeting_hub.web import show_refusal

blueprint = Blueprint("scheduling", __name__)

ORGANIZING_ROLES = (Role.ORGANIZER, Role.ADMIN)


@blueprint.app_context_processor
def _scheduling_template_globals() -> dict[str, Any]:
    return {
        "briefing_status_labels": BRIEFING_STATUS_LABELS,
        "briefing_phase": lifecycle.display_status,
        "briefing_phase_labels": lifecycle.PHASE_LABELS,
        "long_date": _long_local_date,
        "long_day": format_long_date,
    }


def _long_local_date(value: datetime) -> str:
    return format_long_date(value.astimezone(local_zone()).date())


def _endpoint_choices() -> list[SelectChoice]:
    return [SelectChoice(endpoint.id, endpoint.display_name) for endpoint in list_endpoints()]


# Calendar


def _parse_month(text: str | None, fallback: date) -> date:
    month, _error = month_from_query(text)
    return month or fallback.replace(day=1)


@blueprint.get("/calendar")
def calendar() -> ResponseReturnValue:
    """Show the briefings of a month as a grid (or a list), Monday first."""
    user = acting_user()
    services.extend_series_horizons()
    today = local_today()
    month = _parse_month(request.args.get("month"), today)
    view = "list" if request.args.get("view") == "list" else "month"
    weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    if view == "month":
        briefings = services.list_briefings(user, weeks[0][0], weeks[-1][-1])
    else:
        last_day = add_months(month, 1) - timedelta(days=1)
        briefings = services.list_briefings(user, month, last_day)
    by_day: dict[date, list[Briefing]] = {}
    for briefing in briefings:
        by_day.setdefault(briefing.starts_at.astimezone(local_zone()).date(), []).append(briefing)
    return render_template(
        "scheduling/calendar.html",
        view=view,
        month=month,
        weeks=weeks,
        by_day=by_day,
        briefings=briefings,
        today=today,
        previous_month=add_months(month, -1),
        next_month=add_months(month, 1),
        weekday_labels=WEEKDAY_LABELS,
        weekday_short=[_("T2"), _("T3"), _("T4"), _("T5"), _("T6"), _("T7"), _("CN")],
    )


# Series


@blueprint.get("/series")
def series_list() -> ResponseReturnValue:
    """List the series."""
    return render_template(
        "scheduling/series_list.html", all_series=services.list_series(), describe_rule=services.series_rule
    )


def _series_form(form: SeriesForm) -> SeriesForm:
    form.endpoint_ids.choices = _endpoint_choices()
    return form


def _series_data(form: SeriesForm) -> services.SeriesData:
    rule = (
        MonthlyRule(weekday=form.weekday.data, week=form.week.data)
        if form.rule_kind.data == "weekday"
        else MonthlyRule(day=form.day.data or 0)
    )
    return services.SeriesData(
        title=form.title.data or "",
        rule=rule,
        start_time=form.start_time.data,
        duration_minutes=form.duration_minutes.data or 0,
        first_month=form.first_month.data,
        months=form.months.data,
        endpoint_ids=None if form.all_endpoints.data else list(form.endpoint_ids.data or []),
        video_link=form.video_link.data or "",
        room=form.room.data or "",
    )


def _rule_errors(form: SeriesForm) -> bool:
    if form.rule_kind.data == "day" and not form.day.data:
        form.day.errors = [_("Cần nhập ngày trong tháng (1-31).")]
        return True
    if not form.all_endpoints.data and not form.endpoint_ids.data:
        form.endpoint_ids.errors = [_("Cần chọn ít nhất một điểm cầu.")]
        return True
    return False


@blueprint.route("/series/new", methods=["GET", "POST"])
def series_create() -> ResponseReturnValue:
    """Set up a monthly series; its occurrences are generated at once."""
    actor = acting_user()
    form = _series_form(SeriesForm())
    if request.method == "GET":
        form.title.data = services.DEFAULT_SERIES_TITLE
        form.start_time.data = time(8, 0)
        form.first_month.data = add_months(local_today().replace(day=1), 1)
    if form.validate_on_submit() and not _rule_errors(form):
        try:
            series = services.schedule_series(_series_data(form), actor)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã tạo chuỗi giao ban và %(n)d buổi.", n=len(series.briefings)), "success")
            return redirect(url_for("scheduling.calendar", month=series.first_month.strftime("%Y-%m")))
    return render_template("scheduling/series_form.html", form=form, series=None)


@blueprint.route("/series/<int:series_id>", methods=["GET", "POST"])
def series_edit(series_id: int) -> ResponseReturnValue:
    """Edit a series: only its future occurrences change."""
    actor = acting_user()
    series = services.get_series(series_id)
    form = _series_form(SeriesForm(obj=series) if request.method == "GET" else SeriesForm())
    if request.method == "GET":
        form.rule_kind.data = "day" if series.day is not None else "weekday"
        form.endpoint_ids.data = [endpoint.id for endpoint in series.endpoints]
    if form.validate_on_submit() and not _rule_errors(form):
        data = _series_data(form)
        data.first_month = series.first_month
        try:
            changed = services.update_series(series, data, actor)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu chuỗi giao ban; %(n)d buổi sắp tới được cập nhật.", n=changed), "success")
            return redirect(url_for("scheduling.series_list"))
    return render_template("scheduling/series_form.html", form=form, series=series)


@blueprint.get("/series/preview")
def series_preview() -> ResponseReturnValue:
    """Return the next six dates of a rule, written in Vietnamese, for the series form's live preview."""
    args = request.args
    try:
        if args.get("rule_kind") == "day":
            rule = MonthlyRule(day=int(args.get("day", "")))
        else:
            rule = MonthlyRule(weekday=int(args.get("weekday", "")), week=int(args.get("week", "")))
        first_month = parse_month(args.get("first_month", ""))
    except DateInputError as error:
        return jsonify({"dates": [], "error": error.message})
    except ValueError:
        return jsonify({"dates": [], "error": _("Quy tắc lặp chưa đầy đủ.")})
    dates = services.preview_dates(rule, first_month, 6)
    holidays = holiday_service.holiday_names(dates[0], dates[-1])
    return jsonify(
        {
            "rule": rule.describe(),
            "dates": [
                {"iso": day.isoformat(), "label": format_vietnamese_date(day), "holiday": holidays.get(day)}
                for day in dates
            ],
        }
    )


# Briefings


def _briefing_form(form: BriefingForm) -> BriefingForm:
    form.endpoint_ids.choices = _endpoint_choices()
    return form


def _agenda_from_request() -> list[services.AgendaItemData]:
    titles = request.form.getlist("agenda_title")
    presenters = request.form.getlist("agenda_presenter")
    minutes = request.form.getlist("agenda_minutes")
    items = []
    for index, title in enumerate(titles):
        presenter = presenters[index] if index < len(presenters) else ""
        duration = minutes[index] if index < len(minutes) else ""
        if not title.strip() and not presenter.strip():
            continue  # an empty row left in the form
        items.append(
            services.AgendaItemData(
                title=title, presenter=presenter, duration_minutes=int(duration) if duration.isdigit() else None
            )
        )
    return items


def _briefing_data(form: BriefingForm) -> services.BriefingData:
    starts_at = local_datetime(form.day.data, form.start_time.data)
    ends_at = local_datetime(form.day.data, form.end_time.data)
    return services.BriefingData(
        title=form.title.data or "",
        starts_at=starts_at,
        ends_at=ends_at,
        video_link=form.video_link.data or "",
        room=form.room.data or "",
        notes=form.notes.data or "",
        endpoint_ids=list(form.endpoint_ids.data or []),
        agenda=_agenda_from_request(),
    )


@blueprint.route("/briefings/new", methods=["GET", "POST"])
def briefing_create() -> ResponseReturnValue:
    """Create a single briefing outside any series."""
    actor = acting_user()
    form = _briefing_form(BriefingForm())
    if request.method == "GET":
        form.endpoint_ids.data = [endpoint.id for endpoint in list_endpoints()]
    if form.validate_on_submit():
        try:
            briefing = services.create_briefing(_briefing_data(form), actor)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã tạo buổi giao ban."), "success")
            return redirect(url_for("scheduling.briefing_detail", briefing_id=briefing.id))
    return render_template("scheduling/briefing_form.html", form=form, briefing=None, agenda=_agenda_rows(None))


def _agenda_rows(briefing: Briefing | None) -> list[dict[str, Any]]:
    if request.method == "POST":
        rows = [
            {"title": item.title, "presenter": item.presenter, "duration_minutes": item.duration_minutes}
            for item in _agenda_from_request()
        ]
    elif briefing is not None:
        rows = [
            {"title": item.title, "presenter": item.presenter, "duration_minutes": item.duration_minutes}
            for item in briefing.agenda_items
        ]
    else:
        rows = []
    return rows + [{"title": "", "presenter": "", "duration_minutes": None}]


@blueprint.route("/briefings/<int:briefing_id>/edit", methods=["GET", "POST"])
def briefing_edit(briefing_id: int) -> ResponseReturnValue:
    """Edit or move one briefing; the rest of its series is left alone."""
    actor = acting_user()
    briefing = services.get_briefing(briefing_id)
    form = _briefing_form(BriefingForm() if request.method == "POST" else BriefingForm(obj=briefing))
    if request.method == "GET":
        local_start = briefing.starts_at.astimezone(local_zone())
        form.day.data = local_start.date()
        form.start_time.data = local_start.time()
        form.end_time.data = briefing.ends_at.astimezone(local_zone()).time()
        form.endpoint_ids.data = [endpoint.id for endpoint in briefing.endpoints]
    if form.validate_on_submit():
        try:
            services.update_briefing(briefing, _briefing_data(form), actor)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu buổi giao ban."), "success")
            return redirect(url_for("scheduling.briefing_detail", briefing_id=briefing.id))
    return render_template("scheduling/briefing_form.html", form=form, briefing=briefing, agenda=_agenda_rows(briefing))


@blueprint.get("/briefings/<int:briefing_id>")
def briefing_detail(briefing_id: int) -> ResponseReturnValue:
    """Show a briefing: its status controls first, then time, link, agenda, materials and invited endpoints."""
    user = acting_user()
    briefing = services.get_briefing(briefing_id, user)
    steps = lifecycle_routes.lifecycle_steps(briefing) if user.role in ORGANIZING_ROLES else {}
    return render_template(
        "scheduling/briefing_detail.html",
        briefing=briefing,
        can_organize=user.role in ORGANIZING_ROLES,
        steps=steps,
        reopen_until=lifecycle.reopen_until(briefing) if lifecycle.can_reopen(briefing) else None,
        confirm_form=ConfirmForm(),
    )


# Holidays


def _holiday_years(rows: list[Holiday]) -> list[tuple[int, list[Holiday]]]:
    years: dict[int, list[Holiday]] = {}
    for holiday in rows:
        years.setdefault(holiday.day.year, []).append(holiday)
    return list(years.items())


@blueprint.route("/holidays", methods=["GET", "POST"])
def holidays() -> ResponseReturnValue:
    """List the holidays by year and add one; briefings falling on them are flagged, never moved silently."""
    actor = acting_user()
    form = HolidayForm()
    if form.validate_on_submit():
        try:
            holiday_service.add_holiday(form.day.data, form.name.data or "", actor)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã thêm ngày lễ."), "success")
            return redirect(url_for("scheduling.holidays"))
    today = local_today()
    restore_form = HolidayRestoreForm(formdata=None, year=today.year)
    return render_template(
        "scheduling/holidays.html",
        form=form,
        years=_holiday_years(holiday_service.list_holidays(today.replace(month=1, day=1))),
        flagged=holiday_service.flagged_briefings(),
        today=today,
        restore_form=restore_form,
    )


@blueprint.post("/holidays/<int:holiday_id>/rename")
def holiday_rename(holiday_id: int) -> ResponseReturnValue:
    """Rename a holiday (the briefings flagged on its day show the new name)."""
    actor = acting_user()
    form = HolidayRenameForm()
    if not form.validate_on_submit():
        flash(_("Cần nhập tên ngày lễ (tối đa 200 ký tự)."), "danger")
        return redirect(url_for("scheduling.holidays"))
    try:
        holiday_service.rename_holiday(holiday_id, form.name.data or "", actor)
    except ServiceError as error:
        show_refusal(None, error)
    else:
        db.session.commit()
        flash(_("Đã đổi tên ngày lễ."), "success")
    return redirect(url_for("scheduling.holidays"))


@blueprint.post("/holidays/<int:holiday_id>/delete")
def holiday_delete(holiday_id: int) -> ResponseReturnValue:
    """Remove a holiday (the page asks first)."""
    actor = acting_user()
    if not ConfirmForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ, vui lòng thử lại."), "danger")
        return redirect(url_for("scheduling.holidays"))
    try:
        removed = holiday_service.remove_holiday(holiday_id, actor)
    except ServiceError as error:
        show_refusal(None, error)
    else:
        message = _("Đã xóa ngày lễ %(day)s (%(name)s).", day=format_day(removed.day), name=removed.name)
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("scheduling.holidays"))


@blueprint.post("/holidays/restore")
def holidays_restore() -> ResponseReturnValue:
    """Add back a year's official holidays that are missing (computed again, Tết by the lunar calendar)."""
    actor = acting_user()
    form = HolidayRestoreForm()
    if not form.validate_on_submit():
        flash(_("Năm không hợp lệ (từ 2000 đến 2100)."), "danger")
        return redirect(url_for("scheduling.holidays"))
    try:
        added = holiday_service.restore_official_holidays(form.year.data, actor)
    except ServiceError as error:
        show_refusal(None, error)
    else:
        db.session.commit()
        if added:
            flash(_("Đã thêm %(n)d ngày lễ chính thức của năm %(year)d.", n=len(added), year=form.year.data), "success")
        else:
            flash(_("Năm %(year)d đã có đủ các ngày lễ chính thức.", year=form.year.data), "info")
    return redirect(url_for("scheduling.holidays"))
