"""WSGI entry point: `gunicorn wsgi:app` (see docs/deployment.md for websockets)."""

from meeting_hub import create_app

app = create_app()
