"""Meeting Hub: schedules online briefings, takes the live roll-call and follows raised issues."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the application."""
    from meeting_hub import cli, config, health, http_errors, models, url_converters, web  # noqa: F401 - models
    from meeting_hub.accounts import access
    from meeting_hub.accounts.routes import blueprint as accounts_blueprint
    from meeting_hub.api import register_api
    from meeting_hub.attendance import events  # noqa: F401 - registers the /live socket handlers
    from meeting_hub.attendance.self_check_in_routes import blueprint as self_check_in_blueprint
    from meeting_hub.calendar_feeds.routes import blueprint as calendar_feeds_blueprint
    from meeting_hub.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
    from meeting_hub.home.routes import blueprint as home_blueprint
    from meeting_hub.network.routes import blueprint as network_blueprint
    from meeting_hub.realtime import transport
    from meeting_hub.scheduling.material_routes import blueprint as materials_blueprint
    from meeting_hub.scheduling.routes import blueprint as scheduling_blueprint

    app = Flask(
        __name__,
        # The instance folder holds the SQLite database, the secret key and uploads.
        instance_path=os.environ.get("MEETING_HUB_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    config.load_config(app, test_config)
    # Every `<int:...>` in the app's routes is an id: bound it before any blueprint registers a rule.
    app.url_map.converters["int"] = url_converters.IdConverter
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Vietnamese stays readable in API answers

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    login_manager.init_app(app)
    # Same-origin only (python-engineio's default when cors_allowed_origins is not given); never "*".
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["REDIS_URL"],
        channel=app.config.get("SOCKETIO_CHANNEL", "meeting-hub"),
        max_http_buffer_size=int(app.config["LIVE_MAX_MESSAGE_BYTES"]),
    )
    transport.init_app(app)

    access.init_app(app)
    web.init_app(app)
    http_errors.init_app(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(home_blueprint)
    app.register_blueprint(accounts_blueprint)
    app.register_blueprint(network_blueprint)
    app.register_blueprint(calendar_feeds_blueprint)
    app.register_blueprint(scheduling_blueprint)
    app.register_blueprint(materials_blueprint)
    app.register_blueprint(self_check_in_blueprint)
    register_api(app)
    cli.init_app(app)
    return app
