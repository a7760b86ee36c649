"""Pages: sign-in and sign-out, the home page of each role, the user's profile, and user administration."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from wtforms.fields.choices import SelectChoice

from meeting_hub.accounts import audit_log as audit_log_view
from meeting_hub.accounts import password_rules, passwords, services
from meeting_hub.accounts.access import acting_user, end_session, resume_session, sign_in_limit, sign_in_session
from meeting_hub.accounts.audit_log import AuditFilters
from meeting_hub.accounts.contact_details import CHANNEL_LABELS, change_contact_details, unreachable_channels
from meeting_hub.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ContactForm,
    LanguageForm,
    SignInForm,
    TokenForm,
    UserForm,
)
from meeting_hub.accounts.models import User
from meeting_hub.accounts.sign_in_throttle import SignInThrottled
from meeting_hub.errors import ValidationFailed
from meeting_hub.extensions import db, limiter
from meeting_hub.http_errors import audit_refusal
from meeting_hub.network import services as network
from meeting_hub.web import show_refusal

blueprint = Blueprint("accounts", __name__)


def _is_safe_next(target: str | None) -> bool:
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


@blueprint.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
def sign_in() -> ResponseReturnValue:
    """Show the sign-in form and sign the user in."""
    if request.args.get("lang") in current_app.config["LANGUAGES"]:
        session["language"] = request.args["lang"]
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data or "", form.password.data or "")
        except SignInThrottled as refusal:
            db.session.commit()  # the audit line of the refused attempt
            flash(refusal.message, "danger")
            return render_template("accounts/sign_in.html", form=form, demo=services.demo_install()), 429
        sign_in_id = services.start_sign_in(user) if user is not None else None
        db.session.commit()
        if user is not None and sign_in_id is not None:
            sign_in_session(user, sign_in_id, remember=bool(form.remember.data))
            if user.must_change_password:  # the change form says why
                return redirect(url_for("accounts.change_password"))
            target = request.args.get("next") or ""
            return redirect(target if _is_safe_next(target) else url_for("home.index"))
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "danger")
    return render_template("accounts/sign_in.html", form=form, demo=services.demo_install())


@blueprint.errorhandler(RateLimitExceeded)
def sign_in_rate_limited(error: RateLimitExceeded) -> ResponseReturnValue:
    """Explain the limit on the page itself (sign-in, or the password change form)."""
    if request.endpoint == "accounts.change_password":
        flash(_("Bạn đã thử đổi mật khẩu quá nhiều lần. Vui lòng đợi một phút rồi thử lại."), "danger")
        form = ChangePasswordForm(formdata=None)
        page = render_template(
            "accounts/change_password.html", form=form, user=acting_user(), rules=password_rules.RULES
        )
        return page, 429
    flash(_("Bạn đã thử đăng nhập quá nhiều lần. Vui lòng đợi một phút rồi thử lại."), "danger")
    return render_template("accounts/sign_in.html", form=SignInForm(), demo=services.demo_install()), 429


@blueprint.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """Sign the user out; a saved copy of the session or remember-me cookie stops working too."""
    end_session()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("accounts.sign_in"))


@blueprint.route("/profile", methods=["GET", "POST"])
def profile() -> ResponseReturnValue:
    """Show the user's profile (contact details and channels, language, API tokens, calendar feed); a POST saves the
    contact details and channels."""
    user = acting_user()
    contact_form = ContactForm(obj=user) if request.method == "GET" else ContactForm()
    if contact_form.validate_on_submit():
        try:
            change_contact_details(user, contact_form.contact_change(), user)
        except ValidationFailed as error:
            show_refusal(contact_form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu thông tin liên hệ và kênh nhận thông báo."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html",
        user=user,
        contact_form=contact_form,
        channel_labels=CHANNEL_LABELS,
        unreachable=_unreachable_names(user),
        language_form=LanguageForm(language=user.language),
        token_form=TokenForm(),
        confirm_form=ConfirmForm(),
        tokens=services.list_api_tokens(user),
        new_token=session.pop("new_token", None),
    )


@blueprint.route("/profile/password", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
def change_password() -> ResponseReturnValue:
    """Change the user's own password (also the forced change at first sign-in); other sessions end."""
    user = acting_user()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            passwords.change_own_password(user, form.current_password.data or "", form.new_password.data or "")
        except ValidationFailed as error:
            show_refusal(form, error)
            audit_refusal(error)
            db.session.commit()
        else:
            db.session.commit()
            # The session version was raised: sign this session in again so only the others end.
            resume_session(user)
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form, user=user, rules=password_rules.RULES)


@blueprint.post("/profile/language")
def set_language() -> ResponseReturnValue:
    """Change the user's interface language."""
    user = acting_user()
    form = LanguageForm()
    if form.validate_on_submit():
        services.set_language(user, form.language.data or "vi")
        db.session.commit()
        flash(_("Đã lưu ngôn ngữ giao diện."), "success")
    return redirect(url_for("accounts.profile"))


@blueprint.post("/profile/tokens")
def create_token() -> ResponseReturnValue:
    """Create an API token for the user and show it once."""
    user = acting_user()
    form = TokenForm()
    if form.validate_on_submit():
        session["new_token"] = services.issue_api_token(user, form.label.data or "", user)
        db.session.commit()
    else:
        flash(_("Cần đặt tên gợi nhớ cho mã truy cập."), "danger")
    return redirect(url_for("accounts.profile"))


@blueprint.post("/profile/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke one of the user's API tokens."""
    user = acting_user()
    if ConfirmForm().validate_on_submit():
        services.revoke_api_token(token_id, user)
        db.session.commit()
        flash(_("Đã thu hồi mã truy cập."), "success")
    return redirect(url_for("accounts.profile"))


def _unreachable_names(user: User) -> str:
    """Name the channels the user chose that no message reaches yet ("E-mail, Zalo"), or ""."""
    return ", ".join(str(CHANNEL_LABELS[name]) for name in unreachable_channels(user))


# User administration (admins)


def _user_form(form: UserForm) -> UserForm:
    form.endpoint_id.choices = [SelectChoice(e.id, e.display_name) for e in network.list_endpoints()]
    form.agency_id.choices = [SelectChoice(a.id, a.name) for a in network.list_agencies()]
    return form


def _user_data(form: UserForm) -> services.UserData:
    return services.UserData(
        username=form.username.data or "",
        display_name=form.display_name.data or "",
        role=form.role_value(),
        endpoint_id=form.endpoint_id.data or None,
        agency_id=form.agency_id.data or None,
        language=form.language.data or "vi",
        password=form.password.data or None,
        active=bool(form.active.data),
        contacts=form.contact_change(),
    )


@blueprint.get("/admin/users")
def user_list() -> ResponseReturnValue:
    """List and search user accounts."""
    query = request.args.get("q", "")
    return render_template("accounts/user_list.html", users=services.list_users(query), q=query)


@blueprint.route("/admin/users/new", methods=["GET", "POST"])
def user_create() -> ResponseReturnValue:
    """Create a user account."""
    actor = acting_user()
    form = _user_form(UserForm())
    if form.validate_on_submit():
        data = _user_data(form)
        data.must_change_password = True  # the admin chose this password: the user replaces it at first sign-in
        try:
            user = services.create_user(data, actor)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã tạo tài khoản %(name)s.", name=user.username), "success")
            return redirect(url_for("accounts.user_list"))
    return render_template("accounts/user_form.html", form=form, account=None, channel_labels=CHANNEL_LABELS)


@blueprint.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> ResponseReturnValue:
    """Edit a user account (a blank password keeps the current one)."""
    actor = acting_user()
    user = services.get_user(user_id)
    form = _user_form(UserForm(obj=user) if request.method == "GET" else UserForm())
    if request.method == "GET":
        form.endpoint_id.data = user.endpoint_id
        form.agency_id.data = user.agency_id
        form.role.data = user.role.value
    if form.validate_on_submit():
        try:
            services.update_user(user, _user_data(form), actor)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu tài khoản %(name)s.", name=user.username), "success")
            return redirect(url_for("accounts.user_list"))
    return render_template(
        "accounts/user_form.html",
        form=form,
        account=user,  # not `user`: base.html sets that name to the signed-in user
        confirm_form=ConfirmForm(),
        channel_labels=CHANNEL_LABELS,
        unreachable=_unreachable_names(user),
    )


@blueprint.post("/admin/users/<int:user_id>/deactivate")
def user_deactivate(user_id: int) -> ResponseReturnValue:
    """Deactivate a user account and revoke its tokens."""
    actor = acting_user()
    user = services.get_user(user_id)
    if ConfirmForm().validate_on_submit():
        services.deactivate_user(user, actor)
        db.session.commit()
        flash(_("Đã khóa tài khoản %(name)s.", name=user.username), "success")
    return redirect(url_for("accounts.user_list"))


@blueprint.get("/admin/audit")
def audit_log() -> ResponseReturnValue:
    """Show the audit log, newest first, filtered by who, what and when."""
    args = request.args
    texts = {name: args.get(name, "")[:64] for name in ("actor", "action", "first_day", "last_day")}
    errors: dict[str, str] = {}
    try:
        filters = AuditFilters.from_text(**texts)
    except ValidationFailed as error:
        errors = dict(error.details or {})
        filters = AuditFilters(texts["actor"].strip(), texts["action"].strip())
    page = audit_log_view.search_events(
        filters, args.get("page", 1, type=int) or 1, int(current_app.config["PAGE_SIZE"])
    )
    return render_template(
        "accounts/audit_log.html",
        page=page,
        events=audit_log_view.show_events(page.events),
        texts=texts,
        errors=errors,
        query={key: value for key, value in texts.items() if value},
        action_labels=audit_log_view.ACTION_LABELS,
        action_groups=audit_log_view.ACTION_GROUPS,
        usernames=[user.username for user in services.list_users()],
    )
