"""API: the signed-in user."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, g

from meeting_hub.accounts import passwords
from meeting_hub.accounts.access import resume_session, sign_in_limit
from meeting_hub.api.common import Blueprint, caller
from meeting_hub.extensions import db, limiter
from meeting_hub.public_links import external_url
from meeting_hub.text_input import ANY_TEXT, InputSchema

blueprint = Blueprint("api_accounts", __name__, description="The signed-in user")


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


@blueprint.get("/me")
@blueprint.response(200, MeSchema)
def me() -> dict[str, Any]:
    """Return the caller's account."""
    user = caller()
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
    }


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
