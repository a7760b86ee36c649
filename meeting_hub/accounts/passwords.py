"""A user's own password change, which is also how the forced change at first sign-in is done.

Someone else's choice (an admin's reset in services.update_user, the demo's) must be replaced at the next sign-in;
every change ends the user's other sessions (User.session_version) and is audited.
"""

from __future__ import annotations

from flask_babel import gettext as _

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.accounts.password_rules import password_problem
from meeting_hub.accounts.services import set_password, verify_password
from meeting_hub.errors import AuditEntry, ValidationFailed


class WrongCurrentPassword(ValidationFailed):
    """The current password given with a change is wrong: refused and audited (a stolen session guessing it)."""

    def __init__(self, message: str, *, username: str) -> None:
        super().__init__(message, details={"current_password": message})
        self.username = username

    def audit_entry(self) -> AuditEntry | None:
        return AuditEntry("password.change_refused", f"user:{self.username}", {"reason": "wrong_current_password"})


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    """Replace the user's password after checking the current one; end their other sessions. The caller commits
    and signs the current session in again."""
    if not verify_password(user.password_hash, current_password):
        raise WrongCurrentPassword(_("Mật khẩu hiện tại không đúng."), username=user.username)
    problem = password_problem(new_password, user.username)
    if problem is None and verify_password(user.password_hash, new_password):
        problem = _("Mật khẩu mới phải khác mật khẩu hiện tại.")
    if problem is not None:
        raise ValidationFailed(problem, details={"new_password": problem})
    forced = user.must_change_password
    set_password(user, new_password, must_change=False)
    audit.record("password.change", user, target=f"user:{user.username}", forced=forced)
