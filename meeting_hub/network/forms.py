"""Forms of the network administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from meeting_hub.choice_fields import ChosenSelectField
from meeting_hub.network.models import CELL_KIND_LABELS, ENDPOINT_KIND_LABELS, PERSON_ROLE_LABELS
from meeting_hub.text_input import CheckedForm

REQUIRED = _l("Trường này là bắt buộc.")


class EndpointForm(CheckedForm):
    """An endpoint (ward or commune Party committee)."""

    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(
        _l("Loại"), choices=[SelectChoice(kind.value, label) for kind, label in ENDPOINT_KIND_LABELS.items()]
    )
    code = StringField(_l("Mã điểm cầu"), validators=[Optional(), Length(max=64)])
    party_committee_name = StringField(_l("Tên Đảng ủy"), validators=[Optional(), Length(max=300)])
    active = BooleanField(_l("Đang hoạt động"), default=True)
    # validate_choice off: another channel is refused by the service, with its message.
    secretary_channels = SelectMultipleField(
        _l("Nhắc lịch giao ban cho bí thư chi bộ qua"),
        choices=[SelectChoice("sms", _l("SMS")), SelectChoice("zalo", _l("Zalo"))],
        validate_choice=False,
    )


class MergeForm(CheckedForm):
    """Choose the endpoint that absorbs this one, once what the merge moves has been shown."""

    target_id = ChosenSelectField(_l("Sáp nhập vào"), required=_l("Cần chọn điểm cầu nhận sáp nhập."))
    #: "1" once the person has seen what the merge moves; without it the merge page shows its confirmation.
    confirmed = HiddenField()


class CellForm(CheckedForm):
    """A Party cell."""

    name = StringField(_l("Tên chi bộ"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(
        _l("Loại"), choices=[SelectChoice(kind.value, label) for kind, label in CELL_KIND_LABELS.items()]
    )
    active = BooleanField(_l("Đang hoạt động"), default=True)


class PersonForm(CheckedForm):
    """A person of a cell."""

    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), Length(max=200)])
    cell_id = ChosenSelectField(_l("Chi bộ"), required=_l("Cần chọn chi bộ."))
    role = SelectField(
        _l("Vai trò"), choices=[SelectChoice(role.value, label) for role, label in PERSON_ROLE_LABELS.items()]
    )
    phone = StringField(_l("Số điện thoại"), validators=[Optional(), Length(max=32)])
    active = BooleanField(_l("Đang hoạt động"), default=True)


class AgencyForm(CheckedForm):
    """A handling agency."""

    name = StringField(_l("Tên cơ quan"), validators=[DataRequired(REQUIRED), Length(max=300)])
    endpoint_id = ChosenSelectField(_l("Thuộc điểm cầu (nếu có)"), placeholder=_l("— Không thuộc điểm cầu nào —"))
    email = StringField(_l("Thư điện tử"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Số điện thoại"), validators=[Optional(), Length(max=32)])
    active = BooleanField(_l("Đang hoạt động"), default=True)


class RosterImportForm(CheckedForm):
    """A roster file (CSV or XLSX)."""

    file = FileField(_l("Tệp danh sách (.csv hoặc .xlsx)"), validators=[FileRequired(_l("Cần chọn tệp."))])
