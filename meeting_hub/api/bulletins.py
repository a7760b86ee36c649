"""API: the monthly bulletins, with each endpoint's receipt and the opens of its share link."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import marshmallow as ma
from flask import url_for

from meeting_hub.accounts.roles import Role
from meeting_hub.api.common import Blueprint, caller
from meeting_hub.bulletins import links, services
from meeting_hub.bulletins.models import Bulletin, BulletinStatus
from meeting_hub.clock import local_zone
from meeting_hub.extensions import db
from meeting_hub.public_links import external_url

blueprint = Blueprint("api_bulletins", __name__, description="The monthly bulletin: receipts and reach")


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(local_zone()) if value is not None else None


class DayOpensSchema(ma.Schema):
    """How many times a link was opened on a day (Vietnam time)."""

    day = ma.fields.Date(required=True)
    opens = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))


class ReceiptSchema(ma.Schema):
    """An endpoint's confirmation of receipt."""

    confirmed_at = ma.fields.DateTime(required=True)
    confirmed_by = ma.fields.String(required=True, allow_none=True, metadata={"description": "username"})


class EndpointReachSchema(ma.Schema):
    """One endpoint's receipt and the opens of its own share link (every generation of links added up)."""

    endpoint_id = ma.fields.Integer(required=True)
    endpoint_name = ma.fields.String(required=True)
    receipt = ma.fields.Nested(ReceiptSchema, required=True, allow_none=True)
    opens = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0))
    opens_by_day = ma.fields.List(ma.fields.Nested(DayOpensSchema), required=True)


class PublicReachSchema(ma.Schema):
    """The opens of the public link (the printed QR code)."""

    opens = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0))
    opens_by_day = ma.fields.List(ma.fields.Nested(DayOpensSchema), required=True)


class BulletinSchema(ma.Schema):
    """A bulletin as listed."""

    id = ma.fields.Integer(required=True)
    month = ma.fields.String(required=True, metadata={"pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$"})
    title = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf([s.value for s in BulletinStatus]))
    briefing_id = ma.fields.Integer(required=True, allow_none=True)
    page_count = ma.fields.Integer(required=True)
    size_bytes = ma.fields.Integer(required=True)
    sha256 = ma.fields.String(required=True)
    published_at = ma.fields.DateTime(required=True, allow_none=True)
    links_live = ma.fields.Boolean(
        required=True, metadata={"description": "published and not revoked: the share links and QR codes work"}
    )
    pdf_url = ma.fields.String(required=True)
    cover_url = ma.fields.String(required=True)


class BulletinDetailSchema(BulletinSchema):
    """A bulletin with its reach: the public QR's opens and, per endpoint, receipt and opens (an operator: their own
    endpoint only). `share_url` is the caller's link: an operator's endpoint link, else the public one."""

    share_url = ma.fields.String(required=True, allow_none=True)
    public = ma.fields.Nested(PublicReachSchema, required=True)
    endpoints = ma.fields.List(ma.fields.Nested(EndpointReachSchema), required=True)


def _by_day(by_day: dict[Any, int]) -> list[dict[str, Any]]:
    return [{"day": day, "opens": count} for day, count in sorted(by_day.items())]


def _bulletin_dict(bulletin: Bulletin) -> dict[str, Any]:
    return {
        "id": bulletin.id,
        "month": bulletin.month.strftime("%Y-%m"),
        "title": bulletin.title,
        "status": bulletin.status.value,
        "briefing_id": bulletin.briefing_id,
        "page_count": bulletin.page_count,
        "size_bytes": bulletin.size_bytes,
        "sha256": bulletin.sha256,
        "published_at": _local(bulletin.published_at),
        "links_live": bulletin.links_live,
        "pdf_url": url_for("bulletins.bulletin_pdf", bulletin_id=bulletin.id),
        "cover_url": url_for("bulletins.bulletin_cover", bulletin_id=bulletin.id),
    }


@blueprint.get("/bulletins")
@blueprint.response(200, BulletinSchema(many=True))
def list_bulletins() -> list[dict[str, Any]]:
    """List the bulletins, newest month first (drafts only for organizers and admins)."""
    return [_bulletin_dict(bulletin) for bulletin in services.list_bulletins(caller())]


@blueprint.get("/bulletins/<int:bulletin_id>")
@blueprint.response(200, BulletinDetailSchema)
def get_bulletin(bulletin_id: int) -> dict[str, Any]:
    """Return a bulletin with each endpoint's receipt and opens, by day."""
    user = caller()
    bulletin = services.get_bulletin(bulletin_id, user)
    own = user.endpoint_id if user.role == Role.OPERATOR else None
    reach = links.reach(bulletin, own) if own is not None else links.reach(bulletin)
    link = links.link_for(bulletin, own)
    db.session.commit()  # an endpoint link made on first sight
    return _bulletin_dict(bulletin) | {
        "share_url": external_url("bulletin_public.shared", token=link.token) if link is not None else None,
        "public": {"opens": reach.public.opens, "opens_by_day": _by_day(reach.public.by_day)},
        "endpoints": [
            {
                "endpoint_id": row.endpoint.id,
                "endpoint_name": row.endpoint.name,
                "receipt": {
                    "confirmed_at": _local(row.receipt.confirmed_at),
                    "confirmed_by": row.receipt.confirmed_by.username if row.receipt.confirmed_by else None,
                }
                if row.receipt is not None
                else None,
                "opens": row.opens,
                "opens_by_day": _by_day(row.by_day),
            }
            for row in reach.endpoints
            if row.endpoint is not None
        ],
    }
