"""Forms of the follow-up pages: raising, the workflow steps, bulk assignment and the categories."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from meeting_hub.choice_fields import ChosenSelectField
from meeting_hub.date_fields import VietnameseDateField
from meeting_hub.follow_up.models import ISSUE_PRIORITY_LABELS
from meeting_hub.follow_up.services import MAX_REASON_LENGTH, MAX_TEXT_LENGTH, MAX_TITLE_LENGTH
from meeting_hub.text_input import CheckedForm

REQUIRED = _l("Trường này là bắt buộc.")


class RaiseForm(CheckedForm):
    """An issue raised from the floor (organizers) or at an endpoint (operators)."""

    endpoint_id = ChosenSelectField(_l("Điểm cầu"), required=_l("Cần chọn điểm cầu nêu ý kiến."))
    person_id = SelectField(_l("Người nêu ý kiến"), coerce=int, validators=[Optional()])
    category = ChosenSelectField(_l("Lĩnh vực"), coerce=str, required=_l("Cần chọn lĩnh vực của ý kiến."))
    priority = SelectField(
        _l("Mức độ"), choices=[SelectChoice(p.value, label) for p, label in ISSUE_PRIORITY_LABELS.items()]
    )
    title = StringField(_l("Tiêu đề"), validators=[DataRequired(REQUIRED), Length(max=MAX_TITLE_LENGTH)])
    content = TextAreaField(_l("Nội dung"), validators=[Optional(), Length(max=MAX_TEXT_LENGTH)])
    #: Generated when the form is shown: submitting it twice (a double tap, a resend) records one issue.
    client_op_id = HiddenField()


class AssignForm(CheckedForm):
    """The agency and due date of an assignment."""

    agency_id = ChosenSelectField(_l("Cơ quan xử lý"), required=_l("Cần chọn cơ quan xử lý."))
    due_on = VietnameseDateField(_l("Hạn xử lý"), validators=[Optional()])
    comment = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=MAX_REASON_LENGTH)])


class BulkAssignForm(AssignForm):
    """The same, for the issues ticked on the list."""


class AnswerForm(CheckedForm):
    """The agency's answer, with an optional PDF."""

    body = TextAreaField(_l("Nội dung trả lời"), validators=[DataRequired(REQUIRED), Length(max=MAX_TEXT_LENGTH)])
    attachment = FileField(_l("Văn bản trả lời (PDF, không bắt buộc)"), validators=[FileAllowed(["pdf"], "PDF")])


class CloseForm(CheckedForm):
    """A leader accepts the answer."""

    comment = TextAreaField(_l("Ý kiến của lãnh đạo (không bắt buộc)"), validators=[Length(max=MAX_REASON_LENGTH)])


class ReturnForm(CheckedForm):
    """A leader returns the answer to the agency."""

    reason = TextAreaField(_l("Lý do trả lại"), validators=[DataRequired(REQUIRED), Length(max=MAX_REASON_LENGTH)])
    due_on = VietnameseDateField(_l("Hạn xử lý mới (không bắt buộc)"), validators=[Optional()])


class WithdrawForm(CheckedForm):
    """An organizer withdraws the issue."""

    reason = TextAreaField(_l("Lý do rút"), validators=[DataRequired(REQUIRED), Length(max=MAX_REASON_LENGTH)])


class CategoryForm(CheckedForm):
    """A category of raised issues."""

    name = StringField(_l("Tên lĩnh vực"), validators=[DataRequired(REQUIRED), Length(max=200)])
    code = StringField(_l("Mã"), validators=[DataRequired(REQUIRED), Length(max=64)])
    default_due_days = IntegerField(_l("Số ngày xử lý mặc định"), validators=[Optional(), NumberRange(1, 365)])
    position = IntegerField(_l("Thứ tự"), default=0, validators=[Optional(), NumberRange(0, 1000)])
    active = BooleanField(_l("Đang dùng"), default=True)
