"""Typed settings: every MEETING_HUB_* environment variable, read and validated once at start.

A value that cannot be read stops the start with a message naming the variable (`SettingsError`); booleans accept
true/false, yes/no, on/off, 1/0 in any case, so `MEETING_HUB_TRUST_PROXY=False` is false and `banana` is refused.
Lists are JSON (`[1440, 60]`). The app's code reads the result from `app.config` under the upper-case name.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import re
import zoneinfo
from collections.abc import Mapping
from datetime import time
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import pydantic_settings
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from meeting_hub import resources

ENV_PREFIX = "MEETING_HUB_"

PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class SettingsError(RuntimeError):
    """A setting could not be read; the message names each variable."""


class Settings(BaseSettings):
    """What an administrator can set, with its default."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, case_sensitive=False, extra="ignore")

    # Storage, secrets and processes
    #: SQLAlchemy URL; unset: an SQLite file in the instance folder.
    database_url: str | None = None
    #: Signs sessions and CSRF tokens; unset: generated once and kept in the instance folder.
    secret_key: SecretStr | None = None
    #: Folder of the SQLite file, the secret key and uploads (read by create_app before anything else).
    instance_path: Path | None = None
    #: Socket.IO message queue for several processes, and shared rate-limit counters.
    redis_url: str | None = None
    socketio_channel: str = "meeting-hub"
    async_mode: Literal["threading", "gevent"] = "threading"
    database_pool_size: PositiveInt = 20
    database_max_overflow: NonNegativeInt = 20
    #: PostgreSQL: how long a statement waits for a lock another transaction holds (lock_timeout) before it fails:
    #: a request then answers 503 with Retry-After, a socket check-in try_again, a background job is retried later.
    #: Whole seconds or fractions, at most a minute. (SQLite waits its busy timeout, 10 s.)
    database_lock_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0

    # The organisation and its conventions
    timezone: str = "Asia/Ho_Chi_Minh"
    default_language: Literal["vi", "en"] = "vi"
    languages: list[Literal["vi", "en"]] = ["vi", "en"]
    organization_name: str = "Đảng bộ thành phố Chí Linh"
    department_name: str = "Ban Tuyên giáo Thành ủy Chí Linh"
    #: The address people's phones reach the app by: share links, QR codes, calendar feeds and messages use it.
    public_base_url: str | None = None

    # HTTP
    #: Trust one reverse proxy's X-Forwarded-For/-Proto/-Host (werkzeug's ProxyFix). Never without a proxy.
    trust_proxy: bool = False
    #: Compress responses in the app (brotli or gzip); off only behind a proxy that compresses them itself.
    http_compression: bool = True
    session_cookie_secure: bool = False
    sign_in_rate_limit: str = "10 per minute"
    #: QR self check-in guesses (meeting_hub/attendance/self_check_in_limits.py): attempts per person and briefing,
    #: and wrong guesses per endpoint and briefing before self check-in pauses there.
    self_check_in_person_limit: str = "5 per 10 minutes"
    self_check_in_endpoint_limit: str = "20 per 10 minutes"
    ratelimit_storage_uri: str = "memory://"
    page_size: Annotated[int, Field(ge=1, le=500)] = 50
    #: A little above MATERIAL_MAX_BYTES: the form fields around a 20 MB PDF must not trip the request limit first.
    max_content_length: PositiveInt = 21 * 1024 * 1024

    # Live layer: dashboards get one message per window; consoles beat every few seconds; an endpoint unheard for
    # LIVE_STALE_AFTER_SECONDS is shown as lost. Socket rate limits per user and address; largest message accepted.
    live_websocket_deflate: Literal["never", "on-request", "always"] = "never"
    live_coalesce_ms: NonNegativeInt = 25
    #: Socket check-ins written in batches by one writer per live briefing and process
    #: (meeting_hub/attendance/group_commit.py).
    live_group_commit: bool = True
    live_group_commit_max: PositiveInt = 200
    live_group_commit_wait_seconds: Annotated[float, Field(gt=0)] = 10.0
    #: Open sockets are checked against their account this often (one query per process, by a sweep; and before an
    #: event once the last check is older): a token revoked, a sign-out, a password change, a deactivation or a new
    #: role or endpoint made in another process ends them within it. In the process that made it: at once.
    live_user_recheck_seconds: Annotated[float, Field(ge=0)] = 5.0
    live_heartbeat_seconds: PositiveInt = 15
    live_presence_event_seconds: PositiveInt = 30
    live_stale_after_seconds: PositiveInt = 60
    #: Socket events per user (all their sockets together, per process): average per second, and burst.
    live_events_per_second: PositiveInt = 20
    live_events_burst: PositiveInt = 60
    #: Socket events per client address (all users behind it, per process); 0: no address budget (a proxy without
    #: MEETING_HUB_TRUST_PROXY makes every client one address).
    live_address_events_per_second: NonNegativeInt = 200
    live_address_events_burst: PositiveInt = 600
    #: Open sockets per user and process; opening one more closes the user's oldest.
    live_max_connections_per_user: PositiveInt = 10
    live_max_message_bytes: PositiveInt = 16 * 1024

    # Scheduling and calendars
    #: How long after its first closing an organizer may reopen a briefing ended by mistake.
    reopen_window_hours: Annotated[int, Field(ge=0, le=24 * 30)] = 24
    series_horizon_months: Annotated[int, Field(ge=1, le=120)] = 12
    #: Reminders (VALARM) of every briefing in calendar feeds, in minutes before the start.
    calendar_reminders_minutes: list[NonNegativeInt] = [1440, 60]
    material_max_bytes: PositiveInt = 20 * 1024 * 1024

    # Messages (meeting_hub/notifications/): what is sent and when
    #: Briefing reminders by message (e-mail, SMS, Zalo), in minutes before the start; [] sends none.
    reminder_offsets_minutes: list[Annotated[int, Field(ge=1, le=60 * 24 * 14)]] = [1440, 60]
    #: A briefing moved, cancelled or with a new endpoint invited is told this long after the change, in its state
    #: then: several changes close together make one message.
    notice_delay_seconds: Annotated[int, Field(ge=0, le=3600)] = 120
    #: Moves, cancellations and invitations are told for briefings starting within this many days (later ones
    #: reach people by their reminders and calendar feeds: a series edit does not send a year of messages).
    notice_horizon_days: Annotated[int, Field(ge=1, le=366)] = 40

    # Raised issues: due-date default, "due soon" window, largest export, largest PDF attached to an answer.
    issue_default_due_days: PositiveInt = 15
    issue_due_soon_days: NonNegativeInt = 3
    issue_export_max_rows: PositiveInt = 50_000
    issue_answer_max_bytes: PositiveInt = 10 * 1024 * 1024

    # Logs and metrics (meeting_hub/observability)
    #: "text" (readable lines) or "json" (one JSON object per line, for a collector).
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    #: One access line per HTTP request (method, path, status, duration, request id, user).
    log_access: bool = True
    #: Who may read /metrics: addresses or CIDR networks, as a JSON list or comma-separated.
    metrics_allowed_networks: Annotated[list[str], NoDecode] = ["127.0.0.0/8", "::1/128"]

    # Background jobs (meeting_hub/jobs/)
    #: auto (Redis when REDIS_URL is set, else SQLite), sqlite (a file in the instance folder), redis, or immediate
    #: (run in the enqueuing process right after its commit: tests and scripts).
    jobs_backend: Literal["auto", "sqlite", "redis", "immediate"] = "auto"
    #: The SQLite queue's file (default: jobs.db in the instance folder).
    jobs_sqlite_path: Path | None = None
    #: The queue's name (the Redis key prefix): give each environment sharing a Redis its own.
    jobs_queue_name: str = "meeting-hub"
    jobs_worker_threads: PositiveInt = 2
    #: Longest pause between two looks at an empty SQLite queue (Redis wakes the worker at once).
    jobs_poll_seconds: Annotated[float, Field(gt=0)] = 1.0
    #: Attempts of a failing run before it is marked failed; the pause after the first failure, doubled each time.
    jobs_max_attempts: PositiveInt = 5
    jobs_retry_delay_seconds: NonNegativeInt = 30
    #: A running run's worker renews its lease every third of this; a run whose lease passed is run again elsewhere.
    jobs_lease_seconds: Annotated[int, Field(ge=3)] = 120
    #: A queued run no worker took this long after it was due is handed to the queue again (a lost hand-over).
    jobs_requeue_after_seconds: PositiveInt = 300
    #: On SIGTERM a worker lets its running jobs finish this long before it stops (they are run again later).
    jobs_shutdown_timeout_seconds: NonNegativeInt = 30
    #: Daily jobs, local time HH:MM: overdue notices before the working day; series extension and ledger purge.
    jobs_overdue_notices_at: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "07:00"
    jobs_nightly_at: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "01:00"
    #: Finished runs stay in the ledger this many days (failed ones until someone deletes them).
    jobs_keep_days: PositiveInt = 30

    # Notifications outside the app (meeting_hub/notifications/, docs/notifications.md). A channel without its provider
    # setting sends nothing: its messages are marked failed "not configured", visible to the organizer.
    #: smtp://[user:pass@]host[:port] (STARTTLS when the server offers it) or smtps://... (TLS from the first byte).
    smtp_url: str | None = None
    #: The From of every e-mail, e.g. "Ban Tuyên giáo <giaoban@chilinh.gov.vn>" (needed with SMTP_URL).
    mail_from: str | None = None
    #: A CA bundle (PEM) to trust for the SMTP server's certificate besides the system's (an internal CA).
    smtp_ca_file: Path | None = None
    #: Connecting, and each exchange with the SMTP server, give up after this long (a passing failure: retried).
    smtp_timeout_seconds: Annotated[float, Field(gt=0)] = 30.0
    #: The SMS gateway's HTTP(S) address: one POST of JSON per message (request shape in docs/notifications.md).
    sms_gateway_url: str | None = None
    #: Sent as "Authorization: Bearer <token>" to the gateway.
    sms_gateway_token: SecretStr | None = None
    #: The registered brand name (tên định danh) the gateway shows as sender.
    sms_brandname: str = ""
    #: Remove Vietnamese diacritics (đ -> d): unaccented messages are GSM-7, cheaper and accepted by every carrier.
    sms_unaccented: bool = True
    #: Longest SMS in parts (GSM-7: 160 characters in one part, 153 per part beyond; UCS-2: 70 and 67).
    sms_max_parts: Annotated[int, Field(ge=1, le=10)] = 3
    #: The gateway treats a repeated request_id as the same message (the documented contract): a message in doubt
    #: after a crash is then asked for again; without it, a message in doubt is marked failed, never sent twice.
    sms_gateway_dedupes: bool = True
    #: Zalo Notification Service: the send-template address, the Official Account's access token, and the approved
    #: template id for each kind of message (JSON object, e.g. {"briefing.reminder": "312345"}).
    zalo_zns_url: str = "https://business.openapi.zalo.me/message/template"
    zalo_zns_access_token: SecretStr | None = None
    zalo_zns_templates: dict[str, str] = {}
    #: Zalo does not document tracking_id as an idempotency key: a ZNS message in doubt is marked failed unless set.
    zalo_zns_dedupes: bool = False
    #: Each HTTP request to the SMS gateway or Zalo gives up after this long (a passing failure: retried).
    notify_http_timeout_seconds: Annotated[float, Field(gt=0)] = 15.0
    #: Attempts of a message that meets passing failures (timeouts, 5xx, SMTP 4xx) before it is marked failed; the
    #: pause after the first failure, doubled each time (at most an hour).
    notify_max_attempts: PositiveInt = 5
    notify_retry_delay_seconds: NonNegativeInt = 60

    # Reports: the DejaVu fonts the minutes PDF embeds, the place written on the minutes, how many briefings in a row
    # a secretary may miss before leaders see them flagged, and how many months the attendance trend shows.
    report_font_dir: Path = resources.FONTS_DIR
    report_place_name: str = "Chí Linh"
    report_absence_streak: PositiveInt = 2
    report_trend_months: PositiveInt = 12

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", "jobs_backend", mode="before")
    @classmethod
    def _lower_case_choice(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("metrics_allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [part.strip() for part in text.split(",") if part]
        for network in value if isinstance(value, list) else []:
            ipaddress.ip_network(str(network), strict=False)  # ValueError names the bad entry
        return value

    @field_validator("reminder_offsets_minutes")
    @classmethod
    def _distinct_offsets(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("each offset once, e.g. [1440, 60]")
        return sorted(value, reverse=True)

    @field_validator("timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("unknown time zone (e.g. Asia/Ho_Chi_Minh)") from error
        return value

    @field_validator("database_url")
    @classmethod
    def _driver_installed(cls, value: str | None) -> str | None:
        if value and value.startswith(("postgresql", "postgres:")) and importlib.util.find_spec("psycopg") is None:
            raise ValueError("PostgreSQL needs the driver: pip install 'meeting-hub[postgresql]'")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_client_installed(cls, value: str | None) -> str | None:
        if value and importlib.util.find_spec("redis") is None:
            raise ValueError("Redis needs its client: pip install 'meeting-hub[redis]'")
        return value or None

    @field_validator("public_base_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
            raise ValueError("expected an absolute http(s) address such as https://giaoban.example.vn")
        return value.rstrip("/")

    @field_validator("sign_in_rate_limit", "self_check_in_person_limit", "self_check_in_endpoint_limit")
    @classmethod
    def _readable_rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as error:
            raise ValueError("expected a rate limit such as '10 per minute'") from error
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("expected smtp://[user:password@]host[:port] or smtps://[user:password@]host[:port]")
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_address(cls, value: str | None) -> str | None:
        if not value:
            return None
        _name, address = parseaddr(value)
        if "@" not in address:
            raise ValueError('expected an address such as "Ban Tuyên giáo <giaoban@chilinh.gov.vn>"')
        return value

    @field_validator("sms_gateway_url")
    @classmethod
    def _gateway_url(cls, value: str | None) -> str | None:
        return _http_url(value) if value else None

    @field_validator("zalo_zns_url")
    @classmethod
    def _zns_url(cls, value: str) -> str:
        return _http_url(value)

    @model_validator(mode="after")
    def _mail_needs_a_sender(self) -> Settings:
        if self.smtp_url and not self.mail_from:
            raise ValueError("MEETING_HUB_SMTP_URL needs MEETING_HUB_MAIL_FROM (the From of every e-mail) as well")
        return self

    @model_validator(mode="after")
    def _redis_queue_needs_redis(self) -> Settings:
        if self.jobs_backend == "redis" and not self.redis_url:
            raise ValueError("MEETING_HUB_JOBS_BACKEND=redis needs MEETING_HUB_REDIS_URL to be set as well")
        return self

    def as_config(self) -> dict[str, Any]:
        """Return the settings as Flask config keys (upper case), secrets unwrapped."""
        config = {name.upper(): value for name, value in self.model_dump().items()}
        config["SECRET_KEY"] = self.secret_key.get_secret_value() if self.secret_key else None
        for name in ("sms_gateway_token", "zalo_zns_access_token"):
            secret = getattr(self, name)
            config[name.upper()] = secret.get_secret_value() if secret else None
        config["REPORT_FONT_DIR"] = str(self.report_font_dir)
        config["INSTANCE_PATH"] = str(self.instance_path) if self.instance_path else None
        config["JOBS_SQLITE_PATH"] = str(self.jobs_sqlite_path) if self.jobs_sqlite_path else None
        config["SMTP_CA_FILE"] = str(self.smtp_ca_file) if self.smtp_ca_file else None
        return config


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("expected an absolute http(s) address")
    return value


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read the environment, or raise SettingsError naming every variable that cannot be read.

    overrides: values by upper-case config name that win over the environment (create_app's test mapping); they go
    through the same validation, so the rest of the code reads typed values and never checks them again. Names that
    are not settings (Flask's own keys) are ignored here.
    """
    fields = {name.lower(): value for name, value in (overrides or {}).items() if name.lower() in Settings.model_fields}
    try:
        return Settings(**fields)
    except ValidationError as error:
        lines = [_describe(problem) for problem in error.errors()]
        raise SettingsError("Invalid settings:\n" + "\n".join(lines)) from None
    except pydantic_settings.SettingsError as error:  # a list or other JSON value that is not JSON
        field = re.search(r'field "(\w+)"', str(error))
        variable = ENV_PREFIX + (field.group(1).upper() if field else "?")
        raise SettingsError(f"Invalid settings:\n  {variable}: expected a JSON value such as [1440, 60]") from None


def _describe(problem: Any) -> str:
    """Turn one pydantic error into "MEETING_HUB_X: what is wrong (got 'value')"."""
    message = str(problem.get("msg", "invalid value")).removeprefix("Value error, ")
    if not problem.get("loc"):  # a rule across settings: its message names them
        return f"  {message}"
    variable = ENV_PREFIX + str(problem["loc"][0]).upper()
    value = problem.get("input")
    shown = "" if isinstance(value, dict) or value is None else f" (got {str(value)[:80]!r})"
    return f"  {variable}: {message}{shown}"


def time_of_day(value: str) -> time:
    """Return the time of an "HH:MM" setting (checked at start by its pattern)."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


#: Settings whose values are never printed whole.
SECRET_SETTINGS = {"SECRET_KEY", "SMS_GATEWAY_TOKEN", "ZALO_ZNS_ACCESS_TOKEN"}
#: Settings that are URLs whose password part is masked when printed.
URL_SETTINGS = {"DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI", "SMTP_URL"}


def printable(name: str, value: Any) -> str:
    """Return a setting's value for `meeting-hub config`, with secrets and URL passwords masked."""
    if value is None:
        return "(unset)"
    if name in SECRET_SETTINGS:
        return "********"
    text = str(value)
    if name in URL_SETTINGS:
        parts = urlsplit(text)
        if parts.password:
            return text.replace(f":{parts.password}@", ":********@", 1)
    return text
