"""API: the signed-in user."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, g

from meeting_hub.accounts import passwords
from meeting_hub.accounts.access import resume_session, sign_in_limit
from meeting_hub.accounts.contact_details import ContactChange, change_contact_details
from meeting_hub.accounts.models import User
from meeting_hub.api.common import Blueprint, caller
from meeting_hub.extensions import db, limiter
from meeting_hub.notifications.models import Channel
from meeting_hub.public_links import external_url
from meeting_hub.text_input import ANY_TEXT, InputSchema

blueprint = Blueprint("api_accounts", __name__, description="The signed-in user")

CHANNEL_NAMES = [channel.value for channel in Channel]

# The formats notifications/contacts.py accepts, as JSON Schema patterns for the OpenAPI document (tests/api checks
# that both agree). The app itself also takes other Unicode spaces inside a phone number; the document promises the
# usual ones.
#: Punctuation people put inside phone numbers: spaces, dots, dashes, brackets.
_GAP = r"[ .()-]*"
#: A Vietnamese mobile number (0, 84 or +84, then 9 digits starting with 3, 5, 7, 8 or 9), or "" to clear it.
PHONE_PATTERN = rf"^(?:|{_GAP}(?:\+{_GAP}8{_GAP}4|8{_GAP}4|0){_GAP}[35789](?:{_GAP}[0-9]){{8}}{_GAP})$"
#: What cannot be in an address: "@", spaces, and the controls the single-line text rule refuses (text_input.py).
_NOT_IN_ADDRESS = r"@\s\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069"
#: name@domain.tld (at most 64 characters before "@", a dot in the domain), or "" to clear it.
EMAIL_PATTERN = rf"^(?:|[^{_NOT_IN_ADDRESS}]{{1,64}}@[^{_NOT_IN_ADDRESS}.]+(?:\.[^{_NOT_IN_ADDRESS}.]+)+)$"


class MeSchema(ma.Schema):
    """Who the caller is."""

    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    endpoint_id = ma.fields.Integer(allow_none=True)
    agency_id = ma.fields.Integer(allow_none=True)
    language = ma.fields.String()
    must_change_password = ma.fields.Boolean(required=True)
    calendar_feed_url = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True, metadata={"description": "Where e-mail notices go."})
    phone = ma.fields.String(
        allow_none=True, metadata={"description": "The mobile number for SMS and Zalo, as its owner typed it."}
    )
    channels = ma.fields.List(
        ma.fields.String(metadata={"enum": CHANNEL_NAMES}),
        required=True,
        metadata={"description": "The channels notices are sent on, in the order email, sms, zalo."},
    )


class MeChange(InputSchema):
    """The caller's contact details and channel choices; a field left out stays as it is.

    `email` and `phone` are cleared by "" (or null). A channel cannot be chosen without its address ("email" needs
    `email`, "sms" and "zalo" need `phone`), nor can the address of a chosen channel be cleared: both answer 422
    with the reason under `details.channels`. A bad address answers 422 under `details.email` or `details.phone`.
    """

    email = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(max=254),
        metadata={"pattern": EMAIL_PATTERN, "description": 'An e-mail address, or "" to clear it.'},
    )
    phone = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(max=32),
        metadata={
            "pattern": PHONE_PATTERN,
            "description": "A Vietnamese mobile number such as 0912 345 678 or +84 912 345 678 (spaces, dots, "
            'dashes and brackets allowed; kept as typed), or "" to clear it.',
        },
    )
    channels = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(CHANNEL_NAMES)),
        metadata={"description": "Every channel to receive notices on (an empty list: none; repeats count once)."},
    )


def _me_dict(user: User) -> dict[str, Any]:
    feed_url = (
        external_url("calendar_feeds.personal_feed", token=user.feed_token)
        if user.feed_token and "calendar_feeds.personal_feed" in current_app.view_functions
        else None
    )
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "endpoint_id": user.endpoint_id,
        "agency_id": user.agency_id,
        "language": user.language,
        "must_change_password": user.must_change_password,
        "calendar_feed_url": feed_url,
        "email": user.email,
        "phone": user.phone,
        "channels": list(user.channels or []),
    }


@blueprint.get("/me")
@blueprint.response(200, MeSchema)
def me() -> dict[str, Any]:
    """Return the caller's account."""
    return _me_dict(caller())


@blueprint.patch("/me")
@blueprint.arguments(MeChange)
@blueprint.response(200, MeSchema)
def update_me(body: dict[str, Any]) -> dict[str, Any]:
    """Change the caller's e-mail address, phone number or channels (audited); return the account."""
    user = caller()
    change = ContactChange(
        email=None if "email" not in body else body["email"] or "",
        phone=None if "phone" not in body else body["phone"] or "",
        channels=body.get("channels"),
    )
    change_contact_details(user, change, user)
    db.session.commit()
    return _me_dict(user)


class PasswordChangeBody(InputSchema):
    """The caller's current password and the new one (rules: docs/accounts.md). A wrong `current_password`, or a new
    password the rules refuse, answers 422 naming the field."""

    current_password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200), metadata=ANY_TEXT)
    new_password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200), metadata=ANY_TEXT)


@blueprint.post("/me/password")
@limiter.limit(sign_in_limit)
@blueprint.arguments(PasswordChangeBody)
@blueprint.response(204)
def change_password(body: dict[str, Any]) -> None:
    """Change the caller's password; every session of the caller ends, but this one (API tokens stay valid)."""
    user = caller()
    passwords.change_own_password(user, body["current_password"], body["new_password"])
    db.session.commit()
    if not g.get("authenticated_by_token"):
        # The session version was raised: keep the session that made the change.
        resume_session(user)
