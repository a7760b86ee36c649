"""What a password must be: 8 to 128 characters, not only spaces, not a common leaked password (spaces around it
aside), not guessable in under MIN_GUESSES tries by zxcvbn's estimate, not containing the username.

The leaked list is the 30,000 most common passwords shipped in the zxcvbn package, read from disk (nothing is
downloaded), plus a few local words; see docs/accounts.md. A password is used exactly as typed, spaces included, when
it is set and when it is checked at sign-in (ASVS 6.2.3): nothing strips it on either side.
"""

from __future__ import annotations

from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
#: zxcvbn's estimate of the guesses an attacker needs, below which a password is refused (repeats such as "aaaaaaaa",
#: sequences such as "abcdefgh", keyboard walks, a common word with a space or a digit). 10^5 keeps the demo's
#: published "demo12345" (about 4 x 10^5) valid, as the product contract needs.
MIN_GUESSES = 100_000
#: zxcvbn refuses longer input: a longer password is judged by its first 72 characters.
ESTIMATED_LENGTH = 72
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
    _l("Không quá dễ đoán: không lặp một ký tự, không theo dãy như abcdefgh hay 12345678, không chỉ gồm khoảng trắng."),
    _l("Không chứa tên đăng nhập, và khác mật khẩu hiện tại."),
]


@cache
def _common_passwords() -> frozenset[str]:
    # Imported here: the module holds six frequency lists (a few MB), loaded once on the first password check.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]  # ships no type hints

    return frozenset(FREQUENCY_LISTS["passwords"]) | LOCAL_COMMON_PASSWORDS


def is_common_password(password: str) -> bool:
    """Tell whether the password, ignoring case and spaces around it, is on the list of common leaked passwords."""
    return password.strip().lower() in _common_passwords()


def is_easy_to_guess(password: str, username: str) -> bool:
    """Tell whether zxcvbn estimates the password guessable in fewer than MIN_GUESSES tries."""
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # ships no type hints; imported here, like the lists

    guesses = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=[username] if username else [])["guesses"]
    return float(guesses) < MIN_GUESSES


def password_problem(password: str, username: str) -> str | None:
    """Return why this password is refused, or None when it follows the rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return str(_("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        return str(_("Mật khẩu dài tối đa %(n)d ký tự.", n=MAX_PASSWORD_LENGTH))
    if not password.strip():
        return str(_("Mật khẩu không được chỉ gồm khoảng trắng."))
    if is_common_password(password):
        return str(_("Mật khẩu này nằm trong danh sách mật khẩu phổ biến đã bị lộ. Vui lòng chọn mật khẩu khác."))
    if username and username.lower() in password.lower():
        return str(_("Mật khẩu không được chứa tên đăng nhập."))
    if is_easy_to_guess(password, username):
        return str(_("Mật khẩu quá dễ đoán (lặp ký tự, theo dãy hoặc theo hàng phím). Vui lòng chọn mật khẩu khác."))
    return None
