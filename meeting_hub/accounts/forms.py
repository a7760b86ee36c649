"""Forms of the accounts pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from meeting_hub.accounts.contact_details import CHANNEL_LABELS, DEFAULT_CHANNELS, ContactChange
from meeting_hub.accounts.roles import ROLE_LABELS, Role
from meeting_hub.choice_fields import ChosenSelectField
from meeting_hub.text_input import CheckedForm

LANGUAGE_CHOICES = [SelectChoice("vi", "Tiếng Việt"), SelectChoice("en", "English")]


class SignInForm(CheckedForm):
    """Username and password."""

    username = StringField(
        _l("Tên đăng nhập"), validators=[DataRequired(_l("Cần nhập tên đăng nhập.")), Length(max=64)]
    )
    # InputRequired, not DataRequired (which strips): a password is checked exactly as typed, spaces included.
    password = PasswordField(_l("Mật khẩu"), validators=[InputRequired(_l("Cần nhập mật khẩu.")), Length(max=200)])
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên thiết bị này"))


class ContactForm(CheckedForm):
    """E-mail address, phone number and the channels notices go by (accounts/contact_details.py checks them)."""

    # The service checks the formats and says why in Vietnamese; the length bound only keeps the column's size.
    email = EmailField(_l("Địa chỉ e-mail"), validators=[Length(max=254)])
    phone = TelField(_l("Số điện thoại di động"), validators=[Length(max=32)])
    # validate_choice off: an unknown channel is refused by the service, with its message.
    channels = SelectMultipleField(
        _l("Nhận thông báo qua"),
        choices=[SelectChoice(name, label) for name, label in CHANNEL_LABELS.items()],
        default=list(DEFAULT_CHANNELS),
        validate_choice=False,
    )

    def contact_change(self) -> ContactChange:
        """Return what the form asks: every field, an empty one clearing its value."""
        return ContactChange(
            email=self.email.data or "", phone=self.phone.data or "", channels=list(self.channels.data or [])
        )


class UserForm(ContactForm):
    """An admin's form for a user account, with the user's contact details."""

    username = StringField(
        _l("Tên đăng nhập"), validators=[DataRequired(_l("Cần nhập tên đăng nhập.")), Length(max=63)]
    )
    display_name = StringField(
        _l("Họ tên hiển thị"), validators=[DataRequired(_l("Cần nhập họ tên hiển thị.")), Length(max=200)]
    )
    role = ChosenSelectField(
        _l("Vai trò"),
        coerce=str,
        required=_l("Cần chọn vai trò."),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
    )
    endpoint_id = ChosenSelectField(_l("Điểm cầu (cán bộ điểm cầu)"))
    agency_id = ChosenSelectField(_l("Cơ quan (người trả lời)"))
    language = SelectField(_l("Ngôn ngữ"), choices=LANGUAGE_CHOICES)
    password = PasswordField(_l("Mật khẩu"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("Đang hoạt động"), default=True)

    def role_value(self) -> Role:
        """Return the chosen role."""
        return Role(self.role.data)


class ChangePasswordForm(CheckedForm):
    """The user's current password and the new one, typed twice (the rules are in password_rules.py)."""

    current_password = PasswordField(
        _l("Mật khẩu hiện tại"), validators=[InputRequired(_l("Cần nhập mật khẩu hiện tại.")), Length(max=200)]
    )
    new_password = PasswordField(
        _l("Mật khẩu mới"), validators=[InputRequired(_l("Cần nhập mật khẩu mới.")), Length(max=200)]
    )
    confirm_password = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            InputRequired(_l("Cần nhập lại mật khẩu mới.")),
            EqualTo("new_password", _l("Hai lần nhập mật khẩu mới không khớp nhau.")),
        ],
    )


class LanguageForm(CheckedForm):
    """The user's interface language."""

    language = SelectField(_l("Ngôn ngữ giao diện"), choices=LANGUAGE_CHOICES)


class TokenForm(CheckedForm):
    """A label for a new API token."""

    label = StringField(_l("Tên gợi nhớ"), validators=[DataRequired(_l("Cần đặt tên gợi nhớ.")), Length(max=200)])


class ConfirmForm(CheckedForm):
    """An empty form: a button with a CSRF token."""
