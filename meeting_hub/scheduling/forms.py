"""Forms of the scheduling pages: series, briefing, holiday, status changes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from meeting_hub.date_fields import VietnameseDateField, VietnameseMonthField, VietnameseTimeField
from meeting_hub.scheduling.recurrence import WEEK_LABELS, WEEKDAY_LABELS
from meeting_hub.text_input import CheckedForm
from meeting_hub.web_links import WebLink

REQUIRED = _l("Trường này là bắt buộc.")


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes instead of a multiple select (easier on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SeriesForm(CheckedForm):
    """A monthly series."""

    title = StringField(_l("Tên chuỗi giao ban"), validators=[DataRequired(REQUIRED), Length(max=250)])
    rule_kind = RadioField(
        _l("Lặp lại"),
        choices=[
            SelectChoice("weekday", _l("Theo thứ trong tuần (vd. Thứ Ba thứ hai của tháng)")),
            SelectChoice("day", _l("Theo ngày trong tháng (vd. ngày 15)")),
        ],
        default="weekday",
    )
    weekday = SelectField(
        _l("Thứ"), coerce=int, choices=[SelectChoice(i, label) for i, label in enumerate(WEEKDAY_LABELS)], default=1
    )
    week = SelectField(
        _l("Tuần"), coerce=int, choices=[SelectChoice(k, label) for k, label in WEEK_LABELS.items()], default=2
    )
    day = IntegerField(
        _l("Ngày trong tháng"),
        validators=[Optional(), NumberRange(1, 31, _l("Ngày từ 1 đến 31."))],
        description=_l("Tháng không có ngày này (vd. ngày 31 của tháng 2) thì họp vào ngày cuối tháng."),
    )
    start_time = VietnameseTimeField(_l("Giờ bắt đầu"), validators=[DataRequired(REQUIRED)])
    duration_minutes = IntegerField(
        _l("Thời lượng (phút)"), default=120, validators=[DataRequired(REQUIRED), NumberRange(15, 720)]
    )
    first_month = VietnameseMonthField(_l("Tháng bắt đầu"), validators=[DataRequired(REQUIRED)])
    months = IntegerField(
        _l("Số tháng"),
        validators=[Optional(), NumberRange(1, 120, _l("Từ 1 đến 120 tháng."))],
        description=_l("Để trống nếu chuỗi không có hạn kết thúc (lịch luôn được tạo trước 12 tháng)."),
    )
    all_endpoints = BooleanField(_l("Mời tất cả điểm cầu đang hoạt động"), default=True)
    endpoint_ids = MultiCheckboxField(_l("Điểm cầu được mời"), coerce=int, validators=[Optional()])
    video_link = StringField(
        _l("Đường dẫn họp trực tuyến"),
        validators=[Optional(), WebLink()],
    )
    room = StringField(_l("Phòng họp"), validators=[Optional(), Length(max=300)])


class BriefingForm(CheckedForm):
    """One briefing; the agenda rows are read from the request separately."""

    title = StringField(_l("Tiêu đề"), validators=[Optional(), Length(max=300)])
    day = VietnameseDateField(_l("Ngày"), validators=[DataRequired(REQUIRED)])
    start_time = VietnameseTimeField(_l("Giờ bắt đầu"), validators=[DataRequired(REQUIRED)])
    end_time = VietnameseTimeField(_l("Giờ kết thúc"), validators=[DataRequired(REQUIRED)])
    video_link = StringField(
        _l("Đường dẫn họp trực tuyến"),
        validators=[Optional(), WebLink()],
    )
    room = StringField(_l("Phòng họp"), validators=[Optional(), Length(max=300)])
    notes = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=5000)])
    endpoint_ids = MultiCheckboxField(_l("Điểm cầu được mời"), coerce=int)


class StatusChangeForm(CheckedForm):
    """A change of a briefing's status (open, close, cancel, reopen), sent from its confirmation step."""

    #: "1" once the person has been shown what the change will do; without it the page shows the confirmation step.
    confirmed = HiddenField()
    #: The number of unrecorded people the closing confirmation stated.
    confirm_unrecorded = IntegerField(validators=[Optional(), NumberRange(min=0)], widget=HiddenInput())
    reason = TextAreaField(_l("Lý do"), validators=[Optional(), Length(max=500, message=_l("Tối đa 500 ký tự."))])


class HolidayForm(CheckedForm):
    """A holiday or Tết day."""

    day = VietnameseDateField(_l("Ngày"), validators=[DataRequired(REQUIRED)])
    name = StringField(_l("Tên ngày lễ"), validators=[DataRequired(REQUIRED), Length(max=200)])


class HolidayRenameForm(CheckedForm):
    """A holiday's new name."""

    name = StringField(_l("Tên ngày lễ"), validators=[DataRequired(REQUIRED), Length(max=200)])


class HolidayRestoreForm(CheckedForm):
    """The year whose official holidays are added back."""

    year = IntegerField(
        _l("Năm"), validators=[DataRequired(REQUIRED), NumberRange(2000, 2100, _l("Năm từ 2000 đến 2100."))]
    )
