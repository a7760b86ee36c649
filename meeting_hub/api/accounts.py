"""API: the signed-in user."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask_smorest import Blueprint

from meeting_hub.api.common import caller
from meeting_hub.public_links import external_url

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
        "calendar_feed_url": feed_url,
    }
