"""A user's contact details and channel choices: where messages reach them (e-mail, phone) and by which channels.

One rule for every path (the profile page, `PATCH /api/v1/me`, the admin's user form, `meeting-hub create-user`),
with the checks of notifications/contacts.py:

- an e-mail address must be one, a phone a Vietnamese mobile number (kept as typed); an empty value clears it;
- a channel cannot be chosen without its address (SMS and Zalo need the phone, e-mail the address), nor can the
  address of a chosen channel be cleared. What is already stored is left alone: every account starts with "email"
  chosen and no address, which the outbox records as unreachable so the organizer sees who lacks one.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.errors import ValidationFailed
from meeting_hub.notifications.contacts import channel_list, email_error, message_phone, phone_error
from meeting_hub.notifications.models import Channel
from meeting_hub.text_input import text_problem

#: The channels of an account nobody chose for yet (the column's default).
DEFAULT_CHANNELS = (Channel.EMAIL.value,)
#: How the pages name each channel.
CHANNEL_LABELS: dict[str, LazyString] = {
    Channel.EMAIL.value: _l("E-mail"),
    Channel.SMS.value: _l("SMS"),
    Channel.ZALO.value: _l("Zalo"),
}


@dataclass(frozen=True)
class ContactDetails:
    """An account's e-mail address, phone number (as typed) and chosen channels, as stored."""

    email: str | None
    phone: str | None
    channels: tuple[str, ...]

    @classmethod
    def of(cls, user: User) -> ContactDetails:
        """Return what the user has now."""
        return cls(user.email, user.phone, tuple(user.channels or ()))

    def address_for(self, channel: Channel) -> str | None:
        """Return the address a channel needs (the e-mail address, or the phone for SMS and Zalo)."""
        return self.email if channel is Channel.EMAIL else self.phone


#: What nothing has been set: the details a new account is checked against.
NEW_ACCOUNT = ContactDetails(None, None, DEFAULT_CHANNELS)


@dataclass(frozen=True)
class ContactChange:
    """What a person asks to change; None leaves a value as it is, an empty string clears an address."""

    email: str | None = None
    phone: str | None = None
    channels: list[str] | None = None


def _missing_address_message(channel: Channel) -> str:
    if channel is Channel.EMAIL:
        return str(_("Để nhận thông báo qua e-mail, cần nhập địa chỉ e-mail (hoặc bỏ chọn E-mail)."))
    return str(_("Để nhận thông báo qua SMS hoặc Zalo, cần nhập số điện thoại di động (hoặc bỏ chọn SMS và Zalo)."))


def checked_details(change: ContactChange, current: ContactDetails = NEW_ACCOUNT) -> ContactDetails:
    """Return the details after the change, or raise ValidationFailed naming each refused field."""
    errors: dict[str, str] = {}
    email, phone = current.email, current.phone
    if change.email is not None:
        email = change.email.strip() or None
        if email is not None and (problem := text_problem(email) or email_error(email)):
            errors["email"] = problem
    if change.phone is not None:
        phone = change.phone.strip() or None
        if phone is not None and len(phone) > 32:
            errors["phone"] = str(_("Số điện thoại dài quá 32 ký tự."))
        elif phone is not None and (problem := text_problem(phone) or phone_error(phone)):
            errors["phone"] = problem
    channels = current.channels
    if change.channels is not None:
        try:
            channels = tuple(channel.value for channel in channel_list(change.channels))
        except ValueError:
            errors["channels"] = str(_("Kênh nhận thông báo chỉ có thể là E-mail, SMS hoặc Zalo."))
    result = ContactDetails(email, phone, channels)
    if "channels" not in errors:
        missing: list[str] = []
        for channel in channel_list(channels):
            # Only a choice or an address changed now is checked: see the module docstring.
            touched = channel.value not in current.channels or result.address_for(channel) != current.address_for(
                channel
            )
            field = "email" if channel is Channel.EMAIL else "phone"
            message = _missing_address_message(channel)
            if touched and result.address_for(channel) is None and field not in errors and message not in missing:
                missing.append(message)
        if missing:
            errors["channels"] = " ".join(missing)
    if errors:
        raise ValidationFailed(_("Thông tin liên hệ chưa hợp lệ."), details=errors)
    return result


def change_contact_details(user: User, change: ContactChange, actor: User | None) -> bool:
    """Apply a change of the user's contact details after checking it, auditing what changed; the caller commits.

    Returns whether anything changed. The audit line names the changed fields, not the addresses.
    """
    before = ContactDetails.of(user)
    after = checked_details(change, before)
    changed = [name for name in ("email", "phone", "channels") if getattr(before, name) != getattr(after, name)]
    if not changed:
        return False
    user.email, user.phone, user.channels = after.email, after.phone, list(after.channels)
    audit.record("user.contacts", actor, target=f"user:{user.username}", changed=changed, channels=user.channels)
    return True


def unreachable_channels(user: User) -> list[str]:
    """Return the channels the user chose that have no usable address (an account's default "email" without one)."""
    details = ContactDetails.of(user)
    return [
        channel.value
        for channel in channel_list(details.channels)
        if (details.email if channel is Channel.EMAIL else message_phone(details.phone)) is None
    ]
