"""Calendar feeds: the personal feed behind a secret URL, one briefing's .ics, and resetting the feed URL."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.access import acting_user
from meeting_hub.calendar_feeds import ical, services
from meeting_hub.clock import local_zone
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.public_links import external_url
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing

blueprint = Blueprint("calendar_feeds", __name__)

#: Calendar apps poll the feed; a proxy may keep it for a few minutes, but only for this user (the URL is secret).
FEED_CACHE_CONTROL = "private, max-age=300"


def _briefing_url(briefing: Briefing) -> str | None:
    # The briefing page belongs to the scheduling UI; the feed works without it, only without the link.
    if "scheduling.briefing_detail" not in current_app.view_functions:
        return None
    return external_url("scheduling.briefing_detail", briefing_id=briefing.id)


def _ics_response(body: bytes, *, filename: str, cache_control: str, attachment: bool) -> Response:
    response = Response(body, mimetype="text/calendar")  # Werkzeug adds "; charset=utf-8" to text/* types
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Robots-Tag"] = "noindex"  # a leaked feed URL must not end up in a search engine
    return response


@blueprint.get("/calendar/<token>.ics")
def personal_feed(token: str) -> ResponseReturnValue:
    """Serve a user's calendar feed; the secret token in the URL is the credential (calendar apps have no session)."""
    user = services.feed_owner(token)
    now = utcnow()
    # Open-ended series are generated a fixed horizon ahead; extending them here keeps feeds going as months pass.
    scheduling.extend_series_horizons(now)
    briefings = scheduling.briefings_for_feed(user)
    # Nobody is signed in: the feed speaks the owner's language, not the default one.
    with force_locale(user.language):
        body = ical.build_calendar(
            briefings,
            name=_("Giao ban tuyên giáo – %(name)s", name=user.display_name),
            description=_("Lịch giao ban của %(department)s", department=current_app.config["DEPARTMENT_NAME"]),
            uid=f"feed-user-{user.id}@meeting-hub",
            url_for_briefing=_briefing_url,
            now=now,
            zone=local_zone(),
            reminders=services.reminder_offsets(),
        )
    return _ics_response(body, filename="giao-ban.ics", cache_control=FEED_CACHE_CONTROL, attachment=False)


@blueprint.get("/briefings/<int:briefing_id>.ics")
def briefing_ics(briefing_id: int) -> ResponseReturnValue:
    """Download one briefing as an .ics file to add it to a calendar."""
    viewer = acting_user()
    briefing = scheduling.get_briefing(briefing_id, viewer)
    body = ical.build_calendar(
        [briefing],
        name=briefing.title,
        url_for_briefing=_briefing_url,
        now=utcnow(),
        zone=local_zone(),
        reminders=services.reminder_offsets(),
    )
    return _ics_response(
        body, filename=f"giao-ban-{briefing.id}.ics", cache_control="private, no-cache", attachment=True
    )


@blueprint.post("/profile/calendar-feed")
def reset_feed() -> ResponseReturnValue:
    """Give the user a new feed URL; the old one stops working at once."""
    user = acting_user()
    accounts.reset_feed_token(user)
    db.session.commit()
    flash(
        _(
            "Đã tạo đường dẫn lịch mới. Đường dẫn cũ không còn hoạt động: "
            "hãy đăng ký lại đường dẫn mới trong ứng dụng lịch của bạn."
        ),
        "success",
    )
    return redirect(url_for("accounts.profile"))
