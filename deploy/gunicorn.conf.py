"""gunicorn settings from a checkout: the same as `-c python:meeting_hub.gunicorn_config` (see that module)."""

from meeting_hub.gunicorn_config import *  # noqa: F403
