"""Pages: endpoints and their rosters (staff and operators read, admins edit), agencies, and roster import."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from meeting_hub.accounts.access import acting_user
from meeting_hub.accounts.contact_details import CHANNEL_LABELS
from meeting_hub.accounts.forms import ConfirmForm
from meeting_hub.accounts.roles import Role
from meeting_hub.errors import ServiceError, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.network import services
from meeting_hub.network.forms import (
    AgencyForm,
    CellForm,
    EndpointForm,
    MergeForm,
    PersonForm,
    RosterImportForm,
)
from meeting_hub.network.models import CellKind, EndpointKind, PersonRole
from meeting_hub.network.roster_import import WEB_MAX_ROWS, import_roster
from meeting_hub.network.roster_template import template_csv, template_xlsx
from meeting_hub.network.services import endpoint_counts
from meeting_hub.web import show_refusal

blueprint = Blueprint("network", __name__)


# Endpoints


@blueprint.get("/endpoints")
def endpoint_list() -> ResponseReturnValue:
    """List the endpoints with their cell and people counts; an operator goes straight to their own."""
    user = acting_user()
    if user.role == Role.OPERATOR and user.endpoint_id is not None:
        return redirect(url_for("network.endpoint_detail", endpoint_id=user.endpoint_id))
    query = request.args.get("q", "")
    show_inactive = request.args.get("inactive") == "1"
    endpoints = services.list_endpoints(user, query, include_inactive=show_inactive)
    return render_template(
        "network/endpoint_list.html",
        endpoints=endpoints,
        counts=endpoint_counts(),
        q=query,
        show_inactive=show_inactive,
    )


@blueprint.get("/endpoints/<int:endpoint_id>")
def endpoint_detail(endpoint_id: int) -> ResponseReturnValue:
    """Show an endpoint's cells and people (operators: their own endpoint only)."""
    user = acting_user()
    endpoint = services.get_endpoint(endpoint_id, user)
    query = request.args.get("q", "")
    people = services.list_people(user, endpoint_id=endpoint.id, query=query, include_inactive=user.role == Role.ADMIN)
    people_by_cell: dict[int, list[object]] = {}
    for person in people:
        people_by_cell.setdefault(person.cell_id, []).append(person)
    return render_template(
        "network/endpoint_detail.html",
        endpoint=endpoint,
        unreachable=services.unreachable_secretaries(endpoint),
        reach_channels=", ".join(str(CHANNEL_LABELS[name]) for name in endpoint.secretary_channels or []),
        cells=[cell for cell in services.sorted_cells(endpoint.cells) if cell.active or user.role == Role.ADMIN],
        people_by_cell=people_by_cell,
        q=query,
        cell_form=CellForm(),
    )


@blueprint.route("/admin/endpoints/new", methods=["GET", "POST"])
def endpoint_create() -> ResponseReturnValue:
    """Create an endpoint."""
    actor = acting_user()
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            endpoint = services.create_endpoint(_endpoint_data(form), actor)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã thêm điểm cầu %(name)s.", name=endpoint.name), "success")
            return redirect(url_for("network.endpoint_detail", endpoint_id=endpoint.id))
    return render_template("network/endpoint_form.html", form=form, endpoint=None)


@blueprint.route("/admin/endpoints/<int:endpoint_id>", methods=["GET", "POST"])
def endpoint_edit(endpoint_id: int) -> ResponseReturnValue:
    """Edit or deactivate an endpoint, or merge it into another."""
    actor = acting_user()
    endpoint = services.get_endpoint(endpoint_id)
    form = EndpointForm(obj=endpoint)
    if request.method == "GET":
        form.kind.data = endpoint.kind.value
    merge_form = MergeForm(formdata=None)
    merge_form.target_id.choices = _merge_targets(endpoint.id)
    if form.validate_on_submit():
        try:
            services.update_endpoint(endpoint, _endpoint_data(form), actor)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu điểm cầu %(name)s.", name=endpoint.name), "success")
            return redirect(url_for("network.endpoint_detail", endpoint_id=endpoint.id))
    moved = services.merge_consequence(endpoint) if endpoint.active else None
    return render_template(
        "network/endpoint_form.html", form=form, endpoint=endpoint, merge_form=merge_form, moved=moved
    )


def _merge_targets(source_id: int) -> list[SelectChoice]:
    return [SelectChoice(other.id, other.display_name) for other in services.list_endpoints() if other.id != source_id]


@blueprint.route("/admin/endpoints/<int:endpoint_id>/merge", methods=["GET", "POST"])
def endpoint_merge(endpoint_id: int) -> ResponseReturnValue:
    """Show what merging an endpoint into another moves (GET, or a POST not confirmed yet), or merge it once
    confirmed, keeping its history. The edit page shows the same confirmation in a modal."""
    actor = acting_user()
    source = services.get_endpoint(endpoint_id)
    form = MergeForm()
    form.target_id.choices = _merge_targets(source.id)
    if request.method == "POST" and form.confirmed.data == "1":
        if not form.validate_on_submit():
            flash(_("Cần chọn điểm cầu nhận sáp nhập."), "danger")
        else:
            target = services.get_endpoint(form.target_id.data)
            try:
                services.merge_endpoint(source, target, actor)
            except ServiceError as error:
                show_refusal(form, error)
            else:
                db.session.commit()
                flash(_("Đã sáp nhập %(source)s vào %(target)s.", source=source.name, target=target.name), "success")
                return redirect(url_for("network.endpoint_detail", endpoint_id=target.id))
    return render_template(
        "network/merge_confirm.html", endpoint=source, merge_form=form, moved=services.merge_consequence(source)
    )


def _endpoint_data(form: EndpointForm) -> services.EndpointData:
    return services.EndpointData(
        code=form.code.data or "",
        name=form.name.data or "",
        kind=EndpointKind(form.kind.data),
        party_committee_name=form.party_committee_name.data or "",
        active=bool(form.active.data),
        secretary_channels=list(form.secretary_channels.data or []),
    )


# Cells


@blueprint.post("/admin/endpoints/<int:endpoint_id>/cells")
def cell_create(endpoint_id: int) -> ResponseReturnValue:
    """Add a cell to an endpoint."""
    actor = acting_user()
    endpoint = services.get_endpoint(endpoint_id)
    form = CellForm()
    if form.validate_on_submit():
        try:
            services.create_cell(endpoint, form.name.data or "", CellKind(form.kind.data), actor)
        except ValidationFailed as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("Đã thêm chi bộ."), "success")
    else:
        flash(_("Cần nhập tên chi bộ."), "danger")
    return redirect(url_for("network.endpoint_detail", endpoint_id=endpoint.id))


@blueprint.route("/admin/cells/<int:cell_id>", methods=["GET", "POST"])
def cell_edit(cell_id: int) -> ResponseReturnValue:
    """Rename or deactivate a cell."""
    actor = acting_user()
    cell = services.get_cell(cell_id)
    form = CellForm(obj=cell)
    if request.method == "GET":
        form.kind.data = cell.kind.value
    if form.validate_on_submit():
        try:
            services.update_cell(cell, form.name.data or "", CellKind(form.kind.data), bool(form.active.data), actor)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu chi bộ."), "success")
            return redirect(url_for("network.endpoint_detail", endpoint_id=cell.endpoint_id))
    return render_template("network/cell_form.html", form=form, cell=cell)


# People


@blueprint.get("/people")
def person_list() -> ResponseReturnValue:
    """Search people across the endpoints the user may see."""
    user = acting_user()
    query = request.args.get("q", "")
    people = services.list_people(user, query=query, limit=500) if query else []
    return render_template("network/person_list.html", people=people, q=query)


def _person_form(form: PersonForm, endpoint_id: int | None) -> PersonForm:
    endpoints = services.list_endpoints()
    form.cell_id.choices = [
        SelectChoice(cell.id, f"{endpoint.name} — {cell.name}")
        for endpoint in endpoints
        if endpoint_id is None or endpoint.id == endpoint_id
        for cell in services.sorted_cells(endpoint.cells)
        if cell.active
    ]
    return form


def _person_data(form: PersonForm) -> services.PersonData:
    return services.PersonData(
        cell_id=form.cell_id.data,
        full_name=form.full_name.data or "",
        role=PersonRole(form.role.data),
        phone=form.phone.data or None,
        active=bool(form.active.data),
    )


@blueprint.route("/admin/people/new", methods=["GET", "POST"])
def person_create() -> ResponseReturnValue:
    """Add a person to a cell."""
    actor = acting_user()
    endpoint_id = request.args.get("endpoint_id", type=int)
    form = _person_form(PersonForm(), endpoint_id)
    preselected_cell = request.args.get("cell_id", type=int)
    if request.method == "GET" and preselected_cell:
        form.cell_id.data = preselected_cell
    if form.validate_on_submit():
        try:
            person = services.create_person(_person_data(form), actor)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã thêm %(name)s.", name=person.full_name), "success")
            return redirect(url_for("network.endpoint_detail", endpoint_id=person.cell.endpoint_id))
    return render_template("network/person_form.html", form=form, person=None)


@blueprint.route("/admin/people/<int:person_id>", methods=["GET", "POST"])
def person_edit(person_id: int) -> ResponseReturnValue:
    """Edit, move or deactivate a person."""
    actor = acting_user()
    person = services.get_person(person_id)
    form = _person_form(PersonForm(obj=person), None)
    if request.method == "GET":
        form.role.data = person.role.value
    if form.validate_on_submit():
        try:
            services.update_person(person, _person_data(form), actor)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu %(name)s.", name=person.full_name), "success")
            return redirect(url_for("network.endpoint_detail", endpoint_id=person.cell.endpoint_id))
    return render_template("network/person_form.html", form=form, person=person)


# Agencies


@blueprint.get("/agencies")
def agency_list() -> ResponseReturnValue:
    """List and search the handling agencies."""
    user = acting_user()
    query = request.args.get("q", "")
    agencies = services.list_agencies(query, include_inactive=user.role == Role.ADMIN)
    return render_template("network/agency_list.html", agencies=agencies, q=query)


def _agency_form(form: AgencyForm) -> AgencyForm:
    form.endpoint_id.choices = [SelectChoice(e.id, e.display_name) for e in services.list_endpoints()]
    return form


def _agency_data(form: AgencyForm) -> services.AgencyData:
    return services.AgencyData(
        name=form.name.data or "",
        endpoint_id=form.endpoint_id.data or None,
        email=form.email.data or None,
        phone=form.phone.data or None,
        active=bool(form.active.data),
    )


@blueprint.route("/admin/agencies/new", methods=["GET", "POST"])
def agency_create() -> ResponseReturnValue:
    """Create a handling agency."""
    actor = acting_user()
    form = _agency_form(AgencyForm())
    if form.validate_on_submit():
        try:
            agency = services.create_agency(_agency_data(form), actor)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã thêm cơ quan %(name)s.", name=agency.name), "success")
            return redirect(url_for("network.agency_list"))
    return render_template("network/agency_form.html", form=form, agency=None)


@blueprint.route("/admin/agencies/<int:agency_id>", methods=["GET", "POST"])
def agency_edit(agency_id: int) -> ResponseReturnValue:
    """Edit or deactivate a handling agency."""
    actor = acting_user()
    agency = services.get_agency(agency_id)
    form = _agency_form(AgencyForm(obj=agency))
    if request.method == "GET":
        form.endpoint_id.data = agency.endpoint_id or 0
    if form.validate_on_submit():
        try:
            services.update_agency(agency, _agency_data(form), actor)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu cơ quan %(name)s.", name=agency.name), "success")
            return redirect(url_for("network.agency_list"))
    return render_template("network/agency_form.html", form=form, agency=agency)


# Roster import


@blueprint.route("/admin/roster-import", methods=["GET", "POST"])
def roster_import() -> ResponseReturnValue:
    """Import people from a CSV or XLSX file; any bad row stops the whole file, with a report of every row."""
    actor = acting_user()
    form = RosterImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        result = import_roster(upload.filename or "", upload.read(), actor, max_rows=WEB_MAX_ROWS)
        if result.ok:
            db.session.commit()
            flash(_("Đã nhập danh sách."), "success")
        else:
            db.session.rollback()
            flash(_("Tệp có lỗi nên chưa nhập dòng nào. Hãy sửa các dòng dưới đây rồi nhập lại."), "danger")
    return render_template("network/roster_import.html", form=form, result=result, confirm_form=ConfirmForm())


@blueprint.get("/admin/roster-import/template.csv", defaults={"file_format": "csv"})
@blueprint.get("/admin/roster-import/template.xlsx", defaults={"file_format": "xlsx"})
def roster_template(file_format: str) -> ResponseReturnValue:
    """Download the roster template (Vietnamese header, an example row) as CSV or XLSX."""
    if file_format == "csv":
        content, mimetype = template_csv(), "text/csv"  # Werkzeug adds "; charset=utf-8"
    else:
        content, mimetype = template_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=mau-danh-sach-bi-thu.{file_format}"
    return response
