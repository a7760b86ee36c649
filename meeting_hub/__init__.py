"""Meeting Hub: schedules online briefings, takes the live roll-call and follows raised issues."""

from __future__ import annotations

# gevent (MEETING_HUB_ASYNC_MODE=gevent) must patch socket, ssl and threading before anything imports them.
from meeting_hub.async_mode import patch_if_configured

patch_if_configured()

import os  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask  # noqa: E402


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the application."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from meeting_hub import (  # noqa: F401 - models registers the tables
        async_mode,
        audit_targets,
        cli,
        config,
        health,
        http_compression,
        http_errors,
        json_input,
        models,
        resources,
        security_headers,
        static_versions,
        text_input,
        url_converters,
        web,
    )
    from meeting_hub.accounts import access
    from meeting_hub.accounts.routes import blueprint as accounts_blueprint
    from meeting_hub.api import register_api
    from meeting_hub.attendance import (
        events,  # noqa: F401 - registers the /live socket handlers
        group_commit,
    )
    from meeting_hub.attendance.routes import blueprint as attendance_blueprint
    from meeting_hub.attendance.self_check_in_routes import blueprint as self_check_in_blueprint
    from meeting_hub.bulletins.infographic_routes import blueprint as bulletin_infographic_blueprint
    from meeting_hub.bulletins.public_routes import blueprint as bulletin_public_blueprint
    from meeting_hub.bulletins.routes import blueprint as bulletins_blueprint
    from meeting_hub.calendar_feeds.routes import blueprint as calendar_feeds_blueprint
    from meeting_hub.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
    from meeting_hub.favicon import blueprint as favicon_blueprint
    from meeting_hub.follow_up.routes import blueprint as follow_up_blueprint
    from meeting_hub.home.routes import blueprint as home_blueprint
    from meeting_hub.jobs import init_app as init_jobs
    from meeting_hub.network.routes import blueprint as network_blueprint
    from meeting_hub.notifications import (  # noqa: F401 - declare the jobs and watch the session for changes
        briefing_notices,
        bulletin_notices,
        follow_up_notices,
        outbox_sweep,
        sending,
    )
    from meeting_hub.notifications.routes import blueprint as notifications_blueprint
    from meeting_hub.observability import configure_logging, observe_requests
    from meeting_hub.polls import events as poll_events  # noqa: F401 - registers the poll socket handlers
    from meeting_hub.polls import snapshot as poll_snapshot  # noqa: F401 - adds the polls to live snapshots
    from meeting_hub.polls.routes import blueprint as polls_blueprint
    from meeting_hub.realtime import deflate, packet_guard, packet_json, revocation, transport
    from meeting_hub.reports.routes import blueprint as reports_blueprint
    from meeting_hub.scheduling.lifecycle_routes import blueprint as lifecycle_blueprint
    from meeting_hub.scheduling.material_routes import blueprint as materials_blueprint
    from meeting_hub.scheduling.routes import blueprint as scheduling_blueprint

    app = Flask(
        __name__,
        # The instance folder holds the SQLite database, the secret key and uploads.
        instance_path=os.environ.get("MEETING_HUB_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(resources.TEMPLATES_DIR),
        static_folder=str(resources.STATIC_DIR),
    )
    config.load_config(app, test_config)
    # Before the extensions start: python-engineio adds a bare handler of its own to a logger left unconfigured.
    configure_logging(app)
    async_mode.check(app.config["ASYNC_MODE"])
    # Every `<int:...>` in the app's routes is an id: bound it before any blueprint registers a rule.
    app.url_map.converters["int"] = url_converters.IdConverter
    app.json = json_input.JSONProvider(app)
    app.json.ensure_ascii = False  # Vietnamese stays readable in API answers

    # First registered, so its after_request hook runs last: it compresses what every other hook has finished.
    http_compression.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    login_manager.init_app(app)
    # Flask-SocketIO keeps the Redis client manager of an earlier app in its (module-level) options: an app made
    # without a queue after one made with a queue, in the same process, would still publish to Redis.
    socketio.server_options.pop("client_manager", None)
    # Same-origin only (python-engineio's default when cors_allowed_origins is not given); never "*".
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["REDIS_URL"],
        channel=app.config.get("SOCKETIO_CHANNEL", "meeting-hub"),
        max_http_buffer_size=int(app.config["LIVE_MAX_MESSAGE_BYTES"]),
        json=packet_json,
    )
    packet_guard.install(socketio.server)
    transport.init_app(app)
    revocation.init_app(app)
    group_commit.init_app(app)
    init_jobs(app)
    # Outermost first: ProxyFix sets scheme, host and client address for Socket.IO (origin check) and Flask alike;
    # then the compression policy sees each websocket handshake before simple-websocket accepts its offer.
    app.wsgi_app = deflate.WebSocketDeflatePolicy(app.wsgi_app, app.config["LIVE_WEBSOCKET_DEFLATE"])  # type: ignore[method-assign]
    if app.config["TRUST_PROXY"]:
        # Only behind a proxy that sets these headers itself (docs/deployment.md); else clients could forge them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    # Outermost of all: every response (Socket.IO's included) gets its X-Request-ID, every request its access line.
    observe_requests(app)

    text_input.init_app(app)  # before anything reads the request's text
    access.init_app(app)
    audit_targets.register()
    web.init_app(app)
    security_headers.init_app(app)
    static_versions.init_app(app)
    http_errors.init_app(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(favicon_blueprint)
    app.register_blueprint(home_blueprint)
    app.register_blueprint(accounts_blueprint)
    app.register_blueprint(network_blueprint)
    app.register_blueprint(calendar_feeds_blueprint)
    app.register_blueprint(scheduling_blueprint)
    app.register_blueprint(materials_blueprint)
    app.register_blueprint(lifecycle_blueprint)
    app.register_blueprint(attendance_blueprint)
    app.register_blueprint(self_check_in_blueprint)
    app.register_blueprint(follow_up_blueprint)
    app.register_blueprint(polls_blueprint)
    app.register_blueprint(reports_blueprint)
    app.register_blueprint(notifications_blueprint)
    app.register_blueprint(bulletins_blueprint)
    app.register_blueprint(bulletin_public_blueprint)
    app.register_blueprint(bulletin_infographic_blueprint)
    register_api(app)
    cli.init_app(app)
    return app
