"""Account operations: passwords, sign-in, users, API tokens and calendar feed tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

from meeting_hub.accounts import audit, live_access, sign_in_throttle
from meeting_hub.accounts.contact_details import (
    NEW_ACCOUNT,
    ContactChange,
    ContactDetails,
    change_contact_details,
    checked_details,
)
from meeting_hub.accounts.models import ApiToken, SignInSession, User
from meeting_hub.accounts.password_rules import password_problem
from meeting_hub.accounts.roles import Role
from meeting_hub.database import utcnow
from meeting_hub.errors import Conflict, NotFound, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.network.models import Agency, Endpoint
from meeting_hub.vietnamese import search_terms, sort_key

_password_hasher = PasswordHasher()
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
API_TOKEN_PREFIX = "mh_"
#: The published password of the demo accounts (meeting_hub/demo.py), shown on the sign-in page of a demo install.
DEMO_PASSWORD = "demo12345"


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether the password matches the stored hash."""
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_dummy_hashes: dict[int, str] = {}


def _dummy_password_hash() -> str:
    """Return a hash made by the current hasher, to verify against when the account does not exist."""
    key = id(_password_hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = _password_hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hashes[key]


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, auditing the attempt either way; the caller commits.

    Raises SignInThrottled while the account name must wait (sign_in_throttle.py); the caller commits its audit line.
    """
    username = username.strip().lower()
    try:
        sign_in_throttle.check_sign_in_allowed(username)
    except sign_in_throttle.SignInThrottled:
        audit.record("sign_in.throttled", None, actor_name=username, target=f"user:{username}")
        raise
    user = db.session.scalar(sa.select(User).where(User.username == username))
    # An unknown or inactive name costs one argon2 verification too, so timing does not tell which names exist.
    password_hash = user.password_hash if user is not None and user.active else _dummy_password_hash()
    if not verify_password(password_hash, password) or user is None or not user.active:
        audit.record("sign_in.failed", user if user else None, actor_name=username, target=f"user:{username}")
        return None
    if _password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = utcnow()
    audit.record("sign_in.ok", user, target=f"user:{user.username}")
    return user


def set_password(user: User, password: str, *, must_change: bool) -> None:
    """Store a new password (already checked against the rules) and end every session of the user."""
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.password_changed_at = utcnow()
    user.end_sessions()


@dataclass
class UserData:
    """What an admin fills in for a user; password is only required on creation."""

    username: str
    display_name: str
    role: Role
    endpoint_id: int | None = None
    agency_id: int | None = None
    language: str = "vi"
    password: str | None = None
    active: bool = True
    #: Whether the user must replace this password at the next sign-in (it was chosen by someone else).
    must_change_password: bool = False
    #: E-mail, phone and channels (accounts/contact_details.py); left as ContactChange() they stay as they are.
    contacts: ContactChange = field(default_factory=ContactChange)


def _validate_user(data: UserData, existing: User | None) -> None:
    errors: dict[str, str] = {}
    if not USERNAME_PATTERN.match(data.username):
        errors["username"] = _("Tên đăng nhập gồm 2-63 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang.")
    else:
        clash = db.session.scalar(sa.select(User.id).where(User.username == data.username))
        if clash is not None and (existing is None or clash != existing.id):
            errors["username"] = _("Tên đăng nhập này đã có người dùng.")
    if not data.display_name.strip():
        errors["display_name"] = _("Cần nhập họ tên hiển thị.")
    if existing is None and not data.password:
        errors["password"] = _("Cần đặt mật khẩu.")
    problem = password_problem(data.password, data.username) if data.password else None
    if problem is not None:
        errors["password"] = problem
    if data.role == Role.OPERATOR and (data.endpoint_id is None or db.session.get(Endpoint, data.endpoint_id) is None):
        errors["endpoint_id"] = _("Cán bộ điểm cầu phải thuộc một điểm cầu.")
    if data.role == Role.RESPONDER and (data.agency_id is None or db.session.get(Agency, data.agency_id) is None):
        errors["agency_id"] = _("Người trả lời phải thuộc một cơ quan xử lý.")
    if data.language not in ("vi", "en"):
        errors["language"] = _("Ngôn ngữ không hợp lệ.")
    try:
        checked_details(data.contacts, ContactDetails.of(existing) if existing is not None else NEW_ACCOUNT)
    except ValidationFailed as refusal:
        errors.update(refusal.details or {})
    if errors:
        raise ValidationFailed(_("Thông tin người dùng chưa hợp lệ."), details=errors)


def create_user(data: UserData, actor: User | None) -> User:
    """Create a user after validating the data; the caller commits."""
    data.username = data.username.strip().lower()
    _validate_user(data, None)
    assert data.password is not None
    user = User(
        username=data.username,
        display_name=data.display_name.strip(),
        password_hash=hash_password(data.password),
        role=data.role,
        endpoint_id=data.endpoint_id if data.role == Role.OPERATOR else None,
        agency_id=data.agency_id if data.role == Role.RESPONDER else None,
        language=data.language,
        active=data.active,
        must_change_password=data.must_change_password,
        feed_token=secrets.token_urlsafe(24),
    )
    contacts = checked_details(data.contacts)
    user.email, user.phone, user.channels = contacts.email, contacts.phone, list(contacts.channels)
    user.refresh_search_text()
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.create",
        actor,
        target=f"user:{user.username}",
        role=user.role.value,
        must_change=user.must_change_password,
        channels=user.channels,
    )
    return user


def update_user(user: User, data: UserData, actor: User) -> User:
    """Change a user's profile, role or password (a new password is a reset: the user must change it and their
    sessions end); the caller commits."""
    data.username = data.username.strip().lower()
    _validate_user(data, user)
    user.username = data.username
    user.display_name = data.display_name.strip()
    user.role = data.role
    user.endpoint_id = data.endpoint_id if data.role == Role.OPERATOR else None
    user.agency_id = data.agency_id if data.role == Role.RESPONDER else None
    user.language = data.language
    if data.password:
        set_password(user, data.password, must_change=True)
        audit.record("password.reset", actor, target=f"user:{user.username}")
    if user.active and not data.active:
        revoke_all_tokens(user)
        user.end_sessions()
    user.active = data.active
    change_contact_details(user, data.contacts, actor)
    user.refresh_search_text()
    audit.record("user.update", actor, target=f"user:{user.username}", role=user.role.value, active=user.active)
    return user


def deactivate_user(user: User, actor: User) -> None:
    """Deactivate a user and revoke their tokens; an admin cannot lock themselves out."""
    if user.id == actor.id:
        raise Conflict(_("Bạn không thể tự khóa tài khoản của mình."))
    user.active = False
    revoke_all_tokens(user)
    user.end_sessions()
    audit.record("user.deactivate", actor, target=f"user:{user.username}")


def get_user(user_id: int) -> User:
    """Return the user or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("Không tìm thấy người dùng."))
    return user


def find_user(username: str) -> User:
    """Return the user with this username or raise NotFound."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(_("Không tìm thấy người dùng %(name)s.", name=username))
    return user


def _token_digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def issue_api_token(user: User, label: str, actor: User | None) -> str:
    """Create an API token for the user and return it in clear, the only time it is visible."""
    raw_token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(raw_token), label=label.strip()[:200]))
    audit.record("api_token.create", actor, target=f"user:{user.username}", label=label)
    return raw_token


def find_api_token(raw_token: str) -> ApiToken | None:
    """Return this unrevoked token of an active user, noting when it was used."""
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == _token_digest(raw_token), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    return token


def user_for_api_token(raw_token: str) -> User | None:
    """Return the active user owning this unrevoked token, noting when it was used."""
    token = find_api_token(raw_token)
    return token.user if token is not None else None


def revoke_api_token(token_id: int, actor: User) -> None:
    """Revoke one of the actor's tokens (admins may revoke anyone's)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and actor.role != Role.ADMIN):
        raise NotFound(_("Không tìm thấy mã truy cập."))
    token.revoked_at = token.revoked_at or utcnow()
    audit.record("api_token.revoke", actor, target=f"api_token:{token.id}")


def revoke_all_tokens(user: User) -> None:
    """Revoke every token of a user (when they are deactivated)."""
    revoked = db.session.scalars(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(ApiToken.id)
    ).all()
    if revoked:  # a bulk UPDATE: the flush that raises the epoch never sees it
        user.auth_epoch = live_access.raised_epoch()
        live_access.note_bulk_changes([live_access.AccessChange(user.id, revoked_tokens=frozenset(revoked))])


def start_sign_in(user: User) -> int:
    """Record a browser sign-in of the user and return its id (part of the session and remember-me cookies)."""
    sign_in = SignInSession(user_id=user.id)
    db.session.add(sign_in)
    db.session.flush()
    return sign_in.id


def end_sign_in(user_id: int, sign_in_id: int) -> None:
    """End one browser sign-in (sign-out): its cookies, saved copies included, stop working."""
    sign_in = db.session.get(SignInSession, sign_in_id)
    if sign_in is not None and sign_in.user_id == user_id and sign_in.ended_at is None:
        sign_in.ended_at = utcnow()


def sign_in_is_open(user_id: int, sign_in_id: int) -> bool:
    """Tell whether this browser sign-in of the user has not been ended."""
    sign_in = db.session.get(SignInSession, sign_in_id)
    return sign_in is not None and sign_in.user_id == user_id and sign_in.ended_at is None


def purge_sign_ins(*, ended_before: datetime, started_before: datetime) -> int:
    """Delete the sign-ins ended before a moment, and those started so long ago that no cookie naming them is still
    alive; return how many. A deleted sign-in is refused like an ended one."""
    result = db.session.execute(
        sa.delete(SignInSession).where(
            sa.or_(SignInSession.ended_at < ended_before, SignInSession.started_at < started_before)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def list_api_tokens(user: User) -> list[ApiToken]:
    """Return the user's tokens, newest first."""
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def reset_feed_token(user: User) -> str:
    """Give the user a new calendar feed token; the old feed URL stops working."""
    user.feed_token = secrets.token_urlsafe(24)
    audit.record("calendar_feed.reset", user, target=f"user:{user.username}")
    return user.feed_token


def set_language(user: User, language: str) -> None:
    """Set the user's interface language."""
    if language not in ("vi", "en"):
        raise ValidationFailed(_("Ngôn ngữ không hợp lệ."))
    user.language = language


@dataclass(frozen=True)
class DemoInstall:
    """What the sign-in page of a demo install says: an example account, and whether demo passwords must change."""

    example_username: str
    must_change: bool
    password: str = DEMO_PASSWORD


def demo_install() -> DemoInstall | None:
    """Describe the demo accounts still on the published password, or None when there are none."""
    rows = db.session.execute(
        sa.select(User.username, User.must_change_password)
        .where(User.demo_account.is_(True), User.active.is_(True), User.password_changed_at.is_(None))
        .order_by(User.id)
    ).all()
    if not rows:
        return None
    return DemoInstall(example_username=rows[0].username, must_change=any(row.must_change_password for row in rows))


def list_users(query: str | None = None) -> list[User]:
    """Return users matching a diacritics-insensitive query, in Vietnamese order of name."""
    statement = sa.select(User)
    for term in search_terms(query):
        statement = statement.where(User.search_text.contains(term))
    return sorted(db.session.scalars(statement), key=lambda user: (sort_key(user.display_name), user.username))
