"""Error responses: JSON `{"error": {code, message}}` under /api, a Vietnamese page or a redirect elsewhere."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from meeting_hub import database
from meeting_hub.accounts import audit
from meeting_hub.accounts.access import NotSignedIn, bearer_token
from meeting_hub.errors import ServiceError
from meeting_hub.extensions import db
from meeting_hub.observability.request_ids import loggable_path
from meeting_hub.validation_messages import flat_details

API_PREFIX = "/api/"

_HTTP_MESSAGES = {
    400: ("bad_request", _l("Yêu cầu không hợp lệ.")),
    401: ("unauthorized", _l("Vui lòng đăng nhập để tiếp tục.")),
    403: ("forbidden", _l("Bạn không có quyền truy cập chức năng này.")),
    404: ("not_found", _l("Không tìm thấy trang hoặc dữ liệu yêu cầu.")),
    405: ("method_not_allowed", _l("Phương thức không được hỗ trợ.")),
    413: ("too_large", _l("Tệp hoặc dữ liệu gửi lên quá lớn.")),
    415: ("unsupported_media_type", _l("Định dạng dữ liệu không được hỗ trợ.")),
    422: ("invalid", _l("Dữ liệu gửi lên chưa hợp lệ.")),
    429: ("too_many_requests", _l("Bạn thao tác quá nhanh. Vui lòng đợi một lát rồi thử lại.")),
    500: ("server_error", _l("Hệ thống gặp lỗi. Vui lòng thử lại sau.")),
    503: ("try_again", _l("Hệ thống đang bận. Vui lòng thử lại sau giây lát.")),
}

#: What a 503 for a busy database asks the client to wait before sending the same request again.
RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    """Tell whether the client should get JSON errors (the API, or a bearer-token call)."""
    return request.path.startswith(API_PREFIX) or bearer_token() is not None


def error_response(status: int, code: str, message: str, details: Any = None) -> Response | tuple[Any, int]:
    """Answer an error as JSON for API clients, as a page (or sign-in redirect) for browsers."""
    if wants_json():
        body: dict[str, Any] = {"code": code, "message": message}
        if details:
            body["details"] = details
        response = jsonify({"error": body})
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="meeting-hub"'
        return response
    if status == 401:
        flash(message, "warning")
        return redirect(url_for("accounts.sign_in", next=request.full_path if request.method == "GET" else None))
    return render_template("errors/error.html", status=status, message=message), status


def audit_refusal(error: ServiceError) -> None:
    """Write what the audit log keeps of a refusal (denials, refused workflow steps), by the request's user, after
    the caller rolled back the refused work; the caller commits."""
    entry = error.audit_entry()
    if entry is not None:
        user = current_user if current_user.is_authenticated else None
        audit.record(entry.action, user, target=entry.target or f"{request.method} {request.path}", **entry.detail)


def _handle_service_error(error: ServiceError) -> Response | tuple[Any, int]:
    db.session.rollback()
    audit_refusal(error)
    db.session.commit()
    return error_response(error.http_status, error.code, error.message, error.details)


def _handle_csrf_error(error: CSRFError) -> Response | tuple[Any, int]:
    return error_response(
        400, "csrf_failed", _("Phiên biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.")
    )


def _end_failed_transaction() -> None:
    """Roll back the request's transaction before anything else reads through the session.

    After a failed flush the session refuses every use until rolled back, and an error handler that reads the
    user (for the language, the log line) would then fail itself: the client got Werkzeug's HTML page, even under
    /api. The rollback must not fail the handler either (a connection already gone).
    """
    try:
        db.session.rollback()
    except Exception:  # the handler still answers; the pool discards the broken connection
        current_app.logger.warning("rolling back after an error failed", exc_info=True)


def _handle_http_exception(error: HTTPException) -> Response | tuple[Any, int]:
    status = error.code or 500
    if status >= 500:
        _end_failed_transaction()
    code, lazy_message = _HTTP_MESSAGES.get(status, ("error", _l("Yêu cầu không hợp lệ.")))
    try:
        message = str(lazy_message)
        details = None
        data = getattr(error, "data", None)  # webargs / flask-smorest validation errors
        if isinstance(data, dict):
            raw_details = data.get("messages") or data.get("errors")
            details = flat_details(raw_details) if raw_details else None
            if status == 422:
                code, message = "invalid", _("Dữ liệu gửi lên chưa hợp lệ.")
        response: Response = make_response(error_response(status, code, message, details))
    except Exception:
        if status < 500:
            raise
        # The page (or the user's language) needs the database, which may be what failed: answer plainly.
        current_app.logger.exception("the error page failed; answering without it")
        response = _plain_error(status, code)
    # Keep what the exception says about the request: Allow on 405 (RFC 9110), Retry-After, WWW-Authenticate.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _plain_error(status: int, code: str) -> Response:
    """Answer an error without the database: JSON under /api (the contract's shape), else a bare page."""
    with force_locale(str(current_app.config["DEFAULT_LANGUAGE"])):
        message = str(_HTTP_MESSAGES.get(status, (code, _l("Yêu cầu không hợp lệ.")))[1])
    if request.path.startswith(API_PREFIX):
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        response = make_response(f"<!doctype html><meta charset=utf-8><title>{status}</title><p>{escape(message)}</p>")
    response.status_code = status
    return response


def _handle_database_error(error: sa.exc.DBAPIError) -> Response | tuple[Any, int]:
    """Answer a database that is busy (a lock held too long, a lost connection) with 503 and Retry-After: the
    client sends the same request again. Any other database error is unexpected."""
    if not database.is_transient(error):
        if current_app.testing:
            raise error  # as with every unexpected error under test: the test sees its traceback
        return _handle_unexpected(error)
    _end_failed_transaction()
    current_app.logger.warning("database busy on %s %s: %s", request.method, loggable_path(), error.orig)
    # Answered without the user's language: reading the user would wait on the same lock again.
    response = _plain_error(503, "try_again")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _handle_unexpected(error: Exception) -> Response | tuple[Any, int]:
    if isinstance(error, HTTPException):
        return _handle_http_exception(error)
    _end_failed_transaction()  # before the log line binds the user, which reads through the session
    # Logged here, once, with its traceback and the request id (meeting_hub/observability); never the URL's secret.
    current_app.logger.exception("unhandled error on %s %s", request.method, loggable_path())
    return _handle_http_exception(InternalServerError(original_exception=error))


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(ServiceError, _handle_service_error)
    app.register_error_handler(NotSignedIn, _handle_service_error)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(sa.exc.DBAPIError, _handle_database_error)
    if not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
