"""The bulletin's share links (one public, for the printed QR code, and one per endpoint) and how often each was
opened, per day.

Privacy: an open is one added to a (link, day) counter. Nothing about the reader is stored: no address, no cookie, no
user agent. A HEAD request and the link-preview fetchers of chat apps (which open every link pasted into a group) are
not counted; PREVIEW_AGENT_MARKERS says which user agents those are (docs/bulletins.md repeats the list).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from meeting_hub.bulletins.models import Bulletin, BulletinLink, BulletinOpen, BulletinReceipt
from meeting_hub.clock import local_today
from meeting_hub.errors import NotFound, ServiceError
from meeting_hub.event_log.log import upsert_insert
from meeting_hub.extensions import db
from meeting_hub.network.models import Endpoint, EndpointKind
from meeting_hub.vietnamese import sort_key

#: Lower-case fragments of the user agents that fetch a link to show its preview, or crawl: their requests are not
#: counted as opens. Real browsers (Zalo's in-app browser too) all start with "Mozilla/"; these preview fetchers
#: either do not, or name themselves with one of the markers.
PREVIEW_AGENT_MARKERS = (
    "facebookexternalhit",  # Facebook and Messenger previews
    "facebookcatalog",
    "facebot",
    "meta-externalagent",
    "meta-externalfetcher",
    "telegrambot",  # Telegram's preview ("TelegramBot (like TwitterBot)")
    "twitterbot",
    "whatsapp",  # WhatsApp's preview ("WhatsApp/2.x"; its in-app links open in the phone's browser)
    "viber",
    "skypeuripreview",
    "slackbot",
    "discordbot",
    "linkedinbot",
    "googlebot",
    "bingbot",
    "applebot",
    "yandex",
    "bot/",
    "bot;",
    "crawler",
    "spider",
    "preview",
    "headlesschrome",
)
TOKEN_MAX_LENGTH = 64


class LinkGone(ServiceError):
    """A link that worked once: the organizer revoked it or issued new ones (410 Gone)."""

    code = "gone"
    http_status = 410


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def _live_link(bulletin: Bulletin, endpoint_id: int | None) -> BulletinLink | None:
    statement = sa.select(BulletinLink).where(
        BulletinLink.bulletin_id == bulletin.id, BulletinLink.share_generation == bulletin.share_generation
    )
    if endpoint_id is None:
        statement = statement.where(BulletinLink.endpoint_id.is_(None))
    else:
        statement = statement.where(BulletinLink.endpoint_id == endpoint_id)
    return db.session.scalar(statement)


def issue_links(bulletin: Bulletin) -> None:
    """Create the current generation's public link and a link for every active endpoint; the caller commits."""
    have = set(
        db.session.scalars(
            sa.select(sa.func.coalesce(BulletinLink.endpoint_id, 0)).where(
                BulletinLink.bulletin_id == bulletin.id, BulletinLink.share_generation == bulletin.share_generation
            )
        )
    )
    wanted = [None, *db.session.scalars(sa.select(Endpoint.id).where(Endpoint.active.is_(True)))]
    for endpoint_id in wanted:
        if (endpoint_id or 0) not in have:
            db.session.add(
                BulletinLink(
                    bulletin_id=bulletin.id,
                    endpoint_id=endpoint_id,
                    share_generation=bulletin.share_generation,
                    token=_new_token(),
                )
            )
    db.session.flush()


def link_for(bulletin: Bulletin, endpoint_id: int | None = None) -> BulletinLink | None:
    """Return the live link of the public QR (endpoint_id None) or of an endpoint, making an endpoint's when it is
    missing (an endpoint created after publication); None while the links do not work. The caller commits."""
    if not bulletin.links_live:
        return None
    link = _live_link(bulletin, endpoint_id)
    if link is not None or endpoint_id is None:
        return link
    try:
        with db.session.begin_nested():
            link = BulletinLink(
                bulletin_id=bulletin.id,
                endpoint_id=endpoint_id,
                share_generation=bulletin.share_generation,
                token=_new_token(),
            )
            db.session.add(link)
    except sa.exc.IntegrityError:  # another request made it first
        link = _live_link(bulletin, endpoint_id)
    return link


def find_link(token: str) -> BulletinLink:
    """Return the live link behind a token; NotFound when it never existed, LinkGone when it no longer works."""
    link = None
    if 0 < len(token) <= TOKEN_MAX_LENGTH:
        link = db.session.scalar(sa.select(BulletinLink).where(BulletinLink.token == token))
    if link is None:
        raise NotFound(_("Liên kết bản tin không tồn tại. Hãy kiểm tra lại địa chỉ hoặc mã QR."))
    bulletin = link.bulletin
    if not bulletin.links_live or link.share_generation != bulletin.share_generation:
        raise LinkGone(
            _(
                "Liên kết này đã bị thu hồi. Bản tin vẫn có thể được chia sẻ bằng liên kết mới: "
                "xin liên hệ cán bộ điểm cầu hoặc Ban Tuyên giáo để nhận liên kết mới."
            )
        )
    return link


def is_preview_agent(user_agent: str | None) -> bool:
    """Tell whether a request comes from a link-preview fetcher or a crawler, not a reader."""
    agent = (user_agent or "").strip().lower()
    if not agent.startswith("mozilla/"):
        return True
    return any(marker in agent for marker in PREVIEW_AGENT_MARKERS)


def count_open(link: BulletinLink, *, method: str, user_agent: str | None, day: date | None = None) -> bool:
    """Add one to the link's count for today (Vietnam time) unless the request is a HEAD or a preview fetcher.

    One INSERT ... ON CONFLICT DO UPDATE with the addition in SQL: concurrent opens each add one, on SQLite as on
    PostgreSQL, and nothing but the number is written. The caller commits.
    """
    if method != "GET" or is_preview_agent(user_agent):
        return False
    upsert = upsert_insert(BulletinOpen).values(link_id=link.id, day=day or local_today(), opens=1)
    db.session.execute(
        upsert.on_conflict_do_update(
            index_elements=[BulletinOpen.link_id, BulletinOpen.day],
            set_={"opens": BulletinOpen.opens + 1},
        )
    )
    return True


@dataclass
class SourceReach:
    """One source's reach: the public QR (endpoint None) or an endpoint, with its receipt and its opens per day."""

    endpoint: Endpoint | None
    receipt: BulletinReceipt | None = None
    by_day: dict[date, int] = field(default_factory=dict)

    @property
    def opens(self) -> int:
        """Return the opens over every day."""
        return sum(self.by_day.values())


@dataclass
class Reach:
    """A bulletin's reach: the public QR's opens, then each endpoint's receipt and opens."""

    public: SourceReach
    endpoints: list[SourceReach]

    @property
    def days(self) -> list[date]:
        """Return every day with an open, oldest first."""
        return sorted({day for row in [self.public, *self.endpoints] for day in row.by_day})

    @property
    def total_opens(self) -> int:
        """Return every open of every link."""
        return self.public.opens + sum(row.opens for row in self.endpoints)

    @property
    def received(self) -> int:
        """Return how many endpoints confirmed receipt."""
        return sum(1 for row in self.endpoints if row.receipt is not None)


def reach(bulletin: Bulletin, endpoint_id: int | None = None) -> Reach:
    """Return the bulletin's receipts and opens per source (every generation of links added up), in three queries;
    with endpoint_id, that endpoint's row only (and the public QR's)."""
    opens: dict[int, dict[date, int]] = defaultdict(dict)
    public: dict[date, int] = {}
    statement = (
        sa.select(BulletinLink.endpoint_id, BulletinOpen.day, sa.func.sum(BulletinOpen.opens))
        .join(BulletinOpen, BulletinOpen.link_id == BulletinLink.id)
        .where(BulletinLink.bulletin_id == bulletin.id)
        .group_by(BulletinLink.endpoint_id, BulletinOpen.day)
    )
    for source, day, count in db.session.execute(statement):
        (public if source is None else opens[source])[day] = int(count)
    receipts = {
        receipt.endpoint_id: receipt
        for receipt in db.session.scalars(
            sa.select(BulletinReceipt)
            .options(sa.orm.joinedload(BulletinReceipt.confirmed_by))
            .where(BulletinReceipt.bulletin_id == bulletin.id)
        )
    }
    shown = sa.or_(Endpoint.active.is_(True), Endpoint.id.in_([*opens, *receipts]))
    endpoint_statement = sa.select(Endpoint).where(shown)
    if endpoint_id is not None:
        endpoint_statement = endpoint_statement.where(Endpoint.id == endpoint_id)
    endpoints = sorted(
        db.session.scalars(endpoint_statement), key=lambda e: (e.kind != EndpointKind.WARD, sort_key(e.name))
    )
    return Reach(
        public=SourceReach(None, by_day=public),
        endpoints=[SourceReach(e, receipts.get(e.id), opens.get(e.id, {})) for e in endpoints],
    )


def share_message(bulletin: Bulletin, url: str, department: str) -> str:
    """Return the ready-made Vietnamese message to paste into a Zalo group, ending with the link."""
    month = f"{bulletin.month.month}/{bulletin.month.year}"
    if month in bulletin.title:  # "Thông tin tuyên giáo tháng 11/2026" already says its month
        return str(
            _(
                "%(department)s trân trọng giới thiệu bản tin “%(title)s”. "
                "Mời các đồng chí đọc và chia sẻ tới đảng viên, nhân dân: %(url)s",
                department=department,
                title=bulletin.title,
                url=url,
            )
        )
    return str(
        _(
            "%(department)s trân trọng giới thiệu bản tin “%(title)s” (tháng %(month)s). "
            "Mời các đồng chí đọc và chia sẻ tới đảng viên, nhân dân: %(url)s",
            department=department,
            title=bulletin.title,
            month=month,
            url=url,
        )
    )
