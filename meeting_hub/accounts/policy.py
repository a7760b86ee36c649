"""The access policy, as data in one place: which roles may reach each route, and the ownership rules.

Every registered route must have an entry (a test walks the URL map); a route without one is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.errors import AccessDenied


@dataclass(frozen=True)
class Rule:
    """Who may reach a route: anyone (public), or signed-in users holding one of the roles."""

    roles: frozenset[Role]
    public: bool = False

    def allows(self, user: User | None) -> bool:
        """Tell whether this user (None when not signed in) may reach the route."""
        if self.public:
            return True
        return user is not None and user.role in self.roles


def only(*roles: Role) -> Rule:
    """Allow signed-in users with one of these roles."""
    return Rule(frozenset(roles))


PUBLIC = Rule(frozenset(), public=True)
SIGNED_IN = Rule(frozenset(Role))
STAFF = only(Role.ADMIN, Role.ORGANIZER, Role.LEADER)
ADMIN = only(Role.ADMIN)
#: Who sets briefings up and runs them.
ORGANIZERS = only(Role.ORGANIZER, Role.ADMIN)
#: Who may see an endpoint's roster (operators: their own endpoint only, checked by can_see_endpoint).
ROSTER_READERS = only(Role.ADMIN, Role.ORGANIZER, Role.LEADER, Role.OPERATOR)
# Raised issues (the workflow's table of who may take each step: meeting_hub/follow_up/workflow.py). Reading is open
# to every signed-in user, cut down by the services: operators see their endpoint's, responders their agency's.
#: Who records issues: operators (their own endpoint), organizers (any endpoint from the floor).
ISSUE_RAISERS = only(Role.OPERATOR, Role.ORGANIZER, Role.ADMIN)
#: Who assigns issues to an agency with a due date.
ISSUE_ASSIGNERS = only(Role.LEADER, Role.ORGANIZER, Role.ADMIN)
#: Who answers (the issues assigned to their own agency only).
ISSUE_RESPONDERS = only(Role.RESPONDER)
#: Who accepts (closes) or returns an answer.
ISSUE_REVIEWERS = only(Role.LEADER, Role.ADMIN)
#: Who reads the bulletins in the app: staff (reach per endpoint) and operators (their endpoint's link and receipt).
BULLETIN_READERS = only(Role.ADMIN, Role.ORGANIZER, Role.LEADER, Role.OPERATOR)
#: Who sees polls and their results (operators: open and closed polls of their briefings, checked by the service).
POLL_READERS = only(Role.ADMIN, Role.ORGANIZER, Role.LEADER, Role.OPERATOR)
#: Who records poll answers: operators (their own endpoint), organizers (any endpoint).
POLL_ANSWERERS = only(Role.OPERATOR, Role.ORGANIZER, Role.ADMIN)

ROUTE_POLICY: dict[str, Rule] = {
    # Infrastructure
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    # Public at the HTTP level; the view answers only METRICS_ALLOWED_NETWORKS (loopback by default).
    "observability.metrics": PUBLIC,
    "favicon.favicon": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    # Home
    "home.index": SIGNED_IN,
    # Accounts
    "accounts.sign_in": PUBLIC,
    "accounts.sign_out": SIGNED_IN,
    "accounts.profile": SIGNED_IN,
    "accounts.set_language": SIGNED_IN,
    "accounts.change_password": SIGNED_IN,
    "accounts.create_token": SIGNED_IN,
    "accounts.revoke_token": SIGNED_IN,
    "accounts.user_list": ADMIN,
    "accounts.user_create": ADMIN,
    "accounts.user_edit": ADMIN,
    "accounts.user_deactivate": ADMIN,
    "accounts.audit_log": ADMIN,
    # Network (the roster pages are read by staff and operators, edited by admins)
    "network.endpoint_list": ROSTER_READERS,
    "network.endpoint_detail": ROSTER_READERS,
    "network.endpoint_create": ADMIN,
    "network.endpoint_edit": ADMIN,
    "network.endpoint_merge": ADMIN,
    "network.cell_create": ADMIN,
    "network.cell_edit": ADMIN,
    "network.person_list": ROSTER_READERS,
    "network.person_create": ADMIN,
    "network.person_edit": ADMIN,
    "network.agency_list": SIGNED_IN,
    "network.agency_create": ADMIN,
    "network.agency_edit": ADMIN,
    "network.roster_import": ADMIN,
    "network.roster_template": ADMIN,
    # Scheduling (everyone signed in reads the calendar, filtered to what concerns them; organizers edit)
    "scheduling.calendar": SIGNED_IN,
    "scheduling.series_list": STAFF,
    "scheduling.series_create": ORGANIZERS,
    "scheduling.series_edit": ORGANIZERS,
    "scheduling.series_preview": ORGANIZERS,
    "scheduling.briefing_create": ORGANIZERS,
    "scheduling.briefing_edit": ORGANIZERS,
    "scheduling.briefing_detail": SIGNED_IN,
    "scheduling.holidays": ORGANIZERS,
    "lifecycle.briefing_open": ORGANIZERS,
    "lifecycle.briefing_close": ORGANIZERS,
    "lifecycle.briefing_cancel": ORGANIZERS,
    "lifecycle.briefing_reopen": ORGANIZERS,
    "scheduling.holiday_delete": ORGANIZERS,
    "scheduling.holiday_rename": ORGANIZERS,
    "scheduling.holidays_restore": ORGANIZERS,
    # Polls: the briefing page's panel (leaders read it there); preparing, opening, closing and deleting.
    "polls.poll_create": ORGANIZERS,
    "polls.poll_edit": ORGANIZERS,
    "polls.poll_open": ORGANIZERS,
    "polls.poll_close": ORGANIZERS,
    "polls.poll_delete": ORGANIZERS,
    # Materials (reading also needs the briefing's visibility, checked by get_briefing; the share link is
    # public: its secret, revocable token is the credential)
    "materials.upload": ORGANIZERS,
    "materials.revoke": ORGANIZERS,
    "materials.renew": ORGANIZERS,
    "materials.delete": ORGANIZERS,
    "materials.download": SIGNED_IN,
    "materials.qr_svg": SIGNED_IN,
    "materials.qr_png": SIGNED_IN,
    "materials.print_page": SIGNED_IN,
    "materials.shared": PUBLIC,
    # Bulletins (drafts are the organizers' only, checked by the service; the share links are public: the secret,
    # revocable token is the credential)
    "bulletins.bulletin_list": BULLETIN_READERS,
    "bulletins.bulletin_detail": BULLETIN_READERS,
    "bulletins.bulletin_pdf": BULLETIN_READERS,
    "bulletins.bulletin_cover": BULLETIN_READERS,
    "bulletins.qr_code": BULLETIN_READERS,
    "bulletins.bulletin_create": ORGANIZERS,
    "bulletins.bulletin_edit": ORGANIZERS,
    "bulletins.bulletin_publish": ORGANIZERS,
    "bulletins.bulletin_revoke": ORGANIZERS,
    "bulletins.bulletin_renew": ORGANIZERS,
    "bulletins.bulletin_delete": ORGANIZERS,
    "bulletins.bulletin_receipt": only(Role.OPERATOR),
    "bulletin_infographic.page": STAFF,
    "bulletin_infographic.chart": STAFF,
    "bulletin_infographic.pdf": STAFF,
    "bulletin_public.shared": PUBLIC,
    "bulletin_public.pdf": PUBLIC,
    "bulletin_public.cover": PUBLIC,
    # Calendar feeds (the personal feed is public: calendar apps have no session, the secret token is the credential)
    "calendar_feeds.personal_feed": PUBLIC,
    "calendar_feeds.briefing_ics": SIGNED_IN,
    "calendar_feeds.reset_feed": SIGNED_IN,
    # QR self check-in (the printed link carries a signed token; no session on the secretary's phone)
    "self_check_in.check_in_page": PUBLIC,
    "self_check_in.self_answer_page": PUBLIC,
    "self_check_in.qr_sheet": ROSTER_READERS,
    "self_check_in.switch": ORGANIZERS,
    # Live attendance (the console of an endpoint: its operators, or organizers acting for it; the service worker is
    # public: browsers re-fetch it on their own, even after sign-out, and it holds only static URLs)
    "attendance.console": ROSTER_READERS,
    "attendance.console_next": ROSTER_READERS,
    "attendance.briefing_console": only(Role.OPERATOR, Role.ORGANIZER, Role.ADMIN),
    "attendance.console_polls": only(Role.OPERATOR, Role.ORGANIZER, Role.ADMIN),
    "attendance.dashboard": STAFF,
    "attendance.console_service_worker": PUBLIC,
    # Raised issues: pages (reading is open to all, cut down by the services; each step to its roles)
    "follow_up.issue_list": SIGNED_IN,
    "follow_up.issue_detail": SIGNED_IN,
    "follow_up.attachment": SIGNED_IN,
    "follow_up.issue_summary": STAFF,
    "follow_up.bulk_assign": ISSUE_ASSIGNERS,
    "follow_up.assign": ISSUE_ASSIGNERS,
    "follow_up.answer": ISSUE_RESPONDERS,
    "follow_up.close": ISSUE_REVIEWERS,
    "follow_up.return_answer": ISSUE_REVIEWERS,
    "follow_up.withdraw": ORGANIZERS,
    "follow_up.queue": ISSUE_RESPONDERS,
    "follow_up.raise_issue": ISSUE_RAISERS,
    "follow_up.notification_list": SIGNED_IN,
    "follow_up.notification_open": SIGNED_IN,
    "follow_up.notifications_read": SIGNED_IN,
    "follow_up.category_list": ADMIN,
    "follow_up.category_create": ADMIN,
    "follow_up.category_edit": ADMIN,
    # Reports: statistics and minutes for staff (minutes corrected by organizers); the operator of each invited
    # endpoint confirms receiving a material (its own endpoint only, checked by the service)
    "reports.statistics_page": STAFF,
    "reports.endpoint_statistics": STAFF,
    "reports.person_history": STAFF,
    "reports.minutes_page": STAFF,
    "reports.minutes_pdf": STAFF,
    "reports.minutes_freeze": ORGANIZERS,
    "reports.minutes_correct": ORGANIZERS,
    "reports.minutes_prepare": ORGANIZERS,
    "reports.confirm_receipt": only(Role.OPERATOR),
    # Messages about a briefing (with people's addresses): its organizers
    "notifications.briefing_notifications": ORGANIZERS,
    "notifications.resend": ORGANIZERS,
    "notifications.resend_all": ORGANIZERS,
    # API
    "api_accounts.me": SIGNED_IN,
    "api_accounts.update_me": SIGNED_IN,
    "api_accounts.change_password": SIGNED_IN,
    "api_network.endpoints": SIGNED_IN,
    "api_network.endpoint_people": ROSTER_READERS,
    "api_network.agencies": SIGNED_IN,
    "api_scheduling.create_series": ORGANIZERS,
    "api_scheduling.list_briefings": SIGNED_IN,
    "api_scheduling.create_briefing": ORGANIZERS,
    "api_scheduling.get_briefing": SIGNED_IN,
    "api_scheduling.update_briefing": ORGANIZERS,
    "api_scheduling.cancel_briefing": ORGANIZERS,
    "api_scheduling.open_briefing": ORGANIZERS,
    "api_scheduling.close_briefing": ORGANIZERS,
    "api_scheduling.reopen_briefing": ORGANIZERS,
    "api_attendance.get_attendance": ROSTER_READERS,
    "api_attendance.post_attendance": only(Role.OPERATOR, Role.ORGANIZER, Role.ADMIN),
    "api_follow_up.categories": SIGNED_IN,
    "api_follow_up.briefing_issues": SIGNED_IN,
    "api_follow_up.raise_issue": ISSUE_RAISERS,
    "api_follow_up.list_issues": SIGNED_IN,
    "api_follow_up.export_csv": SIGNED_IN,
    "api_follow_up.export_xlsx": SIGNED_IN,
    "api_follow_up.issue_summary": STAFF,
    "api_follow_up.get_issue": SIGNED_IN,
    "api_follow_up.assign_issue": ISSUE_ASSIGNERS,
    "api_follow_up.answer_issue": ISSUE_RESPONDERS,
    "api_follow_up.close_issue": ISSUE_REVIEWERS,
    "api_follow_up.return_issue": ISSUE_REVIEWERS,
    "api_follow_up.withdraw_issue": ORGANIZERS,
    "api_follow_up.report_back": ROSTER_READERS,
    "api_reports.minutes_pdf": STAFF,
    "api_reports.minutes_versions": STAFF,
    "api_reports.correct_minutes": ORGANIZERS,
    "api_reports.prepare_minutes": ORGANIZERS,
    "api_reports.attendance_csv": ROSTER_READERS,
    "api_reports.attendance_xlsx": ROSTER_READERS,
    # A poll's results, as the poll's readers see them (operators: open and closed polls of their briefings; the
    # per-person list of a named poll, their own endpoint's only)
    "api_reports.poll_results_csv": POLL_READERS,
    "api_reports.poll_people_csv": POLL_READERS,
    "api_reports.poll_results_xlsx": POLL_READERS,
    "api_notifications.briefing_notifications": ORGANIZERS,
    "api_notifications.resend_message": ORGANIZERS,
    "api_polls.briefing_polls": POLL_READERS,
    "api_polls.create_poll": ORGANIZERS,
    "api_polls.get_poll": POLL_READERS,
    "api_polls.update_poll": ORGANIZERS,
    "api_polls.delete_poll": ORGANIZERS,
    "api_polls.open_poll": ORGANIZERS,
    "api_polls.close_poll": ORGANIZERS,
    "api_polls.answer_poll": POLL_ANSWERERS,
    "api_bulletins.list_bulletins": BULLETIN_READERS,
    "api_bulletins.get_bulletin": BULLETIN_READERS,
}


def rule_for(route_name: str | None) -> Rule | None:
    """Return the rule of a route, or None when the route has no entry (and must be refused)."""
    if route_name is None:
        return None
    return ROUTE_POLICY.get(route_name)


# Ownership rules: which objects a user may act on within the routes their role reaches.


def can_see_endpoint(user: User, endpoint_id: int) -> bool:
    """Operators see their own endpoint only; staff see every endpoint."""
    if user.role == Role.OPERATOR:
        return user.endpoint_id == endpoint_id
    return user.role in STAFF.roles


def require_endpoint(user: User, endpoint_id: int) -> None:
    """Refuse unless the user may act for this endpoint."""
    if not can_see_endpoint(user, endpoint_id):
        raise AccessDenied(_("Bạn chỉ được thao tác với điểm cầu của mình."))


def can_act_for_agency(user: User, agency_id: int) -> bool:
    """Responders act for their own agency only; leaders and organizers for any."""
    if user.role == Role.RESPONDER:
        return user.agency_id == agency_id
    return user.role in (Role.LEADER, Role.ORGANIZER, Role.ADMIN)


def require_agency(user: User, agency_id: int) -> None:
    """Refuse unless the user may act for this agency."""
    if not can_act_for_agency(user, agency_id):
        raise AccessDenied(_("Bạn chỉ được xử lý các ý kiến giao cho cơ quan của mình."))
