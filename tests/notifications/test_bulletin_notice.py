"""The bulletin's publication told to every endpoint's operators, each with their endpoint's own share link, once;
the organizer's bulletin page shows those messages beside receipts and opens."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import services as accounts
from meeting_hub.bulletins import links, services
from meeting_hub.extensions import db
from meeting_hub.jobs.models import JobRun
from meeting_hub.notifications.models import MessageState
from tests import factories
from tests.bulletins.conftest import make_bulletin
from tests.conftest import AuthActions
from tests.notifications.conftest import give_contacts, outbox

pytestmark = pytest.mark.usefixtures("sending_held")


def test_publishing_tells_each_operator_with_their_endpoints_link_once(
    app: Flask, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        give_contacts(network)
        db.session.commit()
        organizer = accounts.find_user("organizer")
        bulletin = make_bulletin(organizer, publish=False)
        assert outbox("bulletin.published") == []  # a draft tells nobody
        services.publish(bulletin, organizer)
        db.session.commit()
        rows = outbox("bulletin.published")
        by_recipient = {(m.recipient_key, m.channel.value): m for m in rows}
        assert set(by_recipient) == {
            (f"user:{network.operator.id}", "email"),
            (f"user:{network.other_operator.id}", "email"),
            (f"user:{network.other_operator.id}", "sms"),
        }
        sao_do_link = links.link_for(bulletin, network.sao_do.id)
        hht_link = links.link_for(bulletin, network.hoang_hoa_tham.id)
        assert sao_do_link is not None and hht_link is not None
        mail = by_recipient[(f"user:{network.operator.id}", "email")]
        assert f"/b/{sao_do_link.token}" in mail.body_text and hht_link.token not in mail.body_text
        assert mail.subject == f"Bản tin mới: {bulletin.title}" and mail.state is MessageState.PENDING
        assert by_recipient[(f"user:{network.other_operator.id}", "sms")].state is MessageState.UNREACHABLE
        # New links issued later tell nobody again.
        services.revoke_links(bulletin, organizer)
        services.issue_new_links(bulletin, organizer)
        db.session.commit()
        assert len(outbox("bulletin.published")) == 3


def test_a_rolled_back_publication_tells_nobody(app: Flask, network: factories.SmallNetwork) -> None:
    with app.app_context():
        give_contacts(network)
        organizer = accounts.find_user("organizer")
        bulletin = make_bulletin(organizer, publish=False)
        services.publish(bulletin, organizer)
        db.session.rollback()
        assert outbox("bulletin.published") == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 0


def test_the_bulletin_page_shows_the_messages_beside_receipts_and_opens(
    app: Flask, network: factories.SmallNetwork, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        give_contacts(network)
        db.session.commit()
        bulletin_id = make_bulletin(accounts.find_user("organizer")).id
    auth.sign_in("organizer")
    page = client.get(f"/bulletins/{bulletin_id}").get_data(as_text=True)
    assert "Tin nhắn" in page
    assert page.count("E-mail: Chờ gửi") == 2 and page.count("SMS: Không liên lạc được") == 1
