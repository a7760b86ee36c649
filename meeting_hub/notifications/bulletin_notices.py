"""The bulletin's publication told to every active endpoint's operators, each with their endpoint's own share link
(so opens from the message count for that endpoint).

The bulletins domain does not know about messages: this module watches the session for a bulletin that becomes
published and, in the same transaction, asks for the job that writes the messages (one run per bulletin, ever).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.bulletins import links
from meeting_hub.bulletins.models import Bulletin, BulletinStatus
from meeting_hub.extensions import db
from meeting_hub.jobs.queue import enqueue_after_commit
from meeting_hub.jobs.registry import job
from meeting_hub.network.models import Endpoint
from meeting_hub.notifications.message_text import Line, html_text, message_language, message_link, plain_text
from meeting_hub.notifications.models import OutboundMessage
from meeting_hub.notifications.outbox import Notice, queue_notice, user_recipient

logger = logging.getLogger(__name__)

KIND = "bulletin.published"
PUBLISHED_JOB = "notifications.bulletin_published"
#: Ids of bulletins published in the current transaction.
_PUBLISHED_KEY = "notifications.published_bulletins"


def published_key(bulletin_id: int) -> str:
    """Return the event key of a bulletin's publication (one message per operator and channel, ever)."""
    return f"bulletin:{bulletin_id}:published"


def published_notice(bulletin: Bulletin, link: str) -> Notice:
    """Return the message telling an endpoint's operators that the bulletin is out, with their endpoint's link."""
    month = bulletin.month.strftime("%m/%Y")
    subject = _("Bản tin mới: %(title)s", title=bulletin.title)
    paragraphs = [
        [Line(_("Bản tin “%(title)s” (tháng %(month)s) đã phát hành.", title=bulletin.title, month=month))],
        [
            Line(link, label=_("Liên kết của điểm cầu"), url=link),
            Line(_("Mời đồng chí xác nhận đã nhận bản tin và chia sẻ liên kết này vào nhóm Zalo của điểm cầu.")),
        ],
    ]
    return Notice(
        kind=KIND,
        key=published_key(bulletin.id),
        subject=subject,
        text=plain_text(paragraphs),
        html=html_text(subject, paragraphs),
        sms_text=_("Bản tin %(title)s đã phát hành: %(link)s", title=bulletin.title, link=link),
        zalo_params={"title": bulletin.title, "month": month, "link": link},
    )


@job(PUBLISHED_JOB)
def tell_bulletin_published(bulletin_id: int) -> None:
    """Queue the publication message to the operators of every active endpoint (nothing once the links are off)."""
    bulletin = db.session.get(Bulletin, bulletin_id)
    if bulletin is None or not bulletin.links_live:
        return
    operators = db.session.execute(
        sa.select(User, Endpoint)
        .join(Endpoint, Endpoint.id == User.endpoint_id)
        .where(User.role == Role.OPERATOR, User.active.is_(True), Endpoint.active.is_(True))
        .order_by(Endpoint.id, User.id)
    ).all()
    added = 0
    with message_language():
        for user, endpoint in operators:
            link = links.link_for(bulletin, endpoint.id)
            if link is None:
                continue
            url = message_link("bulletin_public.shared", token=link.token)
            added += len(queue_notice(user_recipient(user), published_notice(bulletin, url)))
    logger.info("bulletin %s published: %s messages", bulletin_id, added)


def messages_by_endpoint(bulletin: Bulletin) -> dict[int, list[OutboundMessage]]:
    """Return the publication messages of a bulletin, by the endpoint of the operator they went to."""
    rows = db.session.execute(
        sa.select(OutboundMessage, User.endpoint_id)
        .join(User, User.id == OutboundMessage.user_id)
        .where(OutboundMessage.event_key == published_key(bulletin.id))
        .order_by(OutboundMessage.id)
    ).all()
    result: dict[int, list[OutboundMessage]] = {}
    for message, endpoint_id in rows:
        result.setdefault(endpoint_id or 0, []).append(message)
    return result


@event.listens_for(Session, "after_flush")
def _note_published(session: Session, _context: Any) -> None:
    """Note the bulletins this flush published."""
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Bulletin) and BulletinStatus.PUBLISHED in (sa.inspect(obj).attrs.status.history.added or ()):
            session.info.setdefault(_PUBLISHED_KEY, set()).add(obj.id)


@event.listens_for(Session, "before_commit")
def _ask_for_messages(session: Session) -> None:
    """Ask for the publication messages in the transaction that publishes (a rollback asks for nothing)."""
    session.flush()
    for bulletin_id in sorted(session.info.pop(_PUBLISHED_KEY, ())):
        enqueue_after_commit(PUBLISHED_JOB, key=published_key(bulletin_id), bulletin_id=bulletin_id)


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PUBLISHED_KEY, None)
