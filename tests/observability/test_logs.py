"""Logs: text by default, JSON lines on demand, the context's ids on every line, each traceback once."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest
from flask import Flask

from meeting_hub import create_app
from meeting_hub.observability.logs import ContextFilter, JsonFormatter, current_context, log_context
from tests.conftest import base_config
from tests.observability.conftest import json_lines, make_app

logger = logging.getLogger("meeting_hub.tests.observability")


def test_json_lines_parse_and_carry_the_context(json_app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    with log_context(job_id="job-42"):
        logger.info("nhắc lịch %s", "Sao Đỏ", extra={"sent": 3})
    logger.warning("outside")
    first, second = json_lines(capsys.readouterr().err)
    assert first["message"] == "nhắc lịch Sao Đỏ"  # Vietnamese stays readable, not \\u-escaped
    assert (first["level"], first["logger"], first["job_id"], first["sent"]) == (
        "INFO",
        "meeting_hub.tests.observability",
        "job-42",
        3,
    )
    assert first["time"].endswith("Z") and isinstance(first["pid"], int)
    assert "job_id" not in second


def test_text_is_the_default_and_shows_the_context(app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    with log_context(request_id="abc", user_id=7):
        logger.info("first line\nsecond line")
    (line,) = capsys.readouterr().err.splitlines()
    assert "+07:00 INFO meeting_hub.tests.observability [request_id=abc user_id=7] first line\\nsecond line" in line


def test_contexts_nest_and_end_with_their_block() -> None:
    with log_context(request_id="outer"):
        with log_context(job_id="inner"):
            assert current_context() == {"request_id": "outer", "job_id": "inner"}
        assert current_context() == {"request_id": "outer"}
    assert current_context() == {}


def test_each_thread_has_its_own_context() -> None:
    seen: dict[str, object] = {}
    inside = threading.Event()
    done = threading.Event()

    def other_thread() -> None:
        with log_context(request_id="thread-b"):
            inside.set()
            done.wait(5)
            seen["b"] = dict(current_context())

    with log_context(request_id="thread-a"):
        thread = threading.Thread(target=other_thread)
        thread.start()
        assert inside.wait(5)
        seen["a"] = dict(current_context())
        done.set()
        thread.join(5)
    assert seen == {"a": {"request_id": "thread-a"}, "b": {"request_id": "thread-b"}}


def test_a_traceback_goes_into_one_json_line() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), None)
    try:
        raise ValueError("bad value")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    ContextFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["exception_type"] == "ValueError"
    assert "Traceback (most recent call last)" in entry["traceback"] and "bad value" in entry["traceback"]


def test_an_error_logged_twice_is_written_once(json_app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    try:
        raise RuntimeError("once")
    except RuntimeError:
        logger.exception("handled here")
        logging.getLogger("engineio.server").exception("message handler error")  # what the library does next
    (line,) = json_lines(capsys.readouterr().err)
    assert line["message"] == "handled here"


def test_an_unhandled_error_logs_one_traceback_with_the_request_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    application = make_app(tmp_path, LOG_FORMAT="json", TESTING=False)

    def broken() -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setitem(application.view_functions, "accounts.sign_in", broken)
    capsys.readouterr()
    response = application.test_client().get("/sign-in", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-500"
    response.close()
    lines = json_lines(capsys.readouterr().err)
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "req-500"
    assert errors[0]["traceback"].count("Traceback (most recent call last)") == 1
    assert "database on fire" in errors[0]["traceback"]
    (access,) = [line for line in lines if line["logger"] == "meeting_hub.access"]
    assert (access["status"], access["request_id"]) == (500, "req-500")


@pytest.mark.parametrize(
    ("key", "value", "variable"),
    [("LOG_FORMAT", "xml", "MEETING_HUB_LOG_FORMAT"), ("LOG_LEVEL", "LOUD", "MEETING_HUB_LOG_LEVEL")],
)
def test_a_bad_log_setting_stops_the_start(tmp_path: Path, key: str, value: str, variable: str) -> None:
    with pytest.raises(RuntimeError, match=variable):
        create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}") | {key: value})


def test_log_settings_are_read_in_any_case(tmp_path: Path) -> None:
    make_app(tmp_path, LOG_FORMAT="JSON", LOG_LEVEL="warning")
    assert logging.getLogger().level == logging.WARNING


def test_the_socket_libraries_keep_no_handler_of_their_own(app: Flask) -> None:
    # python-engineio adds a bare StreamHandler to an unconfigured logger: every error would be printed twice.
    for name in ("engineio.server", "socketio.server"):
        assert logging.getLogger(name).handlers == []
    assert [handler.get_name() for handler in logging.getLogger().handlers].count("meeting_hub") == 1


def test_an_error_first_logged_as_a_warning_still_gets_its_error_line(
    json_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    try:
        raise RuntimeError("flaky")
    except RuntimeError:
        logger.warning("retrying", exc_info=True)
        logger.error("gave up", exc_info=True)
    warning, error = json_lines(capsys.readouterr().err)
    assert "traceback" in warning and "traceback" not in error
    assert (error["level"], error["message"]) == ("ERROR", "gave up (traceback above)")
