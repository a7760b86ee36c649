"""Merging endpoints is confirmed in the page (a modal, or a second step without JavaScript) and audited with what
it moved."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts.models import AuditEvent
from meeting_hub.extensions import db
from meeting_hub.network.models import Endpoint
from tests import factories
from tests.conftest import AuthActions


def _merged_into(app: Flask, endpoint_id: int) -> int | None:
    with app.app_context():
        endpoint = db.session.get(Endpoint, endpoint_id)
        assert endpoint is not None
        return endpoint.merged_into_id


def test_merge_states_what_moves_and_waits_for_the_confirmation(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    source, target = network.hoang_hoa_tham.id, network.sao_do.id
    auth.sign_in("admin")
    edit = client.get(f"/admin/endpoints/{source}").text
    assert 'data-bs-target="#confirm-merge"' in edit
    assert "1 chi bộ với 1 người và 1 tài khoản cán bộ điểm cầu" in edit
    step = client.get(f"/admin/endpoints/{source}/merge")
    assert step.status_code == 200 and "Không thể hoàn tác việc sáp nhập." in step.text
    unconfirmed = client.post(f"/admin/endpoints/{source}/merge", data={"target_id": target})
    assert unconfirmed.status_code == 200 and "Sáp nhập Hoàng Hoa Thám?" in unconfirmed.text
    assert f'<option value="{target}" selected>' in unconfirmed.text  # the step keeps the unit chosen
    no_target = client.post(f"/admin/endpoints/{source}/merge", data={"confirmed": "1"})
    assert "Cần chọn điểm cầu nhận sáp nhập." in no_target.text
    assert _merged_into(app, source) is None
    done = client.post(f"/admin/endpoints/{source}/merge", data={"target_id": target, "confirmed": "1"})
    assert done.status_code == 302
    assert _merged_into(app, source) == target
    with app.app_context():
        detail = db.session.scalar(sa.select(AuditEvent.detail).where(AuditEvent.action == "endpoint.merge"))
        assert detail is not None
        assert json.loads(detail) == {"into": "sao-do", "cells": 1, "people": 1, "operators": 1}


def test_only_an_admin_merges(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("organizer")
    source, target = network.hoang_hoa_tham.id, network.sao_do.id
    assert client.get(f"/admin/endpoints/{source}/merge").status_code == 403
    assert (
        client.post(f"/admin/endpoints/{source}/merge", data={"target_id": target, "confirmed": "1"}).status_code == 403
    )
    assert _merged_into(app, source) is None
