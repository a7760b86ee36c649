"""Request hooks that authenticate (session or bearer token) and enforce the access policy on every route."""

from __future__ import annotations

from flask import Flask, abort, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from meeting_hub.accounts import audit, services
from meeting_hub.accounts.models import User
from meeting_hub.accounts.policy import rule_for
from meeting_hub.errors import AccessDenied, ServiceError
from meeting_hub.extensions import csrf, db, login_manager

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotSignedIn(ServiceError):
    """No valid session or token; the API answers 401, the UI redirects to sign-in."""

    code = "unauthorized"
    http_status = 401


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
    if bearer_token() is not None or not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


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


def check_csrf() -> None:
    """Require a CSRF token on every state-changing request made with a browser session."""
    if request.method in SAFE_METHODS or g.get("authenticated_by_token"):
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    csrf.protect(apply_exemptions=True)


def init_app(app: Flask) -> None:
    """Install the authentication and authorisation hooks; policy first, so an anonymous POST gets 401, not 400."""
    login_manager.login_view = "accounts.sign_in"
    # "basic", not "strong": an operator's phone changes address on a mobile network and must stay signed in.
    login_manager.session_protection = "basic"
    app.before_request(authorize_request)
    app.before_request(check_csrf)
