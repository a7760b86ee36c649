"""Phone numbers, e-mail addresses and channel choices as people type them, and the forms messages use.

Phone numbers are kept as typed on people and users (rosters come from spreadsheets); messages use the international
form without "+": "84912345678", what SMS gateways and Zalo ZNS expect.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import gettext as _

from meeting_hub.notifications.models import Channel

#: Vietnamese mobile numbers: 0 or +84 / 84, then 9 digits starting with 3, 5, 7, 8 or 9.
_MOBILE = re.compile(r"^(?:\+?84|0)([35789][0-9]{8})$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+$")
#: What people put inside numbers: spaces, dots, dashes and brackets ("091 234.56-78", "(+84) 912 345 678").
_PHONE_PUNCTUATION = re.compile(r"[\s.\-()]")


def message_phone(typed: str | None) -> str | None:
    """Return the number in the form messages use ("84912345678"), or None when it is not a Vietnamese mobile number."""
    if not typed:
        return None
    match = _MOBILE.fullmatch(_PHONE_PUNCTUATION.sub("", typed))
    return f"84{match.group(1)}" if match else None


def phone_error(typed: str) -> str | None:
    """Return why a typed phone number cannot receive messages, or None when it can."""
    if message_phone(typed) is None:
        return str(_("Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678 hoặc +84 912 345 678)."))
    return None


def email_error(typed: str) -> str | None:
    """Return why a typed e-mail address is not one, or None when it is."""
    if len(typed) > 254 or not _EMAIL.fullmatch(typed):
        return str(_("Địa chỉ e-mail không hợp lệ (ví dụ: ten@chilinh.gov.vn)."))
    return None


def channel_list(chosen: Iterable[str]) -> list[Channel]:
    """Return the chosen channels in the usual order, once each; unknown names raise ValueError."""
    wanted = {Channel(name) for name in chosen}
    return [channel for channel in Channel if channel in wanted]
