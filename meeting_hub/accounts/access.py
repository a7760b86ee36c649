"""Request hooks that authenticate (session or bearer token) and enforce the access policy on every route."""

from __future__ import annotations

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from meeting_hub.accounts import audit, services
from meeting_hub.accounts.models import User
from meeting_hub.accounts.policy import rule_for
from meeting_hub.errors import AccessDenied, ServiceError
from meeting_hub.extensions import csrf, db, login_manager

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: What a user who must change their password may still reach with their session (public routes aside).
PASSWORD_CHANGE_ROUTES = frozenset(
    {
        "accounts.change_password",
        "accounts.sign_out",
        "accounts.set_language",
        "api_accounts.me",
        "api_accounts.change_password",
    }
)


class NotSignedIn(ServiceError):
    """No valid session or token; the API answers 401, the UI redirects to sign-in."""

    code = "unauthorized"
    http_status = 401


class PasswordChangeRequired(ServiceError):
    """The session's user must change their password first (the API answers 403, pages lead to the change form)."""

    code = "password_change_required"
    http_status = 403


def bearer_token() -> str | None:
    """Return the bearer token of the current request, if it carries one."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def signed_in_user() -> User | None:
    """Return the user of the current request, or None."""
    user = current_user._get_current_object()
    return user if isinstance(user, User) else None


def acting_user() -> User:
    """Return the signed-in user of a view the policy reserves for signed-in users (401 if somehow anonymous)."""
    user = signed_in_user()
    if user is None:
        abort(401)
    return user


@login_manager.user_loader
def _load_user_from_session(user_id: str) -> User | None:
    # A request that carries a bearer token is judged by the token alone, never by a cookie next to it.
    if bearer_token() is not None:
        return None
    # The id is "<user id>:<session version>:<sign-in id>" (sign_in_session): a session signed before the version
    # was raised (password change, reset, deactivation), or whose sign-in was ended (sign-out), no longer loads;
    # neither does an id of an older form, whose cookie could never be ended.
    parts = user_id.split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    raw_id, raw_version, raw_sign_in = parts
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or user.session_version != int(raw_version):
        return None
    if not services.sign_in_is_open(user.id, int(raw_sign_in)):
        return None
    return user


def _session_sign_in() -> tuple[int, int] | None:
    """Return the user id and the sign-in of the current session's id, or None."""
    parts = str(session.get("_user_id") or "").split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    return int(parts[0]), int(parts[2])


def current_sign_in_id() -> int | None:
    """Return the browser sign-in of the current session (the last part of its id), or None."""
    current = _session_sign_in()
    return current[1] if current is not None else None


def sign_in_session(user: User, sign_in_id: int, *, remember: bool) -> None:
    """Sign the browser session in as the user under this sign-in (also after the user's own password change)."""
    previous = _session_sign_in()
    if previous is not None and previous[1] != sign_in_id:
        services.end_sign_in(*previous)  # signing in over another sign-in ends it, copies of its cookies included
        db.session.commit()
    login_user(user, remember=remember)
    # Flask-Login keeps the user's get_id() in the session and the remember-me cookie: add the sign-in to it, so
    # that ending this sign-in ends both cookies, saved copies included.
    session["_user_id"] = f"{user.get_id()}:{sign_in_id}"
    _rotate_csrf_token()


def resume_session(user: User) -> None:
    """Sign the current browser session in again after the user's session version was raised by this session."""
    sign_in_id = current_sign_in_id()
    if sign_in_id is None:
        sign_in_id = services.start_sign_in(user)
        db.session.commit()
    sign_in_session(user, sign_in_id, remember=has_remember_cookie())


def end_session() -> None:
    """Sign the browser session out and end its sign-in, so that a saved copy of its cookies no longer works."""
    user, sign_in_id = signed_in_user(), current_sign_in_id()
    if user is not None and sign_in_id is not None:
        services.end_sign_in(user.id, sign_in_id)
        db.session.commit()
    logout_user()
    _rotate_csrf_token()


def _rotate_csrf_token() -> None:
    # A token seen before sign-in (or by the previous user of the browser) must not be valid after it.
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)


@login_manager.request_loader
def _load_user_from_bearer_token(_request: object) -> User | None:
    token = bearer_token()
    if token is None:
        return None
    user = services.user_for_api_token(token)
    if user is not None:
        g.authenticated_by_token = True
        db.session.commit()  # keep last_used_at
    return user


def authorize_request() -> None:
    """Refuse the request unless the policy lets this user reach this route."""
    audit.client_address.set(request.remote_addr or "")
    if request.endpoint is None:
        return  # no route matched: Flask answers 404 itself
    rule = rule_for(request.endpoint)
    user = signed_in_user()
    if rule is not None and rule.allows(user):
        return
    if rule is not None and user is None:
        if bearer_token() is not None:
            audit.record("access.bad_token", None, target=request.path)
            db.session.commit()
        raise NotSignedIn(_("Vui lòng đăng nhập để tiếp tục."))
    # Signed in but outside the role's rights, or a route nobody wrote a policy for (refused: fail closed).
    # The error handler writes the denial to the audit log, as for denials raised by services.
    raise AccessDenied(_("Bạn không có quyền truy cập chức năng này."))


def require_password_change() -> ResponseReturnValue | None:
    """Lead a session whose user must change their password to the change form (the API answers 403).

    Bearer tokens are not held back: a token is its own credential, made after the change (the profile page is
    out of reach before it) or by the server's administrator on the command line; see docs/api.md.
    """
    user = signed_in_user()
    if user is None or not user.must_change_password or g.get("authenticated_by_token"):
        return None
    rule = rule_for(request.endpoint)
    if rule is None or rule.public or request.endpoint in PASSWORD_CHANGE_ROUTES:
        return None
    if request.path.startswith("/api/"):
        raise PasswordChangeRequired(_("Bạn cần đổi mật khẩu trước khi tiếp tục."))
    return redirect(url_for("accounts.change_password"))


def check_csrf() -> None:
    """Require a CSRF token on every state-changing request made with a browser session."""
    if request.method in SAFE_METHODS or g.get("authenticated_by_token"):
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    csrf.protect(apply_exemptions=True)


def sign_in_limit() -> str:
    """Return the rate limit of sign-in and password changes (guesses of a password)."""
    return str(current_app.config["SIGN_IN_RATE_LIMIT"])


def has_remember_cookie() -> bool:
    """Tell whether the browser holds a remember-me cookie (kept when the session is signed in again)."""
    return str(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")) in request.cookies


def init_app(app: Flask) -> None:
    """Install the authentication and authorisation hooks; policy first, so an anonymous POST gets 401, not 400."""
    login_manager.login_view = "accounts.sign_in"
    # "basic", not "strong": an operator's phone changes address on a mobile network and must stay signed in.
    login_manager.session_protection = "basic"
    app.before_request(authorize_request)
    app.before_request(require_password_change)
    app.before_request(check_csrf)
