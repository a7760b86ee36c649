"""Typed settings: what an administrator writes in the environment is read as meant, or the start stops and says why."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import request
from flask.testing import FlaskClient

from meeting_hub import create_app
from meeting_hub.public_links import external_url
from meeting_hub.settings import Settings, SettingsError, load_settings, printable
from tests.conftest import base_config
from tests.server_processes import meeting_hub_command

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}


@pytest.mark.parametrize("spelling", ["false", "False", "FALSE", "no", "off", "0", "n"])
def test_every_spelling_of_false_is_false(monkeypatch: pytest.MonkeyPatch, spelling: str) -> None:
    monkeypatch.setenv("MEETING_HUB_TRUST_PROXY", spelling)
    assert load_settings().trust_proxy is False


@pytest.mark.parametrize("spelling", ["true", "True", "yes", "on", "1"])
def test_every_spelling_of_true_is_true(monkeypatch: pytest.MonkeyPatch, spelling: str) -> None:
    monkeypatch.setenv("MEETING_HUB_TRUST_PROXY", spelling)
    assert load_settings().trust_proxy is True


def test_trust_proxy_off_in_the_environment_keeps_forwarded_headers_untrusted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Before typed settings, "False" stayed a truthy string and installed ProxyFix: a forged address was believed.
    monkeypatch.setenv("MEETING_HUB_TRUST_PROXY", "False")
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'proxy.db'}")
    app = create_app(config)
    seen: dict[str, Any] = {}

    @app.after_request
    def remember(response: Any) -> Any:
        seen.update(addr=request.remote_addr, host=request.host)
        return response

    app.test_client().get("/healthz", headers=FORWARDED, base_url="http://localhost")
    assert seen == {"addr": "127.0.0.1", "host": "localhost"}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MEETING_HUB_TRUST_PROXY", "banana"),
        ("MEETING_HUB_PAGE_SIZE", "0"),
        ("MEETING_HUB_LIVE_COALESCE_MS", "soon"),
        ("MEETING_HUB_DATABASE_LOCK_TIMEOUT_SECONDS", "0"),
        ("MEETING_HUB_DATABASE_LOCK_TIMEOUT_SECONDS", "5s"),
        ("MEETING_HUB_ASYNC_MODE", "eventlet"),
        ("MEETING_HUB_TIMEZONE", "Asia/Hanoi City"),
        ("MEETING_HUB_CALENDAR_REMINDERS_MINUTES", "1440,60"),
        ("MEETING_HUB_PUBLIC_BASE_URL", "giaoban.example.vn"),
        ("MEETING_HUB_SIGN_IN_RATE_LIMIT", "ten a minute"),
    ],
)
def test_a_value_that_cannot_be_read_stops_the_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}"))
    assert variable in str(refused.value)


def test_every_wrong_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEETING_HUB_TRUST_PROXY", "banana")
    monkeypatch.setenv("MEETING_HUB_PAGE_SIZE", "-3")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "MEETING_HUB_TRUST_PROXY" in str(refused.value) and "MEETING_HUB_PAGE_SIZE" in str(refused.value)


def test_lists_are_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEETING_HUB_CALENDAR_REMINDERS_MINUTES", "[30, 5]")
    assert load_settings().calendar_reminders_minutes == [30, 5]


def test_secrets_and_url_passwords_are_masked() -> None:
    assert printable("SECRET_KEY", "s3cr3t") == "********"
    assert printable("DATABASE_URL", "postgresql://hub:pw@db/hub") == "postgresql://hub:********@db/hub"
    assert printable("REDIS_URL", None) == "(unset)"
    assert printable("PAGE_SIZE", 50) == "50"


def test_meeting_hub_config_prints_the_effective_settings_with_secrets_masked(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "MEETING_HUB_SECRET_KEY": "do-not-print-me",
        "MEETING_HUB_DATABASE_URL": "postgresql://hub:hunter2@127.0.0.1/hub",
        "MEETING_HUB_TRUST_PROXY": "off",
    }
    result = subprocess.run(
        [*meeting_hub_command(), "config"], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert "do-not-print-me" not in result.stdout and "hunter2" not in result.stdout
    assert "* MEETING_HUB_TRUST_PROXY=False" in result.stdout
    assert "  MEETING_HUB_PAGE_SIZE=50" in result.stdout


def test_a_command_with_a_wrong_setting_exits_with_the_variable_and_no_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "MEETING_HUB_TRUST_PROXY": "banana", "MEETING_HUB_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run(
        [*meeting_hub_command(), "db", "current"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "MEETING_HUB_TRUST_PROXY" in result.stderr and "Traceback" not in result.stderr


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEETING_HUB_INSTANCE_PATH", raising=False)
    settings = Settings()
    assert (
        settings.timezone == "Asia/Ho_Chi_Minh" and settings.trust_proxy is False and settings.public_base_url is None
    )


# Links that leave the app


def _app_with_public_base(tmp_path: Path, base: str | None) -> Any:
    # No SERVER_NAME: links must come from the request (or from the public base URL), as in production.
    config = {
        **base_config(tmp_path, f"sqlite:///{tmp_path / 'links.db'}"),
        "PUBLIC_BASE_URL": base,
        "SERVER_NAME": None,
    }
    return create_app(config)


def test_links_that_leave_the_app_use_the_public_base_url(tmp_path: Path) -> None:
    app = _app_with_public_base(tmp_path, "https://giaoban.example.vn")
    with app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        link = external_url("calendar_feeds.personal_feed", token="abc")
    assert link == "https://giaoban.example.vn/calendar/abc.ics"


def test_a_public_base_url_with_a_path_prefix_is_kept(tmp_path: Path) -> None:
    app = _app_with_public_base(tmp_path, "https://tinh.example.vn/giaoban")
    with app.app_context():  # outside any request too: background jobs build links for messages
        link = external_url("calendar_feeds.personal_feed", token="abc")
    assert link == "https://tinh.example.vn/giaoban/calendar/abc.ics"


def test_without_a_public_base_url_links_follow_the_request(tmp_path: Path) -> None:
    app = _app_with_public_base(tmp_path, None)
    with app.test_request_context("/", base_url="http://10.0.0.5:5000"):
        assert external_url("calendar_feeds.personal_feed", token="abc") == "http://10.0.0.5:5000/calendar/abc.ics"


def test_the_api_gives_the_public_calendar_feed_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from meeting_hub.accounts import services as account_services
    from meeting_hub.accounts.models import User
    from meeting_hub.extensions import db
    from tests.factories import make_user

    app = _app_with_public_base(tmp_path, "https://giaoban.example.vn")
    with app.app_context():
        db.create_all()
        user = make_user(username="hoa")
        db.session.commit()
        user_id = user.id
    with app.app_context():
        token = account_services.issue_api_token(db.session.get(User, user_id), "test", None)
        db.session.commit()
    client: FlaskClient = app.test_client()
    body = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["calendar_feed_url"].startswith("https://giaoban.example.vn/calendar/")


def test_postgresql_without_its_extra_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "psycopg" else real_find_spec(name))
    monkeypatch.setenv("MEETING_HUB_DATABASE_URL", "postgresql://hub@127.0.0.1/hub")
    with pytest.raises(SettingsError, match=r"MEETING_HUB_DATABASE_URL: .*meeting-hub\[postgresql\]"):
        load_settings()


@pytest.mark.parametrize(
    ("value", "expected"),
    [('["10.0.0.0/8", "::1"]', ["10.0.0.0/8", "::1"]), ("127.0.0.1, 192.168.1.0/24", ["127.0.0.1", "192.168.1.0/24"])],
)
def test_metrics_networks_read_as_json_or_comma_separated(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("MEETING_HUB_METRICS_ALLOWED_NETWORKS", value)
    assert load_settings().metrics_allowed_networks == expected


def test_a_wrong_metrics_network_or_log_level_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEETING_HUB_METRICS_ALLOWED_NETWORKS", "10.0.0.0/33")
    monkeypatch.setenv("MEETING_HUB_LOG_LEVEL", "chatty")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    message = str(refused.value)
    assert "MEETING_HUB_METRICS_ALLOWED_NETWORKS" in message and "MEETING_HUB_LOG_LEVEL" in message
