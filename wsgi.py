"""WSGI entry point: `MEETING_HUB_ASYNC_MODE=gevent gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

One gevent worker per process (Socket.IO keeps each client's session in one process); see docs/deployment.md.
Importing meeting_hub monkey-patches first when MEETING_HUB_ASYNC_MODE=gevent; gunicorn's gevent worker has already.
"""

from meeting_hub import create_app

app = create_app()
