"""Per-account sign-in backoff, read from the audit log's own lines of failed and successful sign-ins.

The per-address limit (SIGN_IN_RATE_LIMIT) does not stop guesses spread over many addresses; this one counts them
per account name. After FREE_FAILURES failures in a row, each further attempt must wait FIRST_DELAY after the last
failure, doubling with every failure up to MAX_DELAY (so at most 4 guesses an hour per account after the first few).

Not locking the real user out: an address from which the account signed in successfully within TRUSTED_FOR (the
ward office's) keeps its own count, so failures from anywhere else never delay the user there, and the user's own
typos there never delay them elsewhere. Failures from all other addresses share one count. A successful sign-in
clears both counts (an attacker elsewhere then has FREE_FAILURES guesses again: a few more a day at most); failures
older than FORGET_AFTER are forgotten.

Unknown account names are counted exactly like real ones (the audit log names the typed name), so the backoff does
not tell which names exist. Parallel attempts that all start before the first failure is written can each pass; the
per-address limit and the cost of argon2 bound that burst.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import AuditEvent
from meeting_hub.database import utcnow
from meeting_hub.errors import ServiceError
from meeting_hub.extensions import db

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)
TRUSTED_FOR = timedelta(days=30)


class SignInThrottled(ServiceError):
    """Too many failed sign-ins for this account name from where this one comes: wait, then try again."""

    code = "too_many_requests"
    http_status = 429

    def __init__(self, wait: timedelta) -> None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        super().__init__(
            _("Đã nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút.", minutes=minutes)
        )
        self.wait = wait


def delay_after(failures: int) -> timedelta:
    """Return how long after the last failure the next attempt must wait, after this many failures in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doubled: timedelta = FIRST_DELAY * 2 ** min(failures - FREE_FAILURES, 16)
    return min(doubled, MAX_DELAY)


def check_sign_in_allowed(username: str) -> None:
    """Raise SignInThrottled when this account name (already folded) must wait before another attempt from the
    request's address (audit.client_address)."""
    now = utcnow()
    target = f"user:{username}"
    address = audit.client_address.get()
    trusted = set(
        db.session.scalars(
            sa.select(AuditEvent.ip_address)
            .distinct()
            .where(AuditEvent.action == "sign_in.ok", AuditEvent.target == target, AuditEvent.at >= now - TRUSTED_FOR)
        )
    )
    if address in trusted:
        same_count = AuditEvent.ip_address == address
    else:
        same_count = AuditEvent.ip_address.not_in(trusted) if trusted else sa.true()
    # Every query is bounded in time: the audit log only grows, and its `at` index keeps these reads small.
    forget_before = now - FORGET_AFTER
    last_success = db.session.scalar(
        sa.select(sa.func.max(AuditEvent.at)).where(
            AuditEvent.action == "sign_in.ok", AuditEvent.target == target, AuditEvent.at >= forget_before
        )
    )
    since: datetime = last_success if last_success is not None else forget_before
    failures, last_failure = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(AuditEvent.at)).where(
            AuditEvent.action == "sign_in.failed", AuditEvent.target == target, same_count, AuditEvent.at > since
        )
    ).one()
    if failures < FREE_FAILURES or last_failure is None:
        return
    wait = last_failure + delay_after(failures) - now
    if wait > timedelta(0):
        raise SignInThrottled(wait)
