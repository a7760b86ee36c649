"""Alembic environment: migrate the app's configured database (batch mode, so SQLite can alter tables)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

# Importing the models registers every table on the metadata.
import meeting_hub.models  # noqa: E402,F401
from meeting_hub.database import Base  # noqa: E402

target_metadata = Base.metadata


def get_engine():
    return current_app.extensions["migrate"].db.engine


def run_migrations_offline() -> None:
    context.configure(
        url=str(get_engine().url).replace("%", "%%"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args["render_as_batch"] = True
    with get_engine().connect() as connection:
        # SQLite: batch mode rebuilds a table (copy, DROP, rename), which foreign keys would refuse while other tables
        # point at it. Alembic's advice: keys off for the migration (outside any transaction), checked after it.
        raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys = OFF")
        try:
            context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
            with context.begin_transaction():
                context.run_migrations()
            if raw is not None:
                broken = raw.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows pointing at missing rows: {broken[:10]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys = ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
