"""The minutes' PDF is laid out by a background job after the closing commits: the closing request does not wait for
it, the page and the API say "being prepared" until it is ready, and version 1 holds the data as it stood at the
closing, whatever changed before the job ran. Here no worker runs: each test runs the job itself when it chooses."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.attendance import services as attendance
from meeting_hub.attendance.models import AttendanceStatus
from meeting_hub.extensions import db
from meeting_hub.jobs import execution, runs
from meeting_hub.jobs.models import JobRun, JobStatus
from meeting_hub.jobs.outcomes import Outcome
from meeting_hub.reports import minutes
from meeting_hub.reports.models import MinutesVersion
from meeting_hub.scheduling import services as scheduling
from tests.attendance.conftest import signed_in_client
from tests.conftest import sqlite_app
from tests.reports.conftest import HeldBriefing, hold_briefing, op_id
from tests.reports.test_minutes import pdf_text, table_figures


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An app whose jobs wait in a queue no worker reads (one attempt each: a failure is final at once)."""
    yield from sqlite_app(tmp_path, JOBS_BACKEND="sqlite", JOBS_MAX_ATTEMPTS=1)


@pytest.fixture
def held(app: Flask, network: Any) -> HeldBriefing:
    """The reports' held briefing, closed: version 1's content is frozen, its PDF not laid out yet."""
    with app.app_context():
        return hold_briefing(network)


def _version_and_run(app: Flask, briefing_id: int, number: int = 1) -> tuple[int, int]:
    with app.app_context():
        version = db.session.scalar(
            sa.select(MinutesVersion).where(MinutesVersion.briefing_id == briefing_id, MinutesVersion.version == number)
        )
        assert version is not None
        run = runs.run_with_key(minutes.render_key(version))
        assert run is not None
        return version.id, run.id


def test_closing_freezes_the_content_and_the_pdf_follows_from_a_job(app: Flask, held: HeldBriefing) -> None:
    leader = signed_in_client(app, "leader")
    url = f"/api/v1/briefings/{held.briefing_id}/minutes"
    _version_id, run_id = _version_and_run(app, held.briefing_id)

    # Until the job runs: listed as being prepared, no file, the download answers "not ready" (API) or leads to the
    # minutes page, which says so.
    (listed,) = leader.get(url).json
    assert (listed["version"], listed["state"], listed["size_bytes"], listed["sha256"]) == (1, "preparing", None, None)
    waiting = leader.get(f"{url}.pdf")
    assert waiting.status_code == 409
    assert waiting.json["error"]["code"] == "minutes_not_ready"
    assert "đang được chuẩn bị" in waiting.json["error"]["message"]
    followed = leader.get(f"/briefings/{held.briefing_id}/minutes.pdf?version=1", follow_redirects=True)
    assert followed.request.path == f"/briefings/{held.briefing_id}/minutes"
    page = followed.get_data(as_text=True)
    assert "Tệp PDF của biên bản phiên bản 1 đang được chuẩn bị" in page
    assert "Đang chuẩn bị tệp PDF…" in page
    assert "js/minutes_status.js" in page
    briefing_page = leader.get(f"/briefings/{held.briefing_id}").get_data(as_text=True)
    assert "Đang chuẩn bị tệp PDF…" in briefing_page

    # The roll-call is completed after the closing, before any worker took the job.
    with app.app_context():
        briefing = scheduling.get_briefing(held.briefing_id)
        check_in = attendance.CheckIn(held.people["Bùi Xuân Việt"], AttendanceStatus.PRESENT, op_id())
        attendance.record_check_in(briefing, check_in, accounts.find_user("organizer"))
        db.session.commit()

    assert execution.execute_run(app, run_id) is Outcome.DONE
    (ready,) = leader.get(url).json
    assert ready["state"] == "ready" and ready["size_bytes"] > 0
    version_1 = leader.get(f"{url}.pdf")
    assert version_1.status_code == 200 and version_1.headers["X-Minutes-Version"] == "1"
    assert ready["sha256"] == hashlib.sha256(version_1.data).hexdigest()
    assert "Đang chuẩn bị tệp PDF…" not in leader.get(f"/briefings/{held.briefing_id}/minutes").get_data(as_text=True)


def test_version_1_is_the_state_at_closing_even_when_laid_out_later(
    app: Flask, held: HeldBriefing, tmp_path: Path
) -> None:
    _version_id, run_id = _version_and_run(app, held.briefing_id)
    with app.app_context():
        briefing = scheduling.get_briefing(held.briefing_id)
        check_in = attendance.CheckIn(held.people["Bùi Xuân Việt"], AttendanceStatus.PRESENT, op_id())
        attendance.record_check_in(briefing, check_in, accounts.find_user("organizer"))
        briefing.title = "Tiêu đề sửa sau khi kết thúc"
        db.session.commit()
    execution.execute_run(app, run_id)
    leader = signed_in_client(app, "leader")
    frozen = pdf_text(leader.get(f"/api/v1/briefings/{held.briefing_id}/minutes.pdf").data, tmp_path)
    draft = pdf_text(leader.get(f"/api/v1/briefings/{held.briefing_id}/minutes.pdf?draft=1").data, tmp_path)
    assert table_figures(frozen, "Phường Phả Lại") == [2, 0, 0, 0, 1, 1]  # Bùi Xuân Việt not yet checked in
    assert table_figures(draft, "Phường Phả Lại") == [2, 1, 0, 0, 1, 0]
    assert "Tiêu đề sửa sau khi kết thúc" not in frozen
    assert "Tiêu đề sửa sau khi kết thúc" in draft


def test_laying_out_again_changes_nothing(app: Flask, held: HeldBriefing) -> None:
    version_id, run_id = _version_and_run(app, held.briefing_id)
    execution.execute_run(app, run_id)
    assert execution.execute_run(app, run_id) is Outcome.SKIPPED  # a run already done
    with app.app_context():
        version = db.session.get(MinutesVersion, version_id)
        assert version is not None and version.content is not None
        first_name, first_sha = version.stored_name, version.sha256
        # A second worker that took the same run (a lease that ran out) finds the file recorded and stops.
        minutes.render_frozen_version(version_id)
        db.session.commit()
        version = db.session.get(MinutesVersion, version_id, populate_existing=True)
        assert version is not None and (version.stored_name, version.sha256) == (first_name, first_sha)
        assert sorted(path.name for path in minutes.minutes_folder().iterdir()) == [first_name]
        # The same content lays out to the same bytes, whenever it is done.
        data = minutes.data_from_snapshot(version.content)
        again = minutes._layout(data, version=1)
        assert hashlib.sha256(again).hexdigest() == first_sha


def test_a_failed_layout_is_shown_and_an_organizer_asks_again(
    app: Flask, held: HeldBriefing, monkeypatch: pytest.MonkeyPatch
) -> None:
    _version_id, run_id = _version_and_run(app, held.briefing_id)

    def broken(*_args: Any, **_kwargs: Any) -> bytes:
        raise OSError("font file unreadable")

    monkeypatch.setattr(minutes, "_layout", broken)
    assert execution.execute_run(app, run_id) is Outcome.FAILED
    monkeypatch.undo()

    leader, organizer = signed_in_client(app, "leader"), signed_in_client(app, "organizer")
    url = f"/api/v1/briefings/{held.briefing_id}/minutes"
    assert leader.get(url).json[0]["state"] == "failed"
    refused = leader.get(f"{url}.pdf")
    assert refused.status_code == 409 and "Chưa lập được tệp PDF" in refused.json["error"]["message"]
    assert "Lập lại" not in leader.get(f"/briefings/{held.briefing_id}/minutes").get_data(as_text=True)
    assert "Lập lại" in organizer.get(f"/briefings/{held.briefing_id}/minutes").get_data(as_text=True)

    # Leaders read the minutes; only organizers ask for the PDF again, on the page or through the API.
    assert leader.post(f"/briefings/{held.briefing_id}/minutes/1/prepare").status_code == 403
    assert leader.post(f"{url}/1/prepare").status_code == 403
    assert organizer.post(f"{url}/9/prepare").status_code == 404
    asked = organizer.post(f"/briefings/{held.briefing_id}/minutes/1/prepare", follow_redirects=True)
    assert "Đang lập lại tệp PDF của biên bản phiên bản 1." in asked.get_data(as_text=True)
    with app.app_context():
        run = db.session.get(JobRun, run_id)
        assert run is not None and run.status == JobStatus.QUEUED and run.attempts == 0
    again = organizer.post(f"{url}/1/prepare")  # asking twice queues nothing more
    assert again.status_code == 202 and again.json["state"] == "preparing"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 1

    assert execution.execute_run(app, run_id) is Outcome.DONE
    assert leader.get(url).json[0]["state"] == "ready"
    assert leader.get(f"{url}.pdf").status_code == 200
