"""What a password must be: 8 to 128 characters, not a common leaked password, not containing the username.

The leaked list is the 30,000 most common passwords shipped in the zxcvbn package, read from disk (nothing is
downloaded), plus a few local words; see docs/accounts.md.
"""

from __future__ import annotations

from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
#: Guessed first in this network and missing from an English list: the product's and the demo's own words.
LOCAL_COMMON_PASSWORDS = frozenset(
    {"matkhau", "matkhau1", "matkhau123", "matkhau@123", "meetinghub", "giaoban", "tuyengiao", "chilinh"}
)


#: The rules as the change form states them.
RULES = [
    _l(
        "Từ %(min)d đến %(max)d ký tự; nên dùng một cụm vài từ dễ nhớ.",
        min=MIN_PASSWORD_LENGTH,
        max=MAX_PASSWORD_LENGTH,
    ),
    _l("Không nằm trong danh sách 30.000 mật khẩu phổ biến đã bị lộ (kiểm tra ngay trên máy chủ, không gửi đi đâu)."),
    _l("Không chứa tên đăng nhập, và khác mật khẩu hiện tại."),
]


@cache
def _common_passwords() -> frozenset[str]:
    # Imported here: the module holds six frequency lists (a few MB), loaded once on the first password check.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]  # ships no type hints

    return frozenset(FREQUENCY_LISTS["passwords"]) | LOCAL_COMMON_PASSWORDS


def is_common_password(password: str) -> bool:
    """Tell whether the password, ignoring case, is on the list of common leaked passwords."""
    return password.lower() in _common_passwords()


def password_problem(password: str, username: str) -> str | None:
    """Return why this password is refused, or None when it follows the rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return str(_("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        return str(_("Mật khẩu dài tối đa %(n)d ký tự.", n=MAX_PASSWORD_LENGTH))
    if is_common_password(password):
        return str(_("Mật khẩu này nằm trong danh sách mật khẩu phổ biến đã bị lộ. Vui lòng chọn mật khẩu khác."))
    if username and username.lower() in password.lower():
        return str(_("Mật khẩu không được chứa tên đăng nhập."))
    return None
